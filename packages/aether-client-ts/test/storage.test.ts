/** KV in all eight scopes, counters and conditional writes, checkpoints, and call timeouts. */

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import {
  AgentClient,
  KV_SCOPES,
  TimeoutError,
  UserClient,
  type KVScope,
  type proto,
} from "../src/index.js";
import { Inbox, startGateway, str, text, unique, type Gateway, closeClientsAfterEachTest } from "./support/gateway.js";

closeClientsAfterEachTest();

let gateway: Gateway;
const opened: AgentClient[] = [];

before(async () => {
  gateway = await startGateway();
});

after(async () => {
  await Promise.all(opened.map((c) => c.close()));
  await gateway.dispose();
});

async function agent(workspace: string, implementation: string, specifier: string): Promise<AgentClient> {
  const client = new AgentClient({ workspace, implementation, specifier });
  await client.connect(gateway.target);
  opened.push(client);
  return client;
}

const SHARED: KVScope[] = ["global", "workspace", "user-shared", "user-workspace-shared"];
const EXCLUSIVE: KVScope[] = ["global-exclusive", "workspace-exclusive", "user", "user-workspace"];
const where = (scope: KVScope): { scope: KVScope; userId?: string } =>
  scope.includes("user") ? { scope, userId: "u1" } : { scope };

test("the scope list covers every KVOperation.Scope of the proto", () => {
  assert.deepEqual(Object.keys(KV_SCOPES).sort(), [...SHARED, ...EXCLUSIVE].sort());
});

for (const scope of [...SHARED, ...EXCLUSIVE]) {
  test(`every KV operation works in the ${scope} scope`, async () => {
    const ws = unique("ws");
    const a = await agent(ws, "bot", "kv");
    const kw = where(scope);
    assert.equal((await a.kvPut("cfg/a", text("1"), kw)).success, true);
    assert.equal(str((await a.kvGet("cfg/a", kw)).value), "1");
    const missing = await a.kvGet("cfg/none", kw);
    assert.equal(missing.success, true);
    assert.equal(missing.value.length, 0);
    assert.equal((await a.kvSetNx("cfg/a", text("other"), kw)).applied, false);
    assert.equal((await a.kvSetNx("cfg/b", text("2"), kw)).applied, true);
    const stale = await a.kvCompareAndSet("cfg/a", text("wrong"), text("x"), kw);
    assert.equal(stale.applied, false);
    assert.equal(str(stale.value), "1");
    assert.equal((await a.kvCompareAndSet("cfg/a", text("1"), text("3"), kw)).applied, true);
    const listed = await a.kvList("cfg/", kw);
    assert.deepEqual([...listed.keys].sort(), ["cfg/a", "cfg/b"]);
    assert.deepEqual(
      Object.fromEntries(Object.entries(listed.kvMap).map(([k, v]) => [k, str(v)])),
      { "cfg/a": "3", "cfg/b": "2" },
    );
    assert.equal((await a.kvIncrement("n", kw)).counterValue, 1n);
    assert.equal((await a.kvIncrement("n", { ...kw, delta: 5n })).counterValue, 6n);
    assert.equal((await a.kvDecrement("n", { ...kw, delta: 2n })).counterValue, 4n);
    assert.deepEqual(await a.kvIncrementIf("n", { ...kw, delta: 1n, ceiling: 5n }), { value: 5n, applied: true });
    assert.deepEqual(await a.kvIncrementIf("n", { ...kw, delta: 1n, ceiling: 5n }), { value: 5n, applied: false });
    assert.deepEqual(await a.kvDecrementIf("n", { ...kw, delta: 5n, floor: 0n }), { value: 0n, applied: true });
    assert.deepEqual(await a.kvDecrementIf("n", { ...kw, delta: 1n, floor: 0n }), { value: 0n, applied: false });
    assert.equal((await a.kvDelete("cfg/a", kw)).success, true);
    assert.equal((await a.kvGet("cfg/a", kw)).value.length, 0);
    assert.deepEqual((await a.kvList("cfg/", kw)).keys, ["cfg/b"]);
  });
}

test("exclusive scopes are private to each agent, shared ones are shared", async () => {
  const ws = unique("ws");
  const owner = await agent(ws, "bot", "owner");
  const peer = await agent(ws, "other", "peer");
  for (const scope of EXCLUSIVE) {
    await owner.kvPut("secret", text("mine"), where(scope));
    await peer.kvPut("secret", text("theirs"), where(scope));
    assert.equal(str((await owner.kvGet("secret", where(scope))).value), "mine", scope);
  }
  for (const scope of SHARED) {
    await owner.kvPut("shared", text(`hello ${scope}`), where(scope));
    assert.equal(str((await peer.kvGet("shared", where(scope))).value), `hello ${scope}`, scope);
  }
});

test("the workspace scope is per workspace unless a workspace is named", async () => {
  const one = await agent(unique("ws1"), "bot", "a");
  const two = await agent(unique("ws2"), "bot", "a");
  await one.kvPut("k", text("ws1"), { scope: "workspace" });
  assert.equal((await two.kvGet("k", { scope: "workspace" })).value.length, 0);
  assert.equal(str((await two.kvGet("k", { scope: "workspace", workspace: one.workspace })).value), "ws1");
});

test("a refused KV call resolves with success=false and the error reaches onError", async () => {
  const errors = new Inbox<proto.ErrorResponse>();
  const user = new UserClient({ userId: unique("u"), windowId: "w" }, { handlers: { onError: errors.push } });
  await user.connect(gateway.target);
  const response = await user.kvPut("k", text("v")); // users have no KV (principals.yaml)
  assert.equal(response.success, false);
  assert.equal((await errors.next("the refusal")).code, "ERR_PERMISSION_DENIED");
  await user.close();
});

test("fire-and-forget puts land in order", async () => {
  const a = await agent(unique("ws"), "bot", "nowait");
  const key = unique("last");
  for (let i = 0; i < 50; i += 1) a.kvPutNowait(key, text(String(i)));
  a.kvDeleteNowait(key);
  a.kvPutNowait(key, text("final"));
  assert.equal(str((await a.kvGet(key)).value), "final");
});

test("checkpoints: save, load, list and delete, by key, per identity", async () => {
  const ws = unique("ws");
  const a = await agent(ws, "bot", "cp");
  assert.equal((await a.checkpointSave(text("state-0"))).success, true);
  assert.equal((await a.checkpointSave(text("named"), { key: "phase-2" })).success, true);
  assert.equal(str((await a.checkpointLoad()).data), "state-0");
  assert.equal(str((await a.checkpointLoad({ key: "phase-2" })).data), "named");
  assert.ok((await a.checkpointList()).keys.includes("phase-2"));
  const other = await agent(ws, "bot", "cp-other");
  assert.equal((await other.checkpointLoad({ key: "phase-2" })).data.length, 0); // not shared
  assert.equal((await a.checkpointDelete({ key: "phase-2" })).success, true);
  assert.equal((await a.checkpointLoad({ key: "phase-2" })).data.length, 0);
});

test("a checkpoint survives the client: the next holder of the identity loads it", async () => {
  const ws = unique("ws");
  const first = new AgentClient({ workspace: ws, implementation: "bot", specifier: "resume" });
  await first.connect(gateway.target);
  await first.checkpointSave(text("step 41 done"));
  await first.close();
  const second = await agent(ws, "bot", "resume");
  assert.equal(str((await second.checkpointLoad()).data), "step 41 done");
});

test("a call the gateway does not answer in time rejects with TimeoutError", async () => {
  const a = await agent(unique("ws"), "bot", "slow");
  gateway.pause(); // SIGSTOP: the request is written, nothing comes back
  try {
    await assert.rejects(a.kvGet("k", { timeoutMs: 300 }), (error: unknown) => {
      assert.ok(error instanceof TimeoutError, String(error));
      assert.equal(error.code, "DEADLINE_EXCEEDED");
      assert.equal(error.timeoutMs, 300);
      return true;
    });
  } finally {
    gateway.resume();
  }
  assert.equal((await a.kvPut("k", text("after"))).success, true); // the stream survived
});

test("an AbortSignal rejects a pending call with the signal's reason", async () => {
  const a = await agent(unique("ws"), "bot", "abort");
  const controller = new AbortController();
  const pending = a.kvGet("k", { signal: controller.signal, timeoutMs: 60_000 });
  controller.abort(new Error("no longer needed")); // before the response can arrive
  await assert.rejects(pending, /no longer needed/);
  const already = AbortSignal.abort();
  await assert.rejects(a.kvGet("k", { signal: already }), { name: "AbortError" });
});

test("close() flushes and lets the gateway answer calls already sent before ending the stream", async () => {
  const a = new AgentClient({ workspace: unique("ws"), implementation: "bot", specifier: "closing" });
  await a.connect(gateway.target);
  const key = unique("k");
  gateway.pause();
  const put = a.kvPut(key, text("written before close"), { timeoutMs: 60_000 });
  const closing = a.close();
  gateway.resume();
  assert.equal((await put).success, true);
  await closing;
  const b = await agent(a.workspace, "bot", "reader");
  assert.equal(str((await b.kvGet(key)).value), "written before close");
});
