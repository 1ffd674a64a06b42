/** The delivery extension as the embedded gateway negotiates it: committed sends, messages kept
 * for an offline identity, acknowledged only after the handlers settled, redelivered otherwise. */

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import {
  ACKNOWLEDGED,
  AetherError,
  AgentClient,
  BEST_EFFORT,
  DELIVERY_URI,
  MessageType,
  NotImplementedError,
  type proto,
} from "../src/index.js";
import { Gateway, Inbox, startGateway, str, text, unique, waitFor, closeClientsAfterEachTest } from "./support/gateway.js";

closeClientsAfterEachTest();

let gateway: Gateway;
let plain: Gateway; // serve --no-delivery-extension

before(async () => {
  gateway = await startGateway();
  plain = await startGateway({ extra: ["--no-delivery-extension"] });
});

after(async () => {
  await gateway.dispose();
  await plain.dispose();
});

function agent(ws: string, spec: string, handlers: ConstructorParameters<typeof AgentClient>[1] = {}): AgentClient {
  return new AgentClient({ workspace: ws, implementation: "dlv", specifier: spec }, { maxRetries: 0, ...handlers });
}

test("the client asks for the extension and the gateway grants it", async () => {
  const client = agent(unique("ws"), "a");
  await client.connect(gateway.target);
  assert.equal(client.deliveryMode, ACKNOWLEDGED);
  const [ext] = client.negotiatedExtensions();
  assert.equal(ext?.uri, DELIVERY_URI);
  assert.equal(ext?.supported, true);
  await client.close();
});

test("switched off on either side, the connection runs best effort", async () => {
  const offered = agent(unique("ws"), "b");
  await offered.connect(plain.target);
  assert.equal(offered.deliveryMode, BEST_EFFORT);
  await assert.rejects(offered.sendMessageToAgent("ws", "dlv", "x", text("x"), undefined, { waitForCommit: true }), (error: unknown) => {
    assert.ok(error instanceof NotImplementedError, String(error));
    assert.equal(error.code, "ERR_EXTENSION_UNSUPPORTED");
    return true;
  });
  await offered.close();
  const declined = new AgentClient({ workspace: unique("ws"), implementation: "dlv", specifier: "c" }, { acknowledgedDelivery: false });
  await declined.connect(gateway.target);
  assert.equal(declined.deliveryMode, BEST_EFFORT);
  assert.deepEqual(declined.negotiatedExtensions(), []);
  await declined.close();
});

test("a committed send resolves after the commit; a refused one rejects with the gateway's code", async () => {
  const ws = unique("ws");
  const got = new Inbox<proto.IncomingMessage>();
  const rx = agent(ws, "rx", { handlers: { onMessage: got.push } });
  await rx.connect(gateway.target);
  const tx = agent(ws, "tx");
  await tx.connect(gateway.target);
  await tx.sendMessageToAgent(ws, "dlv", "rx", text("durable"), undefined, { waitForCommit: true });
  assert.equal(str((await got.next("the committed message")).payload), "durable");
  await assert.rejects(tx.sendMessage("not-a-topic", text("x"), undefined, { waitForCommit: true }), (error: unknown) => {
    assert.ok(error instanceof AetherError, String(error));
    assert.equal(error.code, "ERR_INVALID_TOPIC");
    return true;
  });
  await tx.close();
  await rx.close();
});

test("committed messages for an offline agent survive a gateway kill -9", async () => {
  const gw = await new Gateway().start();
  try {
    const ws = unique("ws");
    const rx = agent(ws, "rx");
    await rx.connect(gw.target); // known identity: the gateway queues for it while it is away
    await rx.close();
    const tx = agent(ws, "tx");
    await tx.connect(gw.target);
    for (let i = 0; i < 10; i += 1) {
      await tx.sendMessageToAgent(ws, "dlv", "rx", text(`c${i}`), undefined, { waitForCommit: true });
    }
    await gw.kill9();
    await tx.close();
    await gw.restart();
    const got: string[] = [];
    const back = agent(ws, "rx", { handlers: { onMessage: (m) => void got.push(str(m.payload)) } });
    await back.connect(gw.target);
    await waitFor("the ten committed messages", () => got.length >= 10);
    assert.deepEqual(got, Array.from({ length: 10 }, (_, i) => `c${i}`));
    await back.close();
  } finally {
    await gw.dispose();
  }
});

test("a message is acknowledged after its handler settled, and then not delivered again", async () => {
  const ws = unique("ws");
  const rx = agent(ws, "rx");
  await rx.connect(gateway.target);
  await rx.close();
  const tx = agent(ws, "tx");
  await tx.connect(gateway.target);
  await tx.sendMessageToAgent(ws, "dlv", "rx", text("once"), undefined, { waitForCommit: true });
  const first = new Inbox<proto.IncomingMessage>();
  const again = agent(ws, "rx", { handlers: { onMessage: first.push } });
  await again.connect(gateway.target);
  const msg = await first.next("the queued message");
  assert.equal(str(msg.payload), "once");
  assert.notEqual(msg.deliveryTag, 0n);
  assert.equal(msg.redelivered, false);
  await again.close(); // the ack went out with close
  const second = new Inbox<proto.IncomingMessage>();
  const third = agent(ws, "rx", { handlers: { onMessage: second.push } });
  await third.connect(gateway.target);
  await tx.sendMessageToAgent(ws, "dlv", "rx", text("marker"), undefined, { waitForCommit: true });
  assert.equal(str((await second.next("the marker")).payload), "marker"); // not "once" again
  await third.close();
  await tx.close();
});

test("a message one of whose handlers never finished is delivered again, flagged redelivered", async () => {
  const ws = unique("ws");
  const rx = agent(ws, "rx");
  await rx.connect(gateway.target);
  await rx.close();
  const tx = agent(ws, "tx");
  await tx.connect(gateway.target);
  await tx.sendMessageToAgent(ws, "dlv", "rx", text("unfinished"), MessageType.CHAT, { waitForCommit: true });
  let started = false;
  const stuck = agent(ws, "rx", {
    handlers: {
      onChatMessage: () => undefined, // the typed handler returns at once...
      onMessage: () => {
        started = true;
        return new Promise<void>(() => undefined); // ...the general one never finishes
      },
    },
  });
  await stuck.connect(gateway.target);
  await waitFor("the handler to start", () => started);
  await stuck.close();
  const got = new Inbox<proto.IncomingMessage>();
  const back = agent(ws, "rx", { handlers: { onMessage: got.push } });
  await back.connect(gateway.target);
  const msg = await got.next("the redelivery");
  assert.equal(str(msg.payload), "unfinished");
  assert.equal(msg.redelivered, true);
  await back.close();
  await tx.close();
});
