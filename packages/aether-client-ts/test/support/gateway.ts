/**
 * The real embedded Python gateway, started as a process for the tests (the same
 * `python -m aether_gateway serve` users run). The interpreter is AETHER_PYTHON (tox sets it to
 * its env's python, which has aether-gateway installed), else `python3`.
 */

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterEach, beforeEach } from "node:test";
import { fileURLToPath } from "node:url";

import { BaseClient } from "../../src/index.js";

/** The package root (this file runs from dist/test/support/). */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const SUPPORT_DIR = join(PACKAGE_ROOT, "test", "support");
export const PYTHON = process.env.AETHER_PYTHON ?? "python3";
const START_TIMEOUT_MS = 30_000;

/** Every child a test started and has not seen exit: killed when the test process exits, so a
 * failing test (or a hook that never ran) cannot leave a gateway behind. */
const children = new Set<ChildProcess>();
function killChildren(): void {
  for (const child of children) child.kill("SIGKILL");
}
process.once("exit", killChildren);
// The test runner ends a file that overran its timeout with a signal, which skips "exit".
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    killChildren();
    process.exit(128 + (signal === "SIGTERM" ? 15 : 2));
  });
}

/** Kill `child` when this process exits; it no longer keeps this process alive by itself. */
export function reap(child: ChildProcess): void {
  children.add(child);
  child.once("exit", () => children.delete(child));
}

export interface GatewayOptions {
  dev?: boolean;
  /** Extra `serve` flags, e.g. TLS files or --no-delivery-extension. */
  extra?: string[];
  /** Reuse a data dir (a restart keeps the SQLite store). */
  dataDir?: string;
  port?: number;
}

export class Gateway {
  private proc: ChildProcess | undefined;
  target = "";
  port = 0;
  readonly dataDir: string;
  private readonly ownsDir: boolean;

  constructor(private readonly options: GatewayOptions = {}) {
    this.ownsDir = options.dataDir === undefined;
    this.dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "aether-ts-gw-"));
    this.port = options.port ?? 0;
  }

  /** Start and resolve once it printed "aether-gateway listening on HOST:PORT". */
  async start(): Promise<this> {
    const args = ["-m", "aether_gateway", "serve", "--port", String(this.port)];
    args.push("--data-dir", this.dataDir, "--log-level", "WARNING", ...(this.options.extra ?? []));
    if (this.options.dev ?? true) args.push("--dev");
    const proc = spawn(PYTHON, args, { stdio: ["ignore", "pipe", "pipe"] });
    reap(proc);
    this.proc = proc;
    let stderr = "";
    proc.stderr.setEncoding("utf8");
    proc.stderr.on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    this.target = await new Promise<string>((resolveTarget, reject) => {
      let out = "";
      const timer = setTimeout(() => fail(`no "listening" line within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
      function fail(why: string): void {
        clearTimeout(timer);
        proc.kill("SIGKILL");
        reject(new Error(`gateway did not start (${why}); AETHER_PYTHON=${PYTHON} must have aether-gateway installed\n${stderr}`));
      }
      proc.stdout.setEncoding("utf8");
      proc.stdout.on("data", (chunk: string) => {
        out += chunk;
        const m = /aether-gateway listening on (\S+):(\d+)/.exec(out);
        if (m !== null) {
          clearTimeout(timer);
          this.port = Number(m[2]);
          // From here the gateway does not keep the test process alive (the exit hook kills it).
          proc.unref();
          for (const stream of [proc.stdout, proc.stderr]) (stream as unknown as { unref(): void }).unref();
          resolveTarget(`${m[1]}:${m[2]}`);
        }
      });
      proc.once("exit", (code) => fail(`exit ${String(code)}`));
      proc.once("error", (error) => fail(error.message));
    });
    return this;
  }

  /** SIGKILL: no goodbye to any client (the crash the reconnect tests need). */
  async kill9(): Promise<void> {
    await this.signal("SIGKILL");
  }

  /** SIGTERM: the gateway sends GRACEFUL_DISCONNECT and stops. */
  async stop(): Promise<void> {
    await this.signal("SIGTERM");
  }

  /** SIGSTOP: the process holds its sockets but answers nothing until resume(). */
  pause(): void {
    this.proc?.kill("SIGSTOP");
  }

  resume(): void {
    this.proc?.kill("SIGCONT");
  }

  /** Start again on the same port with the same data dir. */
  async restart(): Promise<this> {
    return this.start();
  }

  async dispose(): Promise<void> {
    await this.signal("SIGKILL");
    if (this.ownsDir) rmSync(this.dataDir, { recursive: true, force: true });
  }

  private async signal(sig: NodeJS.Signals): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.ref(); // keep this process alive while we wait for the exit
    const exited = new Promise<void>((done) => proc.once("exit", () => done()));
    proc.kill("SIGCONT"); // a paused gateway cannot act on SIGTERM
    proc.kill(sig);
    await exited;
  }
}

export async function startGateway(options: GatewayOptions = {}): Promise<Gateway> {
  return new Gateway(options).start();
}

/** Run a Python one-off (the gateway's admin CLI, the test PKI) and return its stdout. */
export function runPython(args: string[]): string {
  const result = spawnSync(PYTHON, args, { encoding: "utf8", timeout: 60_000 });
  if (result.status !== 0) {
    throw new Error(`${PYTHON} ${args.join(" ")} failed (${String(result.status)}):\n${result.stderr}`);
  }
  return result.stdout;
}

/** Clients connected while a test runs, closed after it whether it passed or not: a failing
 * test must not leave a client reconnecting forever (which would keep the test file alive). */
let collecting = false;
const connected = new Set<BaseClient>();
const connect = BaseClient.prototype.connect; // eslint-disable-line @typescript-eslint/unbound-method
BaseClient.prototype.connect = function (this: BaseClient, ...args: Parameters<BaseClient["connect"]>) {
  if (collecting) connected.add(this);
  return connect.apply(this, args);
};

/** Call at the top of a test file: every client a test connects is closed after that test
 * (clients connected in before() hooks are the file's to close). */
export function closeClientsAfterEachTest(): void {
  beforeEach(() => {
    collecting = true;
  });
  afterEach(async () => {
    collecting = false;
    const clients = [...connected];
    connected.clear();
    await Promise.allSettled(clients.map((c) => c.close()));
  });
}

/** Resolve once `check()` is true; reject after `timeoutMs` with `what` (never a bare sleep). */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A queue a handler pushes into and a test awaits from, with a deadline. */
export class Inbox<T> {
  private items: T[] = [];
  private waiters: ((item: T) => void)[] = [];

  readonly push = (item: T): void => {
    const waiter = this.waiters.shift();
    if (waiter !== undefined) waiter(item);
    else this.items.push(item);
  };

  get size(): number {
    return this.items.length;
  }

  async next(what: string, timeoutMs = 10_000): Promise<T> {
    const ready = this.items.shift();
    if (ready !== undefined) return ready;
    return new Promise<T>((resolveItem, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const waiter = (item: T): void => {
        clearTimeout(timer);
        resolveItem(item);
      };
      this.waiters.push(waiter);
    });
  }
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);
export const str = (b: Uint8Array): string => new TextDecoder().decode(b);

/** A unique-enough name so tests sharing a gateway never collide on identities or keys. */
export function unique(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
}
