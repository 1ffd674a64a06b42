/**
 * "Contribute a new principal type via YAML" gives both languages a client: the spec is edited
 * (the bridge principal replaced by a new "probe" principal with its own topic prefix), rendered
 * once for Python and TypeScript, the TypeScript output compiled against this package, and a
 * TypeScript probe and a Python probe talk through a gateway that serves the edited table.
 */

import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";

import type { ClientOptions, CommonHandlers, PrincipalSpec, proto } from "../src/index.js";
import { Inbox, PACKAGE_ROOT, PYTHON, SUPPORT_DIR, reap, str, text, closeClientsAfterEachTest } from "./support/gateway.js";

closeClientsAfterEachTest();

interface ProbeClient {
  handlers: CommonHandlers;
  connect(target: string): Promise<void>;
  close(): Promise<void>;
  sendMessageToProbe(implementation: string, specifier: string, payload: Uint8Array): Promise<void>;
  sendMessage(topic: string, payload: Uint8Array): Promise<void>;
}

interface ProbeModule {
  ProbeClient: new (identity: { implementation: string; specifier: string }, options?: ClientOptions) => ProbeClient;
  BridgeClient?: unknown;
}

const OUT = join(PACKAGE_ROOT, ".probe");
const REPO = resolve(PACKAGE_ROOT, "../..");
let side: ChildProcessWithoutNullStreams;
let target = "";
let clients: ProbeModule;
let principals: Record<string, PrincipalSpec>;

before(async () => {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  side = spawn(PYTHON, [join(SUPPORT_DIR, "probe.py"), REPO, OUT]);
  reap(side);
  let stderr = "";
  side.stderr.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`probe.py not ready:\n${stderr}`)), 60_000);
    side.once("exit", (code) => fail(new Error(`probe.py exited ${String(code)}:\n${stderr}`)));
    createInterface({ input: side.stdout }).on("line", (line) => {
      const m = /^listening on (\S+)/.exec(line);
      if (m?.[1] !== undefined) target = m[1];
      if (line === "ready") {
        clearTimeout(timer);
        ready();
      }
    });
  });
  // Compile the TypeScript the generator wrote, strictly, against this package's built runtime.
  writeFileSync(join(OUT, "tsconfig.json"), JSON.stringify({
    extends: "../tsconfig.json",
    compilerOptions: { rootDir: "generated", outDir: "out", declaration: false, sourceMap: false },
    include: ["generated/*.ts"],
  }));
  const tsc = spawnSync(process.execPath, [join(PACKAGE_ROOT, "node_modules/typescript/bin/tsc"), "-p", join(OUT, "tsconfig.json")], { encoding: "utf8" });
  assert.equal(tsc.status, 0, `the generated probe SDK does not compile:\n${tsc.stdout}${tsc.stderr}`);
  clients = (await import(pathToFileURL(join(OUT, "out", "clients.js")).href)) as ProbeModule;
  principals = ((await import(pathToFileURL(join(OUT, "out", "principals.js")).href)) as { PRINCIPALS: Record<string, PrincipalSpec> }).PRINCIPALS;
});

after(async () => {
  const exited = new Promise<void>((done) => side.once("exit", () => done()));
  side.stdin.end(); // probe.py stops its client and gateway when its stdin closes
  await exited;
  rmSync(OUT, { recursive: true, force: true });
});

test("the edited YAML gives TypeScript a ProbeClient and a permission row, and no BridgeClient", () => {
  assert.equal(typeof clients.ProbeClient, "function");
  assert.equal(clients.BridgeClient, undefined);
  assert.deepEqual([...(principals.probe?.maySendTo ?? [])], ["pr"]);
  assert.equal(principals.probe?.topic, "pr::{implementation}::{specifier}");
});

test("a TypeScript probe and a Python probe, generated from the same YAML, talk", async () => {
  const got = new Inbox<proto.IncomingMessage>();
  const probe = new clients.ProbeClient({ implementation: "lab", specifier: "ts" });
  probe.handlers = { onChatMessage: got.push };
  await probe.connect(target);
  try {
    await probe.sendMessageToProbe("lab", "py", text("ping")); // CHAT: the principal's override
    const answer = await got.next("the Python probe's answer");
    assert.equal(str(answer.payload), "pong: ping");
    assert.equal(answer.sourceTopic, "pr::lab::py");
  } finally {
    await probe.close();
  }
});

test("the gateway enforces the new row: a probe may only address pr::", async () => {
  const errors = new Inbox<proto.ErrorResponse>();
  const probe = new clients.ProbeClient({ implementation: "lab", specifier: "denied" });
  probe.handlers = { onError: errors.push };
  await probe.connect(target);
  try {
    await probe.sendMessage("ag::ws::impl::spec", text("x"));
    assert.equal((await errors.next("the refusal")).code, "ERR_PERMISSION_DENIED");
  } finally {
    await probe.close();
  }
});
