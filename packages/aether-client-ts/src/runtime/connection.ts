/**
 * The protocol core: one identity's bidirectional stream to the gateway, across reconnects.
 *
 * It owns the gRPC stream, the handshake, request/response correlation by request_id, downstream
 * dispatch to handlers, reconnection with session resume, the bounded outbound buffer and the
 * delivery extension. The counterpart of the Python SDK's _core/connection.py; Node runs it on
 * one thread, so there are no locks, only promises and stream events.
 */

import { randomUUID } from "node:crypto";

import { Client, type ChannelOptions, type ClientDuplexStream } from "@grpc/grpc-js";
import { clone, create, fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";

import type { AllHandlers, HandlerName, HandlerResult } from "../generated/callbacks.js";
import { ARM_BY_MESSAGE, MESSAGE_TYPE_CALLBACKS, ROUTES, type DownstreamArm } from "../generated/dispatch.js";
import { CONNECT_METHOD } from "../generated/service.js";
import {
  BuildInfoSchema,
  DownstreamMessageSchema,
  ErrorResponseSchema,
  InitConnectionSchema,
  ProxyErrorSchema,
  ProxyError_Kind,
  ProxyHttpResponseSchema,
  Signal_SignalType,
  SwitchWorkspaceSchema,
  UpstreamMessageSchema,
  type ConnectionAck,
  type DownstreamMessage,
  type IncomingMessage,
  type InitConnection,
  type NegotiatedExtension,
  type ProxyHttpRequest,
  type SendConfirm,
  type Signal,
  type UpstreamMessage,
} from "../proto/aether/v1/aether_pb.js";
import type { Backoff, RetryBudget } from "./backoff.js";
import * as delivery from "./delivery.js";
import {
  AetherError,
  ConnectionClosedError,
  ConnectionError,
  NotImplementedError,
  ReconnectionError,
  TimeoutError,
  errorResponseToAetherError,
  fromGrpcError,
  isRecoverableError,
} from "./errors.js";
import { Outbox } from "./outbox.js";
import { channelCredentials, type ResolvedTls } from "./tls.js";

export const SDK_VERSION = "0.1.0";
export const HANDSHAKE_TIMEOUT_MS = 30_000;
/** Best effort (a gateway without the delivery extension): aether.v1 has no send acknowledgement,
 * so sends written just before a stream died may never have reached the gateway. Those written in
 * the last RESEND_WINDOW_MS go out again on the next stream. With the extension every unconfirmed
 * send is resent instead. */
export const RESEND_WINDOW_MS = 250;
/** close() gives up flushing when the gateway takes nothing for this long... */
export const CLOSE_FLUSH_MS = 10_000;
/** ...and waits at most this long for the gateway to finish reading what was flushed. */
export const CLOSE_DRAIN_MS = 60_000;
/** Responses the Go gateway sends without echoing request_id: matched to the oldest pending call. */
const FIFO_ARMS: ReadonlySet<DownstreamArm> = new Set(["workspace", "agent", "acl"]);

type Call = ClientDuplexStream<UpstreamMessage, DownstreamMessage>;
const RESOLVED: Promise<void> = Promise.resolve();
type AnyHandler = (...args: unknown[]) => HandlerResult;

/** What the last ConnectionAck said. */
export interface ConnectionInfo {
  sessionId: string;
  resumed: boolean;
  assignedId: string;
  serverVersion: string;
  reconnectionCount: number;
  initialConnectionUnixMs: bigint;
  negotiatedExtensions: NegotiatedExtension[];
  serverSupportedExtensions: string[];
}

function emptyInfo(): ConnectionInfo {
  return {
    sessionId: "",
    resumed: false,
    assignedId: "",
    serverVersion: "",
    reconnectionCount: 0,
    initialConnectionUnixMs: 0n,
    negotiatedExtensions: [],
    serverSupportedExtensions: [],
  };
}

export interface ConnectionSettings {
  init: InitConnection;
  /** Read at connect: certificate files may appear after the client was built. */
  tls: () => ResolvedTls | null;
  backoff: Backoff;
  budget: RetryBudget;
  autoReconnect: boolean;
  bufferSize: number;
  acknowledgedDelivery: boolean;
  channelOptions: ChannelOptions;
  handlers: () => AllHandlers;
  /** Where handler exceptions go (they never reach the stream). */
  onHandlerError: (error: unknown, handler: string) => void;
}

export interface RequestOptions {
  /** Give up (TimeoutError) after this many milliseconds. */
  timeoutMs: number;
  /** Abort waiting (the promise rejects with the signal's reason). */
  signal?: AbortSignal | undefined;
  /** Safe to resend on a new stream after a disconnect (reads). */
  idempotent?: boolean;
  /** Names the operation in a TimeoutError. */
  operation?: string;
}

interface Pending {
  arm: DownstreamArm;
  frame: UpstreamMessage;
  idempotent: boolean;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/** Runs handlers one at a time, in arrival order, awaiting the promises they return; the stream
 * keeps resolving pending calls meanwhile, so a handler may itself await a call. When nothing is
 * queued a handler runs at once (no promise is made for a handler that returns nothing). */
class HandlerQueue {
  private tail: Promise<void> = Promise.resolve();
  private queued = 0;

  constructor(private readonly onError: (error: unknown, handler: string) => void) {}

  submit(name: string, handler: AnyHandler, args: unknown[], done?: () => void): void {
    if (this.queued === 0) {
      let result: HandlerResult;
      try {
        result = handler(...args);
      } catch (error) {
        this.onError(error, name);
        done?.();
        return;
      }
      if (!(result instanceof Promise)) {
        done?.();
        return;
      }
      // It went async: later handlers wait for it.
      this.queued += 1;
      this.tail = result.then(
        () => this.settled(done),
        (error: unknown) => {
          this.onError(error, name);
          this.settled(done);
        },
      );
      return;
    }
    this.queued += 1;
    this.tail = this.tail.then(async () => {
      try {
        await handler(...args);
      } catch (error) {
        this.onError(error, name);
      } finally {
        this.settled(done);
      }
    });
  }

  private settled(done: (() => void) | undefined): void {
    this.queued -= 1;
    done?.();
  }

  get size(): number {
    return this.queued;
  }

  /** Wait until the handlers queued so far ran, or `timeoutMs` passed. */
  async drain(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([this.tail, timeout]);
    clearTimeout(timer);
  }
}

function serialize(frame: UpstreamMessage): Buffer {
  const bytes = toBinary(UpstreamMessageSchema, frame);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function deserialize(bytes: Buffer): DownstreamMessage {
  // A plain view (no copy), so bytes fields are Uint8Array as declared, not Buffer subarrays.
  return fromBinary(DownstreamMessageSchema, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

/** Why a signal aborted, as an Error (an AbortSignal's reason may be anything). */
export function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new DOMException("This operation was aborted", "AbortError");
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function requestIdOf(frame: UpstreamMessage): { requestId: string } {
  const body = frame.payload.value as { requestId?: unknown } | undefined;
  if (body === undefined || typeof body.requestId !== "string") {
    throw new TypeError(`upstream ${String(frame.payload.case)} carries no request_id`);
  }
  return body as { requestId: string };
}

export class Connection {
  target = "";
  /** Set by switchWorkspace; declared again after a reconnect. */
  workspace = "";
  info: ConnectionInfo = emptyInfo();
  finalError: AetherError | undefined;
  connectedOnce = false;
  acknowledged = false;

  readonly outbox: Outbox;
  private readonly pending = new Map<string, Pending>();
  private readonly runtimeHandlers = new Map<DownstreamArm, (body: unknown) => void>();
  private readonly queue: HandlerQueue;
  private readonly ids = new delivery.MessageIds();
  private readonly unconfirmed = new delivery.Unconfirmed();
  private readonly seen = new delivery.SeenWindow();
  private readonly acks: delivery.AckBatcher;
  private recent: { at: number; frame: UpstreamMessage }[] = [];
  private tls: ResolvedTls | null = null;
  private client: Client | undefined;
  private call: Call | undefined;
  private connected = false;
  private started = false;
  private blocked = false; // the stream's write buffer is full: wait for "drain"
  private closing = false;
  private forced = false;
  private stopped = true;
  private early: DownstreamMessage[] = [];
  private written = 0;
  private stoppedWaiters: (() => void)[] = [];
  private sleeping: { timer: NodeJS.Timeout; wake: () => void } | undefined;

  constructor(private readonly settings: ConnectionSettings) {
    this.outbox = new Outbox(settings.bufferSize);
    this.queue = new HandlerQueue(settings.onHandlerError);
    this.acks = new delivery.AckBatcher((frame) => this.enqueue(frame));
  }

  get isConnected(): boolean {
    return this.connected;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** "acknowledged" when the current (or last) stream negotiated the delivery extension. */
  get deliveryMode(): delivery.DeliveryMode {
    return this.acknowledged ? delivery.ACKNOWLEDGED : delivery.BEST_EFFORT;
  }

  /** Sends not yet confirmed by the gateway (acknowledged mode). */
  get unconfirmedCount(): number {
    return this.unconfirmed.size;
  }

  // ------------------------------------------------------------------ lifecycle

  /** Open the stream and complete the handshake, retrying recoverable failures. */
  async connect(target: string, signal?: AbortSignal): Promise<void> {
    if (this.connected) {
      return;
    }
    signal?.throwIfAborted();
    this.tls = this.settings.tls();
    this.closing = this.forced = false;
    this.stopped = false;
    this.finalError = undefined;
    this.target = target;
    let attempt = 0;
    for (;;) {
      try {
        await this.open(this.info.sessionId !== "", signal);
        break;
      } catch (error) {
        this.dropChannel();
        if (signal?.aborted || !isRecoverableError(error) || !(error instanceof AetherError)) {
          this.stopped = true;
          throw error;
        }
        attempt += 1;
        if (this.settings.budget.exhausted(attempt)) {
          this.stopped = true;
          throw new ReconnectionError(`could not connect to ${target}: ${error.message}`, attempt);
        }
        await this.sleep(this.settings.backoff.delay(attempt), signal);
        if (this.closing) {
          throw new ConnectionClosedError("client closed while connecting", "closed");
        }
      }
    }
    this.start();
  }

  /** Flush what is queued, half-close, wait for the gateway to end the stream; idempotent. */
  async close(): Promise<void> {
    if (this.closing) {
      return this.waitStopped();
    }
    this.closing = true;
    this.wakeSleeper();
    this.acks.flush(); // what the handlers finished goes out with the rest
    const call = this.call;
    const wasConnected = this.connected;
    if (call !== undefined && wasConnected) {
      try {
        await this.flush();
        const ended = this.callEnded(call, CLOSE_DRAIN_MS);
        call.end();
        await ended;
      } catch {
        // a dying stream while closing: nothing left to save
      }
    }
    this.connected = false;
    this.outbox.setStreamUp(false);
    this.dropChannel();
    this.failPending(new ConnectionClosedError("client closed", "client closed"));
    this.unconfirmed.failWaiters(new ConnectionClosedError("client closed before the gateway confirmed", "closed"));
    if (wasConnected) {
      this.fire("onDisconnect", "client closed");
    }
    await this.queue.drain(1000);
    this.markStopped();
  }

  /** Resolves once the connection is closed or gave up reconnecting. */
  waitStopped(): Promise<void> {
    if (this.stopped) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.stoppedWaiters.push(resolve));
  }

  // ------------------------------------------------------------------ sending

  /** Queue a frame; buffered while the stream is down (BufferFullError beyond the bound). */
  enqueue(frame: UpstreamMessage): void {
    if (this.stopped && this.connectedOnce) {
      throw new ConnectionClosedError("the client is closed", "closed");
    }
    this.outbox.put(frame);
    this.pump();
  }

  /** Enqueue, then wait while the live stream's backlog is over the bound (backpressure). Not
   * async: the common case returns one shared resolved promise (sends are the hot path). */
  send(frame: UpstreamMessage): Promise<void> {
    try {
      this.enqueue(frame);
    } catch (error) {
      return Promise.reject(asError(error));
    }
    return this.outbox.crowded ? this.outbox.room() : RESOLVED;
  }

  /** Send, then resolve once the gateway confirmed it committed the message durably. */
  async sendCommitted(frame: UpstreamMessage, timeoutMs: number): Promise<void> {
    if (!this.acknowledged || frame.payload.case !== "send") {
      throw new NotImplementedError(
        `waitForCommit needs a gateway that negotiates the delivery extension (${delivery.DELIVERY_URI}); this connection runs ${this.deliveryMode}`,
        "ERR_EXTENSION_UNSUPPORTED",
      );
    }
    const messageId = this.ids.next();
    frame.payload.value.messageId = messageId;
    let timer: NodeJS.Timeout | undefined;
    const committed = new Promise<void>((resolve, reject) => {
      this.unconfirmed.waiters.set(messageId, { resolve, reject });
      timer = setTimeout(
        () => reject(new TimeoutError("the gateway did not confirm the message", "waitForCommit", timeoutMs)),
        timeoutMs,
      );
    });
    try {
      await this.send(frame);
      await committed;
    } finally {
      clearTimeout(timer);
      this.unconfirmed.waiters.delete(messageId);
    }
  }

  /** Send a request; resolve with its `expect` response, matched by request_id. */
  request<D extends DescMessage>(frame: UpstreamMessage, expect: D, options: RequestOptions): Promise<MessageShape<D>> {
    const arm = ARM_BY_MESSAGE[expect.typeName];
    if (arm === undefined) {
      throw new TypeError(`${expect.typeName} is not a downstream message`);
    }
    const body = requestIdOf(frame);
    const rid = body.requestId || randomUUID().replaceAll("-", "");
    body.requestId = rid;
    const { signal, timeoutMs } = options;
    return new Promise<MessageShape<D>>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortReason(signal));
        return;
      }
      const onAbort = (): void => {
        cleanup();
        reject(abortReason(signal));
      };
      const timer = setTimeout(() => {
        cleanup();
        const what = options.operation ?? frame.payload.case ?? "request";
        reject(new TimeoutError(`no ${arm} response within ${timeoutMs} ms`, what, timeoutMs));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.pending.delete(rid);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.pending.set(rid, {
        arm,
        frame,
        idempotent: options.idempotent ?? false,
        resolve: (value) => {
          cleanup();
          resolve(value as MessageShape<D>);
        },
        reject: (error) => {
          cleanup();
          reject(error);
        },
      });
      try {
        this.enqueue(frame);
      } catch (error) {
        cleanup();
        reject(asError(error));
      }
    });
  }

  /** Hand every frame of a runtime DownstreamMessage case to `handler` (one per case). */
  addRuntimeHandler(arm: DownstreamArm, handler: (body: unknown) => void): void {
    if (ROUTES[arm].kind !== "runtime" || arm === "connectionAck") {
      throw new TypeError(`${arm} is not a runtime DownstreamMessage case`);
    }
    const current = this.runtimeHandlers.get(arm);
    if (current !== undefined && current !== handler) {
      throw new TypeError(`a runtime handler for ${arm} is already registered`);
    }
    this.runtimeHandlers.set(arm, handler);
  }

  // ------------------------------------------------------------------ stream

  private initFrame(resume: boolean): UpstreamMessage {
    const init = clone(InitConnectionSchema, this.settings.init);
    if (resume && this.info.sessionId) {
      init.resumeSessionId = this.info.sessionId;
    }
    init.clientVersion = SDK_VERSION;
    init.clientSdk = "typescript";
    init.clientBuildInfo = create(BuildInfoSchema, {
      runtime: `node${process.versions.node}`,
      os: `${process.platform}/${process.arch}`,
    });
    if (this.settings.acknowledgedDelivery && !init.extensions.some((e) => e.uri === delivery.DELIVERY_URI)) {
      init.extensions = [...init.extensions, delivery.declaration()];
    }
    return create(UpstreamMessageSchema, { payload: { case: "init", value: init } });
  }

  /** New channel and stream; send init; wait for ConnectionAck. Frames before it are kept. */
  private open(resume: boolean, signal?: AbortSignal): Promise<void> {
    this.dropChannel();
    const client = new Client(this.target, channelCredentials(this.tls), this.settings.channelOptions);
    const call = client.makeBidiStreamRequest(CONNECT_METHOD, serialize, deserialize);
    this.client = client;
    this.call = call;
    const early: DownstreamMessage[] = [];
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (error?: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        call.off("data", onData);
        call.off("error", onError);
        call.off("end", onEnd);
        if (error !== undefined) {
          call.on("error", () => undefined); // cancelling emits one more
          call.cancel();
          reject(error);
          return;
        }
        this.attachReader(call, early);
        resolve();
      };
      const onData = (frame: DownstreamMessage): void => {
        if (frame.payload.case === "connectionAck") {
          this.onAck(frame.payload.value);
          finish();
        } else {
          early.push(frame); // queued messages replayed before the ack
        }
      };
      const onError = (error: unknown): void => finish(fromGrpcError(error));
      const onEnd = (): void => finish(new ConnectionError("stream ended before ConnectionAck"));
      const onAbort = (): void => finish(abortReason(signal));
      const timer = setTimeout(
        () => finish(new TimeoutError("no ConnectionAck", "connect", HANDSHAKE_TIMEOUT_MS)),
        HANDSHAKE_TIMEOUT_MS,
      );
      signal?.addEventListener("abort", onAbort, { once: true });
      call.on("data", onData);
      call.on("error", onError);
      call.on("end", onEnd);
      call.write(this.initFrame(resume));
    });
  }

  /** Steady-state listeners, attached in the same tick as the ack so no frame slips past. */
  private attachReader(call: Call, early: DownstreamMessage[]): void {
    this.early = early;
    this.started = false;
    this.blocked = false;
    this.connectedOnce = true;
    this.connected = true;
    if (this.workspace && this.settings.init.clientType.case === "user") {
      // The gateway forgets a user's workspace with the old stream; declare it again first.
      const value = create(SwitchWorkspaceSchema, { newWorkspaceId: this.workspace });
      call.write(create(UpstreamMessageSchema, { payload: { case: "switchWorkspace", value } }));
    }
    let ended = false;
    const lost = (error: AetherError | undefined): void => {
      if (ended) return;
      ended = true;
      if (call !== this.call || this.closing) return;
      const reason = error === undefined ? "connection lost" : `connection lost: ${error.message}`;
      void this.onLost(reason, error);
    };
    call.on("data", (frame: DownstreamMessage) => {
      if (call !== this.call) return;
      if (this.started) {
        this.dispatch(frame);
      } else {
        this.early.push(frame);
      }
    });
    call.on("error", (error: unknown) => lost(fromGrpcError(error)));
    call.on("end", () => lost(undefined));
  }

  private onAck(ack: ConnectionAck): void {
    this.acknowledged = this.settings.acknowledgedDelivery && delivery.negotiated(ack);
    if (!this.acknowledged) {
      this.unconfirmed.failWaiters(
        new NotImplementedError("the gateway does not confirm messages (no delivery extension)", "ERR_EXTENSION_UNSUPPORTED"),
      );
    }
    this.info = {
      sessionId: ack.sessionId,
      resumed: ack.resumed,
      assignedId: ack.assignedId,
      serverVersion: ack.serverVersion,
      reconnectionCount: ack.reconnectionCount,
      initialConnectionUnixMs: ack.initialConnectionUnixMs,
      negotiatedExtensions: [...ack.negotiatedExtensions],
      serverSupportedExtensions: [...ack.serverSupportedExtensions],
    };
  }

  private start(): void {
    this.outbox.setStreamUp(true);
    this.started = true;
    this.fire("onConnect");
    const early = this.early;
    this.early = [];
    for (const frame of early) {
      this.dispatch(frame);
    }
    this.pump();
  }

  /** Move queued frames into the stream while it takes them. */
  private pump(): void {
    const call = this.call;
    if (!this.started || !this.connected || call === undefined || this.blocked) {
      return;
    }
    const acknowledged = this.acknowledged;
    let frame: UpstreamMessage | undefined;
    while ((frame = this.outbox.shift()) !== undefined) {
      const send = frame.payload.case === "send" ? frame.payload.value : undefined;
      if (send !== undefined && acknowledged && !send.messageId) {
        send.messageId = this.ids.next();
      }
      const more = call.write(frame);
      this.written += 1;
      if (send !== undefined) {
        if (acknowledged) {
          this.unconfirmed.written(send.messageId, frame);
        } else {
          this.rememberRecent(frame);
        }
      }
      if (!more) {
        this.blocked = true;
        call.once("drain", () => {
          if (call !== this.call) return;
          this.blocked = false;
          this.pump();
        });
        break;
      }
    }
    this.outbox.releaseWaiters();
  }

  private rememberRecent(frame: UpstreamMessage): void {
    const now = performance.now();
    this.recent.push({ at: now, frame });
    let drop = 0;
    while (drop < this.recent.length && this.recent[drop]!.at < now - RESEND_WINDOW_MS) drop += 1;
    if (drop > 0) this.recent.splice(0, drop);
  }

  /** Wait until our buffer went into the stream, as long as the stream keeps taking frames. */
  private async flush(): Promise<void> {
    let lastProgress = performance.now();
    let before = this.written;
    while (this.outbox.length > 0 && this.connected && this.started) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (this.written !== before) {
        before = this.written;
        lastProgress = performance.now();
      } else if (performance.now() - lastProgress > CLOSE_FLUSH_MS) {
        throw new TimeoutError("no progress flushing the outbound buffer", "close", CLOSE_FLUSH_MS);
      }
    }
  }

  private callEnded(call: Call, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      call.once("status", done);
      call.once("error", done);
    });
  }

  /** The stream ended: tell the user once, then reconnect if that can help. */
  private async onLost(reason: string, error: AetherError | undefined): Promise<void> {
    this.connected = false;
    this.started = false;
    this.outbox.setStreamUp(false);
    this.fire("onDisconnect", reason);
    const recoverable = error === undefined || isRecoverableError(error);
    if (this.closing || this.forced || !this.settings.autoReconnect || !recoverable) {
      this.stop(error ?? new ConnectionClosedError(reason, reason));
      return;
    }
    // Last requeued goes first: idempotent calls, then recent sends, then unconfirmed sends.
    this.outbox.requeueFront(this.unconfirmed.takeAll());
    this.outbox.requeueFront(this.takeRecent());
    this.requeueIdempotent();
    let attempt = 0;
    while (!this.closing) {
      attempt += 1;
      if (this.settings.budget.exhausted(attempt)) {
        this.stop(new ReconnectionError(`gave up reconnecting to ${this.target}`, attempt - 1));
        return;
      }
      await this.sleep(this.settings.backoff.delay(attempt));
      if (this.closing) return;
      try {
        await this.open(true);
      } catch (failure) {
        this.dropChannel();
        if (!isRecoverableError(failure)) {
          this.stop(failure instanceof AetherError ? failure : new ConnectionError(String(failure)));
          return;
        }
        continue;
      }
      if (this.closing) return;
      this.start();
      return;
    }
  }

  private takeRecent(): UpstreamMessage[] {
    const horizon = performance.now() - RESEND_WINDOW_MS;
    const frames = this.recent.filter((r) => r.at >= horizon).map((r) => r.frame);
    this.recent = [];
    return frames;
  }

  /** Resend idempotent calls on the next stream; fail the others at once. */
  private requeueIdempotent(): void {
    const resend: UpstreamMessage[] = [];
    for (const [rid, pending] of this.pending) {
      if (pending.idempotent) {
        resend.push(pending.frame);
      } else {
        pending.reject(new ConnectionClosedError("connection lost before the response", rid));
      }
    }
    this.outbox.requeueFront(resend);
  }

  private stop(error: AetherError): void {
    this.finalError = error;
    const closed = new ConnectionClosedError(`connection lost: ${error.message}`, error.message);
    this.failPending(closed);
    this.unconfirmed.failWaiters(closed);
    this.dropChannel();
    this.markStopped();
  }

  private markStopped(): void {
    this.stopped = true;
    const waiters = this.stoppedWaiters;
    this.stoppedWaiters = [];
    for (const wake of waiters) wake();
  }

  private failPending(error: AetherError): void {
    for (const pending of [...this.pending.values()]) {
      pending.reject(error);
    }
  }

  private dropChannel(): void {
    const call = this.call;
    const client = this.client;
    this.call = undefined;
    this.client = undefined;
    if (call !== undefined) {
      call.on("error", () => undefined);
      call.cancel();
    }
    client?.close();
  }

  private sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        clearTimeout(timer);
        this.sleeping = undefined;
        reject(abortReason(signal));
      };
      const wake = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.sleeping = undefined;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleeping = { timer, wake };
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  private wakeSleeper(): void {
    this.sleeping?.wake();
  }

  // ------------------------------------------------------------------ dispatch

  private dispatch(frame: DownstreamMessage): void {
    const payload = frame.payload;
    if (payload.case === undefined) {
      return;
    }
    const arm = payload.case;
    const route = ROUTES[arm];
    if (payload.case === "error") {
      const pending = payload.value.requestId ? this.pending.get(payload.value.requestId) : undefined;
      if (pending !== undefined) {
        pending.reject(errorResponseToAetherError(payload.value));
        return;
      }
    } else if (route.correlated && this.resolvePending(arm, payload.value)) {
      return;
    }
    const runtime = this.runtimeHandlers.get(arm);
    if (runtime !== undefined) {
      runtime(payload.value);
      return;
    }
    switch (payload.case) {
      case "connectionAck":
        this.onAck(payload.value);
        return;
      case "signal":
        this.onSignal(payload.value);
        return;
      case "msg":
        this.onMessage(payload.value);
        return;
      case "sendConfirm":
        this.onSendConfirm(payload.value);
        return;
      case "proxyHttpRequest":
        this.refuseHttp(payload.value);
        return;
      default:
        for (const name of route.callbacks) {
          this.fire(name, payload.value);
        }
    }
  }

  private resolvePending(arm: DownstreamArm, body: object): boolean {
    const field = (body as { requestId?: unknown }).requestId;
    const rid = typeof field === "string" ? field : "";
    let pending = rid ? this.pending.get(rid) : undefined;
    if (pending === undefined && FIFO_ARMS.has(arm)) {
      pending = [...this.pending.values()].find((p) => p.arm === arm);
    }
    if (pending === undefined || pending.arm !== arm) {
      return false;
    }
    pending.resolve(body);
    return true;
  }

  /** Hand a message to its handlers; with the extension, drop duplicates and acknowledge it once
   * every handler settled (a crash before that means redelivery, not loss). */
  private onMessage(msg: IncomingMessage): void {
    const handlers = this.settings.handlers();
    const typed = MESSAGE_TYPE_CALLBACKS.get(msg.messageType);
    const names = [typed, "onMessage" as const].filter(
      (n): n is HandlerName => n !== undefined && handlers[n] !== undefined,
    );
    const tag = msg.deliveryTag;
    if (tag === 0n) {
      for (const name of names) this.fire(name, msg); // best effort, or a live-only lane
      return;
    }
    if (msg.messageId && !this.seen.firstTime(msg.messageId)) {
      this.acks.add(tag); // a resend or redelivery of a message the application already has
      return;
    }
    if (names.length === 0) {
      this.acks.add(tag);
      return;
    }
    let left = names.length;
    const done = (): void => {
      left -= 1;
      if (left === 0) this.acks.add(tag);
    };
    for (const name of names) {
      this.queue.submit(name, handlers[name] as AnyHandler, [msg], done);
    }
  }

  private onSendConfirm(confirm: SendConfirm): void {
    this.unconfirmed.confirm(confirm.committed);
    for (const refusal of confirm.refused) {
      const error = errorResponseToAetherError(
        create(ErrorResponseSchema, { code: refusal.code, message: refusal.message }),
      );
      this.unconfirmed.refuse(refusal.messageId, error);
    }
  }

  private onSignal(signal: Signal): void {
    if (signal.type === Signal_SignalType.FORCE_DISCONNECT) {
      this.forced = true; // a forced disconnect must not bring us straight back
    }
    this.fire("onSignal", signal);
  }

  /** Nothing serves HTTP on this client: answer at once so the caller does not wait. */
  private refuseHttp(request: ProxyHttpRequest): void {
    const error = create(ProxyErrorSchema, {
      kind: ProxyError_Kind.DIAL_FAILED,
      message: "no HTTP handler is served by this client",
    });
    const value = create(ProxyHttpResponseSchema, { requestId: request.requestId, error });
    this.enqueue(create(UpstreamMessageSchema, { payload: { case: "proxyHttpResponse", value } }));
  }

  private fire(name: HandlerName, ...args: unknown[]): void {
    const handler = this.settings.handlers()[name] as AnyHandler | undefined;
    if (handler !== undefined) {
      this.queue.submit(name, handler, args);
    }
  }
}
