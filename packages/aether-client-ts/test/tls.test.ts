/** TLS and mTLS against the gateway serving with --tls-cert/--tls-key (and --tls-client-ca). The
 * throwaway PKI comes from the Python SDK's testing helper, run with the same interpreter. */

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { AgentClient, InvalidArgumentError, ReconnectionError } from "../src/index.js";
import { runPython, startGateway, text, unique, type Gateway, closeClientsAfterEachTest } from "./support/gateway.js";

closeClientsAfterEachTest();

let pki: string;
let tls: Gateway;
let mtls: Gateway;
const file = (name: string): string => join(pki, name);
const NO_RETRY = { maxRetries: 1, initialBackoffMs: 10, maxBackoffMs: 10 };

before(async () => {
  pki = mkdtempSync(join(tmpdir(), "aether-ts-pki-"));
  runPython(["-c", "import sys, pathlib; from scitrera_aether_client.testing.certs import make_test_pki; make_test_pki(pathlib.Path(sys.argv[1]))", pki]);
  const serving = ["--tls-cert", file("server.crt"), "--tls-key", file("server.key")];
  tls = await startGateway({ extra: serving });
  mtls = await startGateway({ extra: [...serving, "--tls-client-ca", file("ca.crt")] });
});

after(async () => {
  await tls.dispose();
  await mtls.dispose();
  rmSync(pki, { recursive: true, force: true });
});

test("TLS with the gateway's CA connects and works", async () => {
  const agent = new AgentClient({ workspace: unique("ws"), implementation: "bot", specifier: "tls" }, { tls: { rootCertPath: file("ca.crt") } });
  await agent.connect(tls.target);
  assert.equal((await agent.kvPut("k", text("over tls"))).success, true);
  await agent.close();
});

test("TLS material given as PEM bytes works the same", async () => {
  const agent = new AgentClient({ workspace: unique("ws"), implementation: "bot", specifier: "pem" }, { tls: { rootCert: readFileSync(file("ca.crt")) } });
  await agent.connect(tls.target);
  assert.ok(agent.isConnected);
  await agent.close();
});

test("a plaintext client cannot talk to a TLS gateway", async () => {
  const agent = new AgentClient({ workspace: unique("ws"), implementation: "bot", specifier: "plain" }, { ...NO_RETRY, tls: false });
  await assert.rejects(agent.connect(tls.target), ReconnectionError);
});

test("a CA that did not sign the gateway's certificate is refused", async () => {
  const other = mkdtempSync(join(tmpdir(), "aether-ts-pki-other-"));
  try {
    runPython(["-c", "import sys, pathlib; from scitrera_aether_client.testing.certs import make_test_pki; make_test_pki(pathlib.Path(sys.argv[1]))", other]);
    const agent = new AgentClient({ workspace: unique("ws"), implementation: "bot", specifier: "wrongca" }, { ...NO_RETRY, tls: { rootCertPath: join(other, "ca.crt") } });
    await assert.rejects(agent.connect(tls.target), ReconnectionError);
  } finally {
    rmSync(other, { recursive: true, force: true });
  }
});

test("mTLS: a client certificate signed by the gateway's client CA connects", async () => {
  const agent = new AgentClient(
    { workspace: unique("ws"), implementation: "bot", specifier: "mtls" },
    { tls: { rootCertPath: file("ca.crt"), clientCertPath: file("client.crt"), clientKeyPath: file("client.key") } },
  );
  await agent.connect(mtls.target);
  assert.equal((await agent.kvPut("k", text("over mtls"))).success, true);
  await agent.close();
});

test("mTLS: without a client certificate the handshake fails", async () => {
  const agent = new AgentClient({ workspace: unique("ws"), implementation: "bot", specifier: "nocert" }, { ...NO_RETRY, tls: { rootCertPath: file("ca.crt") } });
  await assert.rejects(agent.connect(mtls.target), ReconnectionError);
});

test("a client certificate without its key is refused before connecting", async () => {
  const agent = new AgentClient(
    { workspace: unique("ws"), implementation: "bot", specifier: "half" },
    { tls: { rootCertPath: file("ca.crt"), clientCertPath: file("client.crt") } },
  );
  await assert.rejects(agent.connect(mtls.target), (error: unknown) => error instanceof InvalidArgumentError && error.argument === "tls");
});
