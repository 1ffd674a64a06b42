import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { AgentClient, MessageType, UserClient, type proto } from "../src/index.js";
import { Inbox, startGateway, str, text, unique, type Gateway, closeClientsAfterEachTest } from "./support/gateway.js";

closeClientsAfterEachTest();

let gateway: Gateway;

before(async () => {
  gateway = await startGateway();
});

after(async () => {
  await gateway.dispose();
});

test("an agent's CHAT message reaches another agent's onChatMessage and onMessage", async () => {
  const ws = unique("ws");
  const chats = new Inbox<proto.IncomingMessage>();
  const all = new Inbox<proto.IncomingMessage>();
  const one = new AgentClient({ workspace: ws, implementation: "echo", specifier: "one" });
  const two = new AgentClient(
    { workspace: ws, implementation: "echo", specifier: "two" },
    { handlers: { onChatMessage: chats.push, onMessage: all.push } },
  );
  await one.connect(gateway.target);
  await two.connect(gateway.target);
  await one.sendMessageToAgent(ws, "echo", "two", text("hello"), MessageType.CHAT);
  const msg = await chats.next("the CHAT message");
  assert.equal(str(msg.payload), "hello");
  assert.equal(msg.sourceTopic, `ag::${ws}::echo::one`);
  assert.equal(msg.messageType, MessageType.CHAT);
  assert.equal(str((await all.next("onMessage after the typed handler")).payload), "hello");
  await one.close();
  await two.close();
});

test("a broadcast to the workspace's agents reaches every other agent there", async () => {
  const ws = unique("ws");
  const a = new Inbox<proto.IncomingMessage>();
  const b = new Inbox<proto.IncomingMessage>();
  await new AgentClient({ workspace: ws, implementation: "bot", specifier: "a" }, { handlers: { onMessage: a.push } }).connect(gateway.target);
  await new AgentClient({ workspace: ws, implementation: "bot", specifier: "b" }, { handlers: { onMessage: b.push } }).connect(gateway.target);
  const caster = new AgentClient({ workspace: ws, implementation: "bot", specifier: "caster" });
  await caster.connect(gateway.target);
  await caster.sendBroadcastToAgents(ws, text("all hands"));
  for (const inbox of [a, b]) assert.equal(str((await inbox.next("the broadcast")).payload), "all hands");
});

test("progress reports reach the workspace's agents and a named user's lane as onProgress", async () => {
  const ws = unique("ws");
  const userId = unique("noah");
  const peer = new Inbox<proto.ProgressUpdate>();
  const mine = new Inbox<proto.ProgressUpdate>();
  await new AgentClient({ workspace: ws, implementation: "bot", specifier: "peer" }, { handlers: { onProgress: peer.push } }).connect(gateway.target);
  await new UserClient({ userId, windowId: "w1" }, { handlers: { onProgress: mine.push } }).connect(gateway.target);
  const reporter = new AgentClient({ workspace: ws, implementation: "bot", specifier: "reporter" });
  await reporter.connect(gateway.target);
  reporter.reportProgress("t1", { completion: 0.5, summary: "halfway", stepName: "parse" });
  const update = await peer.next("the workspace's progress");
  assert.equal(update.source, `ag::${ws}::bot::reporter`);
  assert.equal(update.summary, "halfway");
  assert.equal(update.completion, 0.5);
  assert.equal(update.step?.name, "parse");
  reporter.reportProgress("t2", { summary: "for the user", recipient: `us::${userId}::w1` });
  assert.equal((await mine.next("the user's progress")).summary, "for the user");
});

test("the configuration snapshot after the handshake carries the agent's exclusive KV", async () => {
  const identity = { workspace: unique("ws"), implementation: "bot", specifier: "snapshot" };
  const first = new AgentClient(identity);
  await first.connect(gateway.target);
  await first.kvPut("g", text("global-own"), { scope: "global-exclusive" });
  await first.kvPut("w", text("workspace-own"), { scope: "workspace-exclusive" });
  await first.close();
  const configs = new Inbox<proto.ConfigSnapshot>();
  await new AgentClient(identity, { handlers: { onConfig: configs.push } }).connect(gateway.target);
  const snapshot = await configs.next("the snapshot");
  assert.equal(str(snapshot.globalExclusiveKv.g ?? new Uint8Array()), "global-own");
  assert.equal(str(snapshot.workspaceExclusiveKv.w ?? new Uint8Array()), "workspace-own");
});

test("kvList pages with a cursor", async () => {
  const agent = new AgentClient({ workspace: unique("ws"), implementation: "bot", specifier: "pager" });
  await agent.connect(gateway.target);
  const prefix = `${unique("page")}/`;
  const wanted = Array.from({ length: 25 }, (_, i) => `${prefix}${String(i).padStart(2, "0")}`);
  for (const key of wanted) await agent.kvPut(key, text(key));
  const seen: string[] = [];
  let cursor = "";
  let pages = 0;
  for (;;) {
    const page = await agent.kvList(prefix, { limit: 10, cursor });
    assert.ok(page.success && page.keys.length <= 10);
    seen.push(...page.keys);
    pages += 1;
    if (!page.hasMore) break;
    cursor = page.nextCursor;
  }
  assert.deepEqual(seen, wanted);
  assert.equal(pages, 3);
});
