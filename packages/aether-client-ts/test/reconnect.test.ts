/** Reconnection with backoff and session resume, the bounded outbound buffer, and what happens to
 * calls in flight, against a gateway process that is killed, restarted, or cut off by a relay. */

import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import {
  AgentClient,
  BufferFullError,
  ConnectionClosedError,
  MessageType,
  ReconnectionError,
  UserClient,
  WorkflowEngineClient,
  proto,
} from "../src/index.js";
import { Gateway, Inbox, str, text, unique, waitFor, closeClientsAfterEachTest } from "./support/gateway.js";
import { TcpProxy } from "./support/proxy.js";

closeClientsAfterEachTest();

const FAST = { initialBackoffMs: 50, maxBackoffMs: 300 };
const cleanup: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function gatewayProcess(): Promise<Gateway> {
  const gw = await new Gateway().start();
  cleanup.push(() => gw.dispose());
  return gw;
}

function track<C extends { close(): Promise<void> }>(client: C): C {
  cleanup.push(() => client.close());
  return client;
}

test("sends during an outage are buffered and delivered, in order, once the gateway is back", async () => {
  const gw = await gatewayProcess();
  const ws = unique("ws");
  const drops: string[] = [];
  const sessions: string[] = [];
  const got: string[] = [];
  const sender = track(new AgentClient({ workspace: ws, implementation: "bot", specifier: "tx" }, {
    ...FAST,
    maxRetries: 0,
    handlers: { onDisconnect: (reason) => void drops.push(reason), onConnect: () => void sessions.push(sender.sessionId) },
  }));
  const receiver = track(new AgentClient({ workspace: ws, implementation: "bot", specifier: "rx" }, {
    ...FAST,
    maxRetries: 0,
    handlers: { onMessage: (m) => void got.push(str(m.payload)) },
  }));
  await sender.connect(gw.target);
  await receiver.connect(gw.target);
  await gw.kill9();
  await waitFor("both clients to see the drop", () => !sender.isConnected && !receiver.isConnected);
  for (let i = 0; i < 20; i += 1) {
    await sender.sendMessageToAgent(ws, "bot", "rx", text(`m${i}`)); // buffered: the stream is down
  }
  await gw.restart();
  await waitFor("the 20 buffered messages", () => got.length >= 20, 20_000);
  assert.deepEqual(got, Array.from({ length: 20 }, (_, i) => `m${i}`));
  assert.equal(drops.length, 1, String(drops));
  assert.equal(sessions.length, 2);
  assert.notEqual(sessions[1], sessions[0]);
});

test("a cut stream is resumed (resumed=true, same connection history), handlers told once each way", async () => {
  const gw = await gatewayProcess();
  const proxy = await new TcpProxy(gw.target).start();
  cleanup.push(() => proxy.close());
  const events: string[] = [];
  const agent = track(new AgentClient({ workspace: unique("ws"), implementation: "bot", specifier: "resume" }, {
    ...FAST,
    handlers: { onConnect: () => void events.push("connect"), onDisconnect: () => void events.push("disconnect") },
  }));
  await agent.connect(proxy.target);
  const first = { ...agent.connectionInfo };
  assert.equal(first.resumed, false);
  assert.equal(first.reconnectionCount, 0);
  await waitFor("onConnect", () => events.length === 1);
  proxy.cut();
  await waitFor("the reconnect", () => events.length === 3 && agent.isConnected);
  assert.deepEqual(events, ["connect", "disconnect", "connect"]);
  // The gateway opens a new session that takes over the old one's identity lock and history.
  assert.equal(agent.connectionInfo.resumed, true);
  assert.equal(agent.connectionInfo.reconnectionCount, 1);
  assert.equal(agent.connectionInfo.initialConnectionUnixMs, first.initialConnectionUnixMs);
  assert.equal((await agent.kvPut("after", text("resume"))).success, true);
});

test("an idempotent call in flight when the stream dies is sent again and answered", async () => {
  const gw = await gatewayProcess();
  const agent = track(new AgentClient({ workspace: unique("ws"), implementation: "bot", specifier: "idem" }, { ...FAST, maxRetries: 0 }));
  await agent.connect(gw.target);
  await agent.kvPut("k", text("kept"));
  gw.pause(); // the GET is written but never answered by this process
  const get = agent.kvGet("k", { timeoutMs: 30_000 });
  // Handled now, so a failure during the restart below is this test's failure, not a stray one.
  const answered = get.then((r) => str(r.value), (error: unknown) => error);
  await gw.kill9();
  await gw.restart(); // same data dir: the value is still there
  assert.equal(await answered, "kept");
});

test("an admin read in flight (the table marks it idempotent) is sent again and answered", async () => {
  const gw = await gatewayProcess(); // dev mode: admin is open
  const agent = track(new AgentClient({ workspace: unique("ws"), implementation: "bot", specifier: "adm" }, { ...FAST, maxRetries: 0 }));
  await agent.connect(gw.target);
  gw.pause(); // the query is written but never answered by this process
  const health = agent.health({ timeoutMs: 30_000 });
  const answered = health.then((r) => r.success, (error: unknown) => error);
  await gw.kill9();
  await gw.restart();
  assert.equal(await answered, true);
});

test("a non-idempotent call in flight fails with ConnectionClosedError when the stream dies", async () => {
  const gw = await gatewayProcess();
  const agent = track(new AgentClient({ workspace: unique("ws"), implementation: "bot", specifier: "put" }, { ...FAST, autoReconnect: false }));
  await agent.connect(gw.target);
  gw.pause();
  const put = agent.kvPut("k", text("v"), { timeoutMs: 3_600_000 }); // only the stream's death can end it
  const failed = assert.rejects(put, ConnectionClosedError);
  await gw.kill9();
  await failed;
  await agent.waitUntilDisconnected();
  assert.equal(agent.isRunning, false);
});

test("while the stream is down the buffer is bounded: the send beyond it is refused", async () => {
  const gw = await gatewayProcess();
  const ws = unique("ws");
  const agent = track(new AgentClient({ workspace: ws, implementation: "bot", specifier: "full" }, {
    initialBackoffMs: 60_000, maxBackoffMs: 60_000, bufferSize: 5,
  }));
  await agent.connect(gw.target);
  await gw.kill9();
  await waitFor("the drop", () => !agent.isConnected);
  for (let i = 0; i < 5; i += 1) await agent.sendMessageToAgent(ws, "bot", "x", text(String(i)));
  await assert.rejects(agent.sendMessageToAgent(ws, "bot", "x", text("6th")), (error: unknown) => {
    assert.ok(error instanceof BufferFullError, String(error));
    assert.equal(error.code, "BUFFER_FULL");
    return true;
  });
});

test("the retry budget runs out: ReconnectionError, onDisconnect once, the client stops", async () => {
  const gw = await gatewayProcess();
  const drops: string[] = [];
  const agent = track(new AgentClient({ workspace: unique("ws"), implementation: "bot", specifier: "giveup" }, {
    ...FAST, maxRetries: 3, handlers: { onDisconnect: (r) => void drops.push(r) },
  }));
  await agent.connect(gw.target);
  await gw.kill9();
  await agent.waitUntilDisconnected();
  assert.ok(agent.lastError instanceof ReconnectionError, String(agent.lastError));
  assert.equal(agent.isRunning, false);
  assert.equal(drops.length, 1);
  await agent.close();
  assert.equal(drops.length, 1); // close() after giving up does not fire it again
  await assert.rejects(agent.sendMessage("ag::a::b::c", text("x")), ConnectionClosedError);
});

test("a graceful shutdown signals GRACEFUL_DISCONNECT, then the client comes back by itself", async () => {
  const gw = await gatewayProcess();
  const signals = new Inbox<proto.Signal>();
  let connects = 0;
  const agent = track(new AgentClient({ workspace: unique("ws"), implementation: "bot", specifier: "graceful" }, {
    ...FAST, maxRetries: 0, handlers: { onSignal: signals.push, onConnect: () => void (connects += 1) },
  }));
  await agent.connect(gw.target);
  await gw.stop();
  assert.equal((await signals.next("the signal")).type, proto.Signal_SignalType.GRACEFUL_DISCONNECT);
  await gw.restart();
  await waitFor("a new session", () => connects === 2 && agent.isConnected, 20_000);
  assert.equal((await agent.kvPut("after-restart", text("v"))).success, true);
});

test("a user's workspace is declared again after a reconnect", async () => {
  const gw = await gatewayProcess();
  const proxy = await new TcpProxy(gw.target).start();
  cleanup.push(() => proxy.close());
  const ws = unique("team");
  const got: string[] = [];
  let connects = 0;
  const user = track(new UserClient({ userId: unique("alice"), windowId: "w1" }, {
    ...FAST, handlers: { onMessage: (m) => void got.push(str(m.payload)), onConnect: () => void (connects += 1) },
  }));
  const engine = track(new WorkflowEngineClient({}, FAST));
  await user.connect(proxy.target);
  await engine.connect(gw.target); // not through the relay: it stays up
  user.switchWorkspace(ws);
  const broadcastUntilSeen = async (probe: string): Promise<void> => {
    const deadline = performance.now() + 10_000;
    while (!got.includes(probe)) {
      assert.ok(performance.now() < deadline, `no ${probe} broadcast reached the user`);
      await engine.sendBroadcastToUsers(ws, text(probe), MessageType.CHAT);
      await waitFor(probe, () => got.includes(probe), 250).catch(() => undefined);
    }
  };
  await broadcastUntilSeen("before");
  proxy.cut();
  await waitFor("the user reconnects", () => connects === 2 && user.isConnected);
  await broadcastUntilSeen("after");
});
