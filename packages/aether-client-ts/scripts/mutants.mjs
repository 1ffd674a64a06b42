// Mutation checks for the TypeScript runtime: plant one known fault at a time in the built
// runtime (dist/), run the test that guards against it, and require that test to FAIL. A fault
// nobody notices means a test that does not test what it names. Run after `npm run build`
// (`npm run mutants`); dist/ is restored after each mutant (and rebuilt by every build anyway).
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";

const MUTANTS = [
  {
    fault: "a message is acknowledged on arrival, before its handlers ran",
    file: "dist/src/runtime/connection.js",
    from: "let left = names.length;",
    to: "let left = names.length; this.acks.add(tag);",
    test: "delivery", name: "never finished",
  },
  {
    fault: "a message is acknowledged when its first handler settled, not its last",
    file: "dist/src/runtime/connection.js",
    from: "if (left === 0)\n                this.acks.add(tag);",
    to: "this.acks.add(tag);",
    test: "delivery", name: "never finished",
  },
  {
    fault: "a user's workspace is not declared again after a reconnect",
    file: "dist/src/runtime/connection.js",
    from: 'if (this.workspace && this.settings.init.clientType.case === "user") {',
    to: "if (false) {",
    test: "reconnect", name: "workspace is declared again",
  },
  {
    fault: "a reconnect does not ask to resume the session",
    file: "dist/src/runtime/connection.js",
    from: "init.resumeSessionId = this.info.sessionId;",
    to: "",
    test: "reconnect", name: "cut stream is resumed",
  },
  {
    fault: "idempotent calls in flight are failed instead of resent",
    file: "dist/src/runtime/connection.js",
    from: "if (pending.idempotent) {",
    to: "if (false) {",
    test: "reconnect", name: "idempotent call in flight",
  },
  {
    fault: "calls stop reading the operation table's idempotency (every call is sent as not idempotent)",
    file: "dist/src/runtime/client.js",
    from: "idempotent: isIdempotent(frame)",
    to: "idempotent: false",
    test: "reconnect", name: "idempotent call in flight",
  },
  {
    fault: "the generated operation table loses an admin read's idempotency (GET_HEALTH)",
    file: "dist/src/generated/operations.js",
    from: 'row("adminQuery", 0, "GET_HEALTH", "read", true, true)',
    to: 'row("adminQuery", 0, "GET_HEALTH", "read", false, true)',
    test: "reconnect", name: "admin read in flight",
  },
  {
    fault: "the outbound buffer grows without bound while the stream is down",
    file: "dist/src/runtime/outbox.js",
    from: "if (!this.streamUp && this.length >= this.capacity) {",
    to: "if (false) {",
    test: "reconnect", name: "buffer is bounded",
  },
  {
    fault: "ALREADY_EXISTS is not mapped to DuplicateIdentityError",
    file: "dist/src/runtime/errors.js",
    from: "case status.ALREADY_EXISTS:",
    to: "case -1:",
    test: "connect", name: "DuplicateIdentityError",
  },
  {
    fault: "typed message handlers (onChatMessage, ...) are never called",
    file: "dist/src/runtime/connection.js",
    from: "const typed = MESSAGE_TYPE_CALLBACKS.get(msg.messageType);",
    to: "const typed = undefined;",
    test: "messaging", name: "onChatMessage",
  },
  {
    fault: "a timed-out call never rejects",
    file: "dist/src/runtime/connection.js",
    from: "reject(new TimeoutError(`no ${arm} response within ${timeoutMs} ms`, what, timeoutMs));",
    to: "void what;",
    test: "storage", name: "does not answer in time",
  },
  {
    fault: "a correlated ErrorResponse resolves nothing (the call waits out its timeout)",
    file: "dist/src/runtime/connection.js",
    from: "pending.reject(errorResponseToAetherError(payload.value));\n                return;",
    to: "",
    test: "connect", name: "without an admin grant",
  },
];

let missed = 0;
for (const m of MUTANTS) {
  const original = readFileSync(m.file, "utf8");
  if (original.split(m.from).length !== 2) {
    console.log(`STALE  ${m.fault}: the code to mutate is not in ${m.file} exactly once`);
    missed += 1;
    continue;
  }
  writeFileSync(m.file, original.replace(m.from, m.to));
  const started = performance.now();
  try {
    const run = spawnSync(
      process.execPath,
      // A fault may make a test hang instead of fail: the runner's own timeout fails it then,
      // and still runs the hooks that stop the gateway.
      ["--test", "--test-reporter=dot", "--test-timeout=20000", `--test-name-pattern=${m.name}`, `dist/test/${m.test}.test.js`],
      { encoding: "utf8", timeout: 120_000 },
    );
    const caught = run.status !== 0;
    if (!caught) missed += 1;
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`${caught ? "CAUGHT" : "MISSED"} ${m.fault} (${m.test}: ${m.name}; ${seconds} s)`);
  } finally {
    writeFileSync(m.file, original);
  }
}
console.log(`\nmutants: ${MUTANTS.length - missed} of ${MUTANTS.length} caught`);
process.exit(missed === 0 ? 0 : 1);
