/** A TypeScript agent and a Python agent (the repository's Python SDK, in its own process)
 * exchange messages, KV values and checkpoints through one gateway, in both directions. */

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { AgentClient, MessageType, type proto } from "../src/index.js";
import { Inbox, startGateway, str, text, unique, type Gateway, closeClientsAfterEachTest } from "./support/gateway.js";
import { PythonPeer, b64, unb64 } from "./support/py_peer.js";

closeClientsAfterEachTest();

let gateway: Gateway;

before(async () => {
  gateway = await startGateway();
});

after(async () => {
  await gateway.dispose();
});

/** Every byte value, so an encoding slip on either side shows. */
const BINARY = Uint8Array.from({ length: 256 }, (_, i) => i);

test("messages both ways: TypeScript to Python and Python to TypeScript, bytes intact", async () => {
  const ws = unique("ws");
  const got = new Inbox<proto.IncomingMessage>();
  const ts = new AgentClient({ workspace: ws, implementation: "ts", specifier: "one" }, { handlers: { onChatMessage: got.push } });
  await ts.connect(gateway.target);
  const py = new PythonPeer(gateway.target, ws, "py", "one");
  try {
    await py.started();
    await ts.sendMessageToAgent(ws, "py", "one", text("hello from typescript"), MessageType.CHAT);
    const atPython = await py.messages.next("the message at the Python agent");
    assert.equal(str(atPython.payload), "hello from typescript");
    assert.equal(atPython.source, `ag::${ws}::ts::one`);
    assert.equal(atPython.type, MessageType.CHAT);
    await ts.sendMessageToAgent(ws, "py", "one", BINARY, MessageType.TOOL_CALL);
    const binary = await py.messages.next("the binary message");
    assert.deepEqual(binary.payload, BINARY);
    assert.equal(binary.type, MessageType.TOOL_CALL);

    await py.call("send", { workspace: ws, implementation: "ts", specifier: "one", payload: b64(text("hello from python")), type: MessageType.CHAT });
    const atTs = await got.next("the message at the TypeScript agent");
    assert.equal(str(atTs.payload), "hello from python");
    assert.equal(atTs.sourceTopic, `ag::${ws}::py::one`);
    await py.call("send", { workspace: ws, implementation: "ts", specifier: "one", payload: b64(BINARY), type: MessageType.CHAT });
    assert.deepEqual((await got.next("the binary message")).payload, BINARY);
  } finally {
    await py.close();
    await ts.close();
  }
});

test("KV both ways, in the workspace scope, and one counter counted by both", async () => {
  const ws = unique("ws");
  const ts = new AgentClient({ workspace: ws, implementation: "ts", specifier: "kv" });
  await ts.connect(gateway.target);
  const py = new PythonPeer(gateway.target, ws, "py", "kv");
  try {
    await py.started();
    assert.equal((await ts.kvPut("from-ts", BINARY, { scope: "workspace" })).success, true);
    const read = await py.call("kv_get", { key: "from-ts", scope: "workspace" });
    assert.deepEqual(unb64(read.value), BINARY);
    assert.equal((await py.call("kv_put", { key: "from-py", value: b64(text("pythonic")), scope: "workspace" })).success, true);
    assert.equal(str((await ts.kvGet("from-py", { scope: "workspace" })).value), "pythonic");
    assert.equal((await ts.kvIncrement("counter", { scope: "workspace", delta: 5n })).counterValue, 5n);
    assert.equal((await py.call("kv_increment", { key: "counter", delta: 2, scope: "workspace" })).counter, 7);
    assert.equal((await ts.kvIncrement("counter", { scope: "workspace", delta: 1n })).counterValue, 8n);
  } finally {
    await py.close();
    await ts.close();
  }
});

test("a checkpoint handed over between languages: one identity, TypeScript then Python then TypeScript", async () => {
  const ws = unique("ws");
  const identity = { workspace: ws, implementation: "migrating", specifier: "one" };
  const first = new AgentClient(identity);
  await first.connect(gateway.target);
  assert.equal((await first.checkpointSave(text("saved by typescript"), { key: "progress" })).success, true);
  await first.close(); // releases the identity for the Python process

  const py = new PythonPeer(gateway.target, ws, "migrating", "one");
  await py.started();
  try {
    const loaded = await py.call("checkpoint_load", { key: "progress" });
    assert.equal(str(unb64(loaded.data)), "saved by typescript");
    assert.equal((await py.call("checkpoint_save", { key: "progress", data: b64(BINARY) })).success, true);
  } finally {
    await py.close();
  }

  const again = new AgentClient(identity);
  await again.connect(gateway.target);
  assert.deepEqual((await again.checkpointLoad({ key: "progress" })).data, BINARY);
  await again.close();
});
