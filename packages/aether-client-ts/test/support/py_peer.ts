/** Drives test/support/py_peer.py: a Python SDK agent in its own process, one JSON line per
 * command and per answer. */

import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";

import { Inbox, PYTHON, SUPPORT_DIR, reap } from "./gateway.js";

export interface PeerMessage {
  source: string;
  type: number;
  payload: Uint8Array;
}

type Reply = Record<string, unknown> & { id: number };

export const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64");
export const unb64 = (text: unknown): Uint8Array => new Uint8Array(Buffer.from(String(text), "base64"));

export class PythonPeer {
  readonly messages = new Inbox<PeerMessage>();
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly replies = new Map<number, (reply: Reply) => void>();
  private nextId = 1;
  private readonly ready: Promise<void>;
  private stderr = "";

  constructor(target: string, workspace: string, implementation: string, specifier: string) {
    const script = join(SUPPORT_DIR, "py_peer.py");
    this.proc = spawn(PYTHON, [script, target, workspace, implementation, specifier]);
    reap(this.proc);
    this.proc.stderr.setEncoding("utf8");
    this.proc.stderr.on("data", (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-4000);
    });
    let markReady: () => void = () => undefined;
    let failReady: (error: Error) => void = () => undefined;
    this.ready = new Promise((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    this.proc.once("exit", (code) => failReady(new Error(`python peer exited (${String(code)}):\n${this.stderr}`)));
    createInterface({ input: this.proc.stdout }).on("line", (line) => {
      const obj = JSON.parse(line) as Record<string, unknown>;
      if (obj.event === "ready") {
        markReady();
      } else if (obj.event === "message") {
        this.messages.push({ source: String(obj.source), type: Number(obj.type), payload: unb64(obj.payload) });
      } else if (typeof obj.id === "number") {
        this.replies.get(obj.id)?.(obj as Reply);
        this.replies.delete(obj.id);
      }
    });
  }

  /** Resolves once the Python agent completed its handshake. */
  async started(timeoutMs = 20_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`python peer not ready in ${timeoutMs} ms:\n${this.stderr}`)), timeoutMs);
    });
    try {
      await Promise.race([this.ready, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Run one command; resolves with the peer's answer. */
  call(op: string, args: Record<string, unknown> = {}, timeoutMs = 20_000): Promise<Reply> {
    const id = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`python peer did not answer ${op} in ${timeoutMs} ms:\n${this.stderr}`)), timeoutMs);
      this.replies.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      this.proc.stdin.write(`${JSON.stringify({ id, op, ...args })}\n`);
    });
  }

  async close(): Promise<void> {
    if (this.proc.exitCode === null) {
      const exited = new Promise<void>((resolve) => this.proc.once("exit", () => resolve()));
      await this.call("close").catch(() => undefined);
      this.proc.stdin.end();
      await exited;
    }
  }
}
