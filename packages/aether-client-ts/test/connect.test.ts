/** connect(): resolves after ConnectionAck, or rejects with the typed error of the refusal. */

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import {
  AgentClient,
  AuthenticationError,
  DuplicateIdentityError,
  InvalidArgumentError,
  InvalidPayloadTypeError,
  PermissionDeniedError,
  ReconnectionError,
} from "../src/index.js";
import { runPython, startGateway, unique, type Gateway, closeClientsAfterEachTest } from "./support/gateway.js";

closeClientsAfterEachTest();

let dev: Gateway;
let secure: Gateway; // not --dev: every principal needs a credential
let wsKey: string; // an Agent key bound to workspaces "ws-a*"

before(async () => {
  dev = await startGateway();
  secure = await startGateway({ dev: false });
  // Minted offline with the gateway's own CLI, next to the running gateway (same data dir).
  wsKey = runPython([
    "-m", "aether_gateway", "keys", "create", "--data-dir", secure.dataDir,
    "--type", "Agent", "--name", "ts-tests", "--workspace", "ws-a*",
  ]).trim();
});

after(async () => {
  await dev.dispose();
  await secure.dispose();
});

test("connect resolves after the handshake with the session the gateway assigned", async () => {
  const agent = new AgentClient({ workspace: unique("ws"), implementation: "bot", specifier: "one" });
  assert.equal(agent.isConnected, false);
  await agent.connect(dev.target);
  assert.equal(agent.isConnected, true);
  assert.notEqual(agent.sessionId, "");
  assert.equal(agent.connectionInfo.resumed, false);
  await agent.close();
  assert.equal(agent.isConnected, false);
  assert.equal(agent.isRunning, false);
});

test("a second live holder of an identity is refused with DuplicateIdentityError", async () => {
  const identity = { workspace: unique("ws"), implementation: "bot", specifier: "twin" };
  const first = new AgentClient(identity);
  await first.connect(dev.target);
  const second = new AgentClient(identity);
  await assert.rejects(second.connect(dev.target), (error: unknown) => {
    assert.ok(error instanceof DuplicateIdentityError, String(error));
    assert.equal(error.code, "ALREADY_EXISTS");
    return true;
  });
  assert.equal(second.isConnected, false);
  await first.close();
});

test("a wrong API key is refused with AuthenticationError, at once (no retries)", async () => {
  const agent = new AgentClient(
    { workspace: "ws-a1", implementation: "bot", specifier: "badkey" },
    { credentials: { api_key: "not-a-key" }, maxRetries: 50, initialBackoffMs: 1000 },
  );
  await assert.rejects(agent.connect(secure.target), (error: unknown) => {
    assert.ok(error instanceof AuthenticationError, String(error));
    assert.equal(error.code, "UNAUTHENTICATED");
    return true;
  });
});

test("no credential outside dev mode is refused with AuthenticationError", async () => {
  const agent = new AgentClient({ workspace: "ws-a1", implementation: "bot", specifier: "anon" });
  await assert.rejects(agent.connect(secure.target), AuthenticationError);
});

test("a key used outside its workspaces is refused with PermissionDeniedError", async () => {
  const agent = new AgentClient(
    { workspace: "ws-b1", implementation: "bot", specifier: "elsewhere" },
    { credentials: { api_key: wsKey } },
  );
  await assert.rejects(agent.connect(secure.target), (error: unknown) => {
    assert.ok(error instanceof PermissionDeniedError, String(error));
    assert.equal(error.code, "PERMISSION_DENIED");
    return true;
  });
});

test("the same key inside its workspaces connects", async () => {
  const agent = new AgentClient(
    { workspace: "ws-a1", implementation: "bot", specifier: "inside" },
    { credentials: { api_key: wsKey } },
  );
  await agent.connect(secure.target);
  assert.ok(agent.isConnected);
  await agent.close();
});

test("an admin call without an admin grant rejects at once with PermissionDeniedError", async () => {
  const agent = new AgentClient(
    { workspace: "ws-a2", implementation: "bot", specifier: "not-admin" },
    { credentials: { api_key: wsKey } },
  );
  await agent.connect(secure.target);
  // The gateway's ErrorResponse echoes the request_id: the call fails on it, not on its timeout.
  await assert.rejects(agent.createWorkspace(unique("proj"), { timeoutMs: 5000 }), (error: unknown) => {
    assert.ok(error instanceof PermissionDeniedError, String(error));
    assert.equal(error.code, "ERR_PERMISSION_DENIED");
    return true;
  });
});

test("an unreachable gateway ends in ReconnectionError once the retry budget is spent", async () => {
  const connects: string[] = [];
  const agent = new AgentClient(
    { workspace: "ws", implementation: "bot", specifier: "nowhere" },
    { maxRetries: 3, initialBackoffMs: 10, maxBackoffMs: 20, handlers: { onConnect: () => void connects.push("x") } },
  );
  await assert.rejects(agent.connect("127.0.0.1:1"), (error: unknown) => {
    assert.ok(error instanceof ReconnectionError, String(error));
    assert.equal(error.attempts, 3);
    return true;
  });
  assert.deepEqual(connects, []);
});

test("an AbortSignal ends a connect that is still retrying", async () => {
  const agent = new AgentClient(
    { workspace: "ws", implementation: "bot", specifier: "aborted" },
    { maxRetries: 0, initialBackoffMs: 60_000, maxBackoffMs: 60_000 },
  );
  const controller = new AbortController();
  const connecting = agent.connect("127.0.0.1:1", { signal: controller.signal });
  setTimeout(() => controller.abort(new Error("caller gave up")), 200);
  await assert.rejects(connecting, /caller gave up/);
});

test("identity and payload mistakes are refused before anything is sent", async () => {
  assert.throws(
    () => new AgentClient({ workspace: "ws", implementation: "bot", specifier: "bad::spec" }),
    (error: unknown) => error instanceof InvalidArgumentError && error.argument === "specifier",
  );
  assert.throws(
    () => new AgentClient({ workspace: "", implementation: "bot", specifier: "x" }),
    (error: unknown) => error instanceof InvalidArgumentError && error.argument === "workspace",
  );
  const agent = new AgentClient({ workspace: "ws", implementation: "bot", specifier: "payload" });
  await assert.rejects(
    agent.sendMessageToAgent("ws", "bot", "x", "text" as unknown as Uint8Array),
    (error: unknown) => error instanceof InvalidPayloadTypeError && error.argument === "payload",
  );
  await assert.rejects(agent.kvGet("k", { scope: "nope" as "global" }), InvalidArgumentError);
});
