/** The runtime's pure parts (no gateway): backoff, delivery bookkeeping, the outbound buffer,
 * argument checks, TLS resolution, error mapping, and the generated tables against Python's. */

import assert from "node:assert/strict";
import { test } from "node:test";

import { status } from "@grpc/grpc-js";

import {
  AuthenticationError,
  BufferFullError,
  ConnectionError,
  DuplicateIdentityError,
  InvalidArgumentError,
  NotFoundError,
  PRINCIPALS,
  PermissionDeniedError,
  ROUTES,
  CALLBACK_NAMES,
  TimeoutError,
  fromGrpcError,
  isRecoverableError,
} from "../src/index.js";
import { Backoff, RetryBudget } from "../src/runtime/backoff.js";
import { AckBatcher, SeenWindow, Unconfirmed } from "../src/runtime/delivery.js";
import { Outbox } from "../src/runtime/outbox.js";
import * as ops from "../src/runtime/ops.js";
import { resolveTls } from "../src/runtime/tls.js";
import { checkIdentityField } from "../src/runtime/validation.js";
import { runPython, text } from "./support/gateway.js";

test("backoff: attempt 0 never waits, then initial * multiplier^(n-1) capped, jitter within ±25 %", () => {
  const exact = new Backoff(100, 1000, 2, 0);
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((n) => exact.delay(n)), [0, 100, 200, 400, 800, 1000]);
  const low = new Backoff(100, 1000, 2, 0.25, () => 0);
  const high = new Backoff(100, 1000, 2, 0.25, () => 1);
  assert.equal(low.delay(2), 150);
  assert.equal(high.delay(2), 250);
  assert.throws(() => new Backoff(100, 10), InvalidArgumentError);
  const budget = new RetryBudget(3);
  assert.deepEqual([1, 2, 3].map((n) => budget.exhausted(n)), [false, false, true]);
  assert.equal(new RetryBudget(0).exhausted(1_000_000), false);
});

test("the duplicate filter forgets by age and by count", () => {
  let now = 0;
  const seen = new SeenWindow(1000, 3, () => now);
  assert.equal(seen.firstTime("a"), true);
  assert.equal(seen.firstTime("a"), false);
  now = 2000;
  assert.equal(seen.firstTime("a"), true); // expired
  for (const id of ["b", "c", "d"]) seen.firstTime(id);
  assert.equal(seen.size, 3);
  assert.equal(seen.firstTime("a"), true); // evicted as the oldest
});

test("unconfirmed sends are taken back in order; confirmations and refusals settle waiters", () => {
  const u = new Unconfirmed();
  const frames = [1, 2, 3].map((i) => ops.send("ag::w::i::s", text(String(i)), 6));
  frames.forEach((f, i) => u.written(`m${i}`, f));
  let confirmed = false;
  let refused: Error | undefined;
  u.waiters.set("m0", { resolve: () => (confirmed = true), reject: () => undefined });
  u.waiters.set("m1", { resolve: () => undefined, reject: (e) => (refused = e) });
  u.confirm(["m0"]);
  u.refuse("m1", new Error("no"));
  assert.equal(confirmed, true);
  assert.equal(refused?.message, "no");
  assert.deepEqual(u.takeAll(), [frames[2]]);
  assert.equal(u.size, 0);
});

test("acks are batched into one DeliveryAck", async () => {
  const sent: bigint[][] = [];
  const batcher = new AckBatcher((frame) => {
    if (frame.payload.case === "deliveryAck") sent.push(frame.payload.value.deliveryTags);
  });
  batcher.add(1n);
  batcher.add(2n);
  batcher.add(3n);
  assert.deepEqual(sent, []);
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual(sent, [[1n, 2n, 3n]]);
});

test("the outbox refuses beyond its bound only while the stream is down", async () => {
  const box = new Outbox(2);
  const frame = ops.send("ag::w::i::s", text("x"), 6);
  box.put(frame);
  box.put(frame);
  assert.throws(() => box.put(frame), BufferFullError);
  box.setStreamUp(true);
  box.put(frame); // up: accepted, the sender is slowed down instead
  assert.equal(box.crowded, true);
  let roomy = false;
  const room = box.room().then(() => (roomy = true));
  box.shift();
  box.releaseWaiters();
  await room;
  assert.equal(roomy, true);
  box.requeueFront([ops.send("ag::w::i::s", text("first"), 6)]);
  const head = box.shift();
  assert.equal(head?.payload.case === "send" ? new TextDecoder().decode(head.payload.value.payload) : "", "first");
});

test("identity rules: ASCII letters, digits, - _ . @ /, at most 128 bytes", () => {
  for (const ok of ["ws-1", "a.b_c@d/e", "x".repeat(128)]) assert.equal(checkIdentityField("f", ok, true), ok);
  for (const bad of ["a::b", "a b", "a*", "é", "x".repeat(129)]) {
    assert.throws(() => checkIdentityField("f", bad, true), (e: unknown) => e instanceof InvalidArgumentError && e.argument === "f");
  }
  assert.throws(() => checkIdentityField("f", "", true), InvalidArgumentError);
  assert.equal(checkIdentityField("f", "", false), "");
});

test("TLS: off by default, on with AETHER_TLS_ENABLED, inline PEM from the environment", () => {
  assert.equal(resolveTls(undefined, {}), null);
  assert.equal(resolveTls(false, { AETHER_TLS_ENABLED: "true" }), null);
  assert.deepEqual(resolveTls(undefined, { AETHER_TLS_ENABLED: "yes" }), { rootCert: null, clientCert: null, clientKey: null });
  const pem = "-----BEGIN CERTIFICATE-----\\nAAAA\\n-----END CERTIFICATE-----";
  const resolved = resolveTls(undefined, { AETHER_TLS_CA_CERT: pem });
  assert.equal(resolved?.rootCert?.toString(), pem.replaceAll("\\n", "\n"));
  assert.throws(() => resolveTls({ rootCertPath: "/no/such/file" }, {}), InvalidArgumentError);
});

test("gRPC statuses map to the Python SDK's error classes; only some are worth a retry", () => {
  const err = (code: status): Error => Object.assign(new Error("x"), { code, details: "d", metadata: undefined });
  const cases: [status, new (...a: never[]) => Error][] = [
    [status.UNAUTHENTICATED, AuthenticationError],
    [status.PERMISSION_DENIED, PermissionDeniedError],
    [status.ALREADY_EXISTS, DuplicateIdentityError],
    [status.NOT_FOUND, NotFoundError],
    [status.INVALID_ARGUMENT, InvalidArgumentError],
    [status.DEADLINE_EXCEEDED, TimeoutError],
    [status.UNAVAILABLE, ConnectionError],
  ];
  for (const [code, cls] of cases) {
    const mapped = fromGrpcError(err(code));
    assert.ok(mapped instanceof cls, `${status[code]} -> ${mapped.name}`);
    assert.equal(mapped.message, "d");
  }
  assert.equal(isRecoverableError(fromGrpcError(err(status.UNAVAILABLE))), true);
  assert.equal(isRecoverableError(fromGrpcError(err(status.UNAUTHENTICATED))), false);
});

test("every handler a route feeds is a known handler name", () => {
  for (const route of Object.values(ROUTES)) {
    for (const name of route.callbacks) assert.ok(CALLBACK_NAMES.includes(name), name);
  }
});

test("the TypeScript permission table has the rows of the Python one", () => {
  const python = JSON.parse(
    runPython([
      "-c",
      "import json; from scitrera_aether_client._generated.principals import PRINCIPALS as P; " +
        "print(json.dumps({k: [p.type_name, p.enum, p.acl_type, p.identity_arm, p.topic, p.lock_key, p.pooled_topic, " +
        "list(p.subscriptions), list(p.pooled_subscriptions), list(p.workspace_subscriptions), sorted(p.may_send_to), " +
        "p.kv, p.needs_credentials, p.pool_worker] for k, p in P.items()}))",
    ]),
  ) as Record<string, unknown[]>;
  const camel = (s: string): string => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  const ts = Object.fromEntries(
    Object.entries(PRINCIPALS).map(([k, p]) => [
      k,
      [p.typeName, p.enum, p.aclType, p.identityArm, p.topic, p.lockKey, p.pooledTopic, [...p.subscriptions],
        [...p.pooledSubscriptions], [...p.workspaceSubscriptions], [...p.maySendTo].sort(), p.kv, p.needsCredentials, p.poolWorker],
    ]),
  );
  const expected = Object.fromEntries(Object.entries(python).map(([k, row]) => [k, row.map((v, i) => (i === 3 ? camel(String(v)) : v))]));
  assert.deepEqual(ts, expected);
});
