/**
 * TypeScript client benchmark: throughput and round trip of the SDK against a raw @grpc/grpc-js
 * stream sending the same frames, against the same gateway process, in the same run.
 *
 *     npm run bench -- [--messages 20000] [--pings 2000] [--rounds 3] [--window 1000] [--payload 128]
 *
 * Flavours (each with two agents: sender and receiver, or pinger and echo):
 *   raw grpc-js      makeBidiStreamRequest with the SDK's serializer: init, wait for ConnectionAck,
 *                    then SendMessage frames to "ag::<ws>::bench::<spec>"; write() backpressure honoured
 *   sdk best-effort  AgentClient with acknowledgedDelivery: false (the same frames on the wire)
 *   sdk acknowledged AgentClient with the delivery extension (ids, confirmations, acks: more frames)
 *
 * Throughput: one sender -> one receiver, N messages, at most `window` in flight (sent - received),
 * msgs/s over first send .. last receipt. Latency: ping-pong with an echo agent, 50 warm-up pings,
 * then `pings` measured; p50 and p99 of the round trip. Rounds rotate the flavour order; the table
 * shows medians. The gateway is `python -m aether_gateway serve` (AETHER_PYTHON), file SQLite.
 * Nothing here asserts a timing.
 */

import { execSync } from "node:child_process";
import { parseArgs } from "node:util";

import { Client, credentials, type ClientDuplexStream } from "@grpc/grpc-js";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";

import { AgentClient, CONNECT_METHOD, MessageType, defaultChannelOptions, proto } from "../src/index.js";
import { Gateway } from "../test/support/gateway.js";

const { values: args } = parseArgs({
  options: {
    messages: { type: "string", default: "20000" },
    pings: { type: "string", default: "2000" },
    rounds: { type: "string", default: "3" },
    window: { type: "string", default: "1000" },
    payload: { type: "string", default: "128" },
    quick: { type: "boolean", default: false },
  },
});
const QUICK = args.quick ?? false;
const N = QUICK ? 2000 : Number(args.messages);
const PINGS = QUICK ? 200 : Number(args.pings);
const ROUNDS = QUICK ? 1 : Number(args.rounds);
const WINDOW = Number(args.window);
const SIZE = Number(args.payload);
const WARMUP_PINGS = 50;

type Up = proto.UpstreamMessage;
type Down = proto.DownstreamMessage;

/** One agent of a flavour, as the benchmark drives it. */
interface BenchAgent {
  readonly specifier: string;
  onMessage: (payload: Uint8Array) => void;
  send(to: string, payload: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

const serialize = (m: Up): Buffer => {
  const b = toBinary(proto.UpstreamMessageSchema, m);
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
};
const deserialize = (b: Buffer): Down =>
  fromBinary(proto.DownstreamMessageSchema, new Uint8Array(b.buffer, b.byteOffset, b.byteLength));

class RawAgent {
  private readonly client: Client;
  private readonly call: ClientDuplexStream<Up, Down>;
  onMessage: (payload: Uint8Array) => void = () => undefined;
  private drained: (() => void) | undefined;

  constructor(target: string, readonly workspace: string, readonly specifier: string) {
    this.client = new Client(target, credentials.createInsecure(), defaultChannelOptions());
    this.call = this.client.makeBidiStreamRequest(CONNECT_METHOD, serialize, deserialize);
  }

  async connect(): Promise<void> {
    const identity = create(proto.AgentIdentitySchema, { workspace: this.workspace, implementation: "bench", specifier: this.specifier });
    const init = create(proto.InitConnectionSchema, { clientType: { case: "agent", value: identity } });
    await new Promise<void>((resolve, reject) => {
      this.call.on("error", reject);
      this.call.on("data", (frame: Down) => {
        if (frame.payload.case === "connectionAck") resolve();
        else if (frame.payload.case === "msg") this.onMessage(frame.payload.value.payload);
      });
      this.call.on("drain", () => this.drained?.());
      this.call.write(create(proto.UpstreamMessageSchema, { payload: { case: "init", value: init } }));
    });
  }

  /** The frame the SDK builds per send. */
  async send(to: string, payload: Uint8Array): Promise<void> {
    const msg = create(proto.SendMessageSchema, { targetTopic: `ag::${this.workspace}::bench::${to}`, payload, messageType: MessageType.OPAQUE });
    if (!this.call.write(create(proto.UpstreamMessageSchema, { payload: { case: "send", value: msg } }))) {
      await new Promise<void>((resolve) => (this.drained = resolve));
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.call.once("status", () => resolve());
      this.call.end();
    });
    this.client.close();
  }
}

class SdkAgent implements BenchAgent {
  onMessage: (payload: Uint8Array) => void = () => undefined;
  private readonly client: AgentClient;

  constructor(readonly workspace: string, readonly specifier: string, acknowledged: boolean) {
    this.client = new AgentClient(
      { workspace, implementation: "bench", specifier },
      { acknowledgedDelivery: acknowledged, handlers: { onMessage: (m) => this.onMessage(m.payload) } },
    );
  }

  async connect(target: string): Promise<void> {
    await this.client.connect(target);
  }

  send(to: string, payload: Uint8Array): Promise<void> {
    return this.client.sendMessageToAgent(this.workspace, "bench", to, payload);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

interface Flavour {
  label: string;
  make(target: string, workspace: string, specifier: string): Promise<BenchAgent>;
}

const FLAVOURS: Flavour[] = [
  {
    label: "raw grpc-js",
    async make(target, workspace, specifier) {
      const agent = new RawAgent(target, workspace, specifier);
      await agent.connect();
      return agent;
    },
  },
  {
    label: "sdk best-effort",
    async make(target, workspace, specifier) {
      const agent = new SdkAgent(workspace, specifier, false);
      await agent.connect(target);
      return agent;
    },
  },
  {
    label: "sdk acknowledged",
    async make(target, workspace, specifier) {
      const agent = new SdkAgent(workspace, specifier, true);
      await agent.connect(target);
      return agent;
    },
  },
];

function body(marker: number): Uint8Array {
  const b = new Uint8Array(SIZE);
  b.fill(120);
  b[0] = marker;
  return b;
}

let runCounter = 0;
const nextWorkspace = (): string => `bench${process.pid}x${runCounter++}`;

/** msgs/s, and the CPU this process (both agents) spent per message in microseconds. */
async function throughput(flavour: Flavour, target: string): Promise<{ rate: number; cpuUs: number }> {
  const ws = nextWorkspace();
  const sender = await flavour.make(target, ws, "tx");
  const receiver = await flavour.make(target, ws, "rx");
  let received = 0;
  let wake: (() => void) | undefined;
  let wantBelow = 0;
  let warm: (() => void) | undefined;
  receiver.onMessage = (payload) => {
    if (payload[0] === 0) {
      warm?.();
      return;
    }
    received += 1;
    if (wake !== undefined && (received >= N || sent - received < wantBelow)) {
      const w = wake;
      wake = undefined;
      w();
    }
  };
  await new Promise<void>((resolve) => {
    warm = resolve;
    void sender.send("rx", body(0)); // both streams are up before the clock starts
  });
  const payload = body(1);
  let sent = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  while (sent < N) {
    if (sent - received >= WINDOW) {
      wantBelow = WINDOW / 2;
      await new Promise<void>((resolve) => (wake = resolve));
    }
    await sender.send("rx", payload);
    sent += 1;
  }
  if (received < N) {
    wantBelow = 0;
    await new Promise<void>((resolve) => (wake = resolve));
  }
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  await sender.close();
  await receiver.close();
  return { rate: N / seconds, cpuUs: (used.user + used.system) / N };
}

async function latency(flavour: Flavour, target: string): Promise<{ p50: number; p99: number }> {
  const ws = nextWorkspace();
  const pinger = await flavour.make(target, ws, "ping");
  const echo = await flavour.make(target, ws, "echo");
  echo.onMessage = (payload) => void echo.send("ping", payload);
  let answered: (() => void) | undefined;
  pinger.onMessage = () => answered?.();
  const payload = body(2);
  const samples: number[] = [];
  for (let i = 0; i < WARMUP_PINGS + PINGS; i += 1) {
    const start = process.hrtime.bigint();
    await new Promise<void>((resolve) => {
      answered = resolve;
      void pinger.send("echo", payload);
    });
    if (i >= WARMUP_PINGS) samples.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  await pinger.close();
  await echo.close();
  samples.sort((a, b) => a - b);
  const at = (q: number): number => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? NaN;
  return { p50: at(0.5), p99: at(0.99) };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
};

async function main(): Promise<void> {
  const gateway = await new Gateway().start();
  const results = new Map<string, { tput: number[]; cpu: number[]; p50: number[]; p99: number[] }>();
  for (const f of FLAVOURS) results.set(f.label, { tput: [], cpu: [], p50: [], p99: [] });
  let commit = "unknown";
  try {
    commit = execSync("git rev-parse --short HEAD", { encoding: "utf8" }).trim();
  } catch {
    // not a checkout
  }
  console.log(`client bench: node ${process.versions.node}, commit ${commit}, ${N} messages of ${SIZE} B (window ${WINDOW}), ${PINGS} pings, ${ROUNDS} round(s)`);
  try {
    for (let round = 0; round < ROUNDS; round += 1) {
      const order = FLAVOURS.map((_, i) => FLAVOURS[(i + round) % FLAVOURS.length] as Flavour);
      for (const f of order) {
        const r = results.get(f.label);
        if (r === undefined) continue;
        const { rate, cpuUs } = await throughput(f, gateway.target);
        const { p50, p99 } = await latency(f, gateway.target);
        r.tput.push(rate);
        r.cpu.push(cpuUs);
        r.p50.push(p50);
        r.p99.push(p99);
        console.log(
          `  round ${round + 1} ${f.label}: ${rate.toFixed(0)} msgs/s (client CPU ${cpuUs.toFixed(1)} us/msg), rtt p50 ${p50.toFixed(0)} us, p99 ${p99.toFixed(0)} us`,
        );
      }
    }
  } finally {
    await gateway.dispose();
  }
  const raw = results.get("raw grpc-js");
  const rawT = median(raw?.tput ?? []);
  const rawP = median(raw?.p50 ?? []);
  const rawC = median(raw?.cpu ?? []);
  console.log("\n| flavour | msgs/s | client CPU us/msg | rtt p50 us | rtt p99 us | throughput vs raw | CPU vs raw | p50 vs raw |");
  console.log("|---|---|---|---|---|---|---|---|");
  for (const [label, r] of results) {
    const t = median(r.tput);
    const c = median(r.cpu);
    const p = median(r.p50);
    console.log(
      `| ${label} | ${t.toFixed(0)} | ${c.toFixed(1)} | ${p.toFixed(0)} | ${median(r.p99).toFixed(0)} | ${(t / rawT).toFixed(2)}x | ${(c / rawC).toFixed(2)}x | ${(p / rawP).toFixed(2)}x |`,
    );
  }
}

await main();
