/**
 * BaseClient: what every principal's client shares (lifecycle, messaging, KV, checkpoints, tasks,
 * admin). The per-principal classes (AgentClient, ...) are generated from schema/principals.yaml
 * and add the identity and the send helpers.
 *
 * Calls that await a response resolve with it, reject with the mapped error when the gateway
 * answers with an ErrorResponse, and reject with TimeoutError after `timeoutMs` (the Python SDK
 * returns None there; a rejected promise is the Node idiom). Every such call also takes an
 * AbortSignal.
 */

import type { ChannelOptions } from "@grpc/grpc-js";
import { create, type DescMessage, type MessageShape } from "@bufbuild/protobuf";

import type { AllHandlers, CommonHandlers } from "../generated/callbacks.js";
import { isIdempotent } from "../generated/operations.js";
import {
  ACLResponseSchema,
  AdminQuerySchema,
  AdminQuery_OpType,
  AdminResponseSchema,
  AgentResponseSchema,
  CheckpointOperation_OpType,
  CheckpointResponseSchema,
  CreateTaskResponseSchema,
  KVOperation_OpType,
  KVResponseSchema,
  MessageType,
  SessionOperationResponseSchema,
  SessionOperation_OpType,
  TaskOperationResponseSchema,
  TaskOperation_OpType,
  TaskQueryResponseSchema,
  TokenResponseSchema,
  WorkflowResponseSchema,
  WorkspaceFilterSchema,
  WorkspaceInfoSchema,
  WorkspaceOperationSchema,
  WorkspaceOperation_OpType,
  WorkspaceResponseSchema,
  type ACLOperation,
  type ACLResponse,
  type AdminQuery,
  type AdminResponse,
  type AgentOperation,
  type AgentResponse,
  type AuthorizationContext,
  type CheckpointResponse,
  type CreateTaskResponse,
  type ExtensionDeclaration,
  type InitConnection,
  type KVResponse,
  type NegotiatedExtension,
  type SessionOperation,
  type SessionOperationResponse,
  type TaskOperationResponse,
  type TaskQueryResponse,
  type TokenOperation,
  type TokenResponse,
  type UpstreamMessage,
  type WorkflowOperation,
  type WorkflowResponse,
  type WorkspaceOperation,
  type WorkspaceResponse,
} from "../proto/aether/v1/aether_pb.js";
import { Backoff, RetryBudget } from "./backoff.js";
import { Connection, type ConnectionInfo } from "./connection.js";
import type { DeliveryMode } from "./delivery.js";
import { type AetherError, InvalidArgumentError } from "./errors.js";
import * as ops from "./ops.js";
import { resolveTls, type TlsSetting } from "./tls.js";
import { checkIdentityField, checkNonNegative, checkTimeout, checkTopic } from "./validation.js";

export const DEFAULT_TARGET = "localhost:50051";
export const DEFAULT_BUFFER = 10_000;
const DEFAULT_TIMEOUT_MS = 5_000;
const ADMIN_TIMEOUT_MS = 10_000;

export interface ClientOptions<H extends CommonHandlers = CommonHandlers> {
  /** Sent in InitConnection.credentials, e.g. `{ api_key: "..." }`. */
  credentials?: Record<string, string>;
  /** Reconnect attempts in a row before giving up (ReconnectionError); 0 = no limit. Default 5. */
  maxRetries?: number;
  /** Wait before the first reconnect attempt; grows by `backoffMultiplier`. Default 1000. */
  initialBackoffMs?: number;
  /** Cap of the reconnect wait. Default 30000. */
  maxBackoffMs?: number;
  backoffMultiplier?: number;
  /** Reconnect (and resume the session) when the stream is lost. Default true. */
  autoReconnect?: boolean;
  tls?: TlsSetting;
  /** Extensions to declare in the handshake (the delivery extension is added unless disabled). */
  extensions?: ExtensionDeclaration[];
  /** Frames buffered while the stream is down; also the backpressure threshold. Default 10000. */
  bufferSize?: number;
  /** Ask the gateway for the delivery extension. Default true. */
  acknowledgedDelivery?: boolean;
  /** How long `waitForCommit` sends wait for the gateway's confirmation. Default 30000. */
  commitTimeoutMs?: number;
  handlers?: H;
  /** Where a handler's exception goes; it never reaches the stream. Default: console.error. */
  onHandlerError?: (error: unknown, handler: string) => void;
  /** Extra @grpc/grpc-js channel options (keepalive and message size are set already). */
  channelOptions?: ChannelOptions;
}

export interface SendOptions {
  authorization?: AuthorizationContext;
  /** Resolve only once the gateway confirmed it stored the message durably (needs the delivery
   * extension: see `deliveryMode`); rejects with the typed refusal, or TimeoutError. */
  waitForCommit?: boolean;
}

export interface CallOptions {
  /** Default 5000 (10000 for tasks and admin). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export type KVOptions = ops.KVTarget & CallOptions;

/** Keepalive so a dead gateway is noticed (the embedded gateway permits 30 s pings), and room
 * for messages up to 16 MiB. */
export function defaultChannelOptions(): ChannelOptions {
  const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
  return {
    "grpc.keepalive_time_ms": env("AETHER_GRPC_KEEPALIVE_TIME_MS", 30_000),
    "grpc.keepalive_timeout_ms": env("AETHER_GRPC_KEEPALIVE_TIMEOUT_MS", 10_000),
    "grpc.keepalive_permit_without_calls": 1,
    "grpc.max_receive_message_length": 16 << 20,
    "grpc.max_send_message_length": 16 << 20,
  };
}

export abstract class BaseClient<H extends CommonHandlers = CommonHandlers> {
  /** The handlers; replace or mutate at any time (looked up when a frame arrives). */
  handlers: H;
  commitTimeoutMs: number;
  protected readonly conn: Connection;

  constructor(init: InitConnection, options: ClientOptions<H> = {}) {
    const maxRetries = options.maxRetries ?? 5;
    checkNonNegative("maxRetries", maxRetries);
    const bufferSize = options.bufferSize ?? DEFAULT_BUFFER;
    if (!Number.isInteger(bufferSize) || bufferSize < 1) {
      throw new InvalidArgumentError("bufferSize must be a positive integer", "bufferSize");
    }
    const credentials = options.credentials ?? {};
    for (const [k, v] of Object.entries(credentials)) {
      if (typeof v !== "string") {
        throw new InvalidArgumentError(`credentials.${k} must be a string`, "credentials");
      }
    }
    init.credentials = { ...init.credentials, ...credentials };
    init.extensions = [...init.extensions, ...(options.extensions ?? [])];
    this.handlers = options.handlers ?? ({} as H);
    this.commitTimeoutMs = checkTimeout("commitTimeoutMs", options.commitTimeoutMs ?? 30_000);
    const tls = options.tls;
    const onHandlerError =
      options.onHandlerError ??
      ((error: unknown, handler: string) => console.error(`aether-client: handler ${handler} threw`, error));
    this.conn = new Connection({
      init,
      tls: () => resolveTls(tls),
      backoff: new Backoff(options.initialBackoffMs ?? 1000, options.maxBackoffMs ?? 30_000, options.backoffMultiplier ?? 2),
      budget: new RetryBudget(maxRetries),
      autoReconnect: options.autoReconnect ?? true,
      bufferSize,
      acknowledgedDelivery: options.acknowledgedDelivery ?? true,
      channelOptions: { ...defaultChannelOptions(), ...options.channelOptions },
      handlers: (): AllHandlers => this.handlers,
      onHandlerError,
    });
  }

  // ------------------------------------------------------------------ lifecycle

  /**
   * Connect and complete the handshake. Rejects at once with AuthenticationError,
   * PermissionDeniedError, DuplicateIdentityError or InvalidArgumentError, and with
   * ReconnectionError once the retry budget is spent on recoverable failures.
   */
  async connect(target: string = DEFAULT_TARGET, options: { signal?: AbortSignal } = {}): Promise<void> {
    checkTopic("target", target);
    await this.conn.connect(target, options.signal);
  }

  /** Flush queued frames, end the stream and release the identity; safe to call twice. */
  async close(): Promise<void> {
    await this.conn.close();
  }

  /** Supports `await using client = ...` where the runtime has explicit resource management. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Resolves once the client is closed or gave up reconnecting (not during a reconnect). */
  waitUntilDisconnected(): Promise<void> {
    return this.conn.waitStopped();
  }

  get target(): string {
    return this.conn.target;
  }

  get isConnected(): boolean {
    return this.conn.isConnected;
  }

  get isRunning(): boolean {
    return !this.conn.isStopped;
  }

  /** Session id, resume flag, assigned id, server version of the current connection. */
  get connectionInfo(): ConnectionInfo {
    return this.conn.info;
  }

  get sessionId(): string {
    return this.conn.info.sessionId;
  }

  /** The id the gateway gave this pooled (non-unique) task; "" otherwise. */
  get assignedId(): string {
    return this.conn.info.assignedId;
  }

  /** Why the client stopped (ReconnectionError after the retry budget, ...), if it did. */
  get lastError(): AetherError | undefined {
    return this.conn.finalError;
  }

  /** "acknowledged" when the gateway negotiated the delivery extension, else "best-effort". */
  get deliveryMode(): DeliveryMode {
    return this.conn.deliveryMode;
  }

  negotiatedExtensions(): NegotiatedExtension[] {
    return [...this.conn.info.negotiatedExtensions];
  }

  serverSupportedExtensions(): string[] {
    return [...this.conn.info.serverSupportedExtensions];
  }

  // ------------------------------------------------------------------ messaging

  /** Not async (the hot path): a bad argument becomes a rejected promise all the same. */
  protected sendTo(
    targetTopic: string,
    payload: Uint8Array,
    messageType: MessageType,
    options: SendOptions = {},
    appWorkspace = "",
  ): Promise<void> {
    let frame: UpstreamMessage;
    try {
      frame = ops.send(targetTopic, payload, messageType, options.authorization, appWorkspace);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return options.waitForCommit ? this.conn.sendCommitted(frame, this.commitTimeoutMs) : this.conn.send(frame);
  }

  /** Send to any topic string (the generated helpers build these for you). */
  async sendMessage(
    targetTopic: string,
    payload: Uint8Array,
    messageType: MessageType = MessageType.OPAQUE,
    options: SendOptions & { appWorkspace?: string } = {},
  ): Promise<void> {
    await this.sendTo(targetTopic, payload, messageType, options, options.appWorkspace ?? "");
  }

  /** Declare the user's active workspace; remembered and declared again after a reconnect. */
  switchWorkspace(newWorkspace: string): void {
    this.conn.enqueue(ops.switchWorkspace(newWorkspace));
    this.conn.workspace = newWorkspace;
  }

  reportProgress(taskId: string, options: ops.ProgressOptions = {}): void {
    this.conn.enqueue(ops.progress(taskId, options));
  }

  /** Build a frame, send it and await its `expect` response (the building block of every call
   * below). Building runs inside the promise, so a bad argument rejects instead of throwing. */
  protected async call<D extends DescMessage>(
    build: () => UpstreamMessage,
    expect: D,
    options: CallOptions,
    defaultMs: number,
  ): Promise<MessageShape<D>> {
    const timeoutMs = checkTimeout("timeoutMs", options.timeoutMs ?? defaultMs);
    const frame = build();
    // Whether it is resent after a reconnect is the operation table's (schema/operations.yaml).
    return await this.conn.request(frame, expect, { timeoutMs, signal: options.signal, idempotent: isIdempotent(frame) });
  }

  // ------------------------------------------------------------------ KV

  private kv(op: KVOperation_OpType, key: string, options: KVOptions, fields: ops.KVFields = {}): Promise<KVResponse> {
    const build = (): UpstreamMessage => ops.kv(op, key, options, fields);
    return this.call(build, KVResponseSchema, options, DEFAULT_TIMEOUT_MS);
  }

  kvGet(key: string, options: KVOptions = {}): Promise<KVResponse> {
    return this.kv(KVOperation_OpType.GET, key, options);
  }

  /** `ttl` in seconds (0: no expiry). */
  kvPut(key: string, value: Uint8Array, options: KVOptions & { ttl?: number } = {}): Promise<KVResponse> {
    return this.kv(KVOperation_OpType.PUT, key, options, { value, ttl: options.ttl ?? 0 });
  }

  kvList(keyPrefix = "", options: KVOptions & { limit?: number; cursor?: string } = {}): Promise<KVResponse> {
    return this.kv(KVOperation_OpType.LIST, keyPrefix, options, {
      limit: options.limit ?? 0,
      cursor: options.cursor ?? "",
    });
  }

  kvDelete(key: string, options: KVOptions = {}): Promise<KVResponse> {
    return this.kv(KVOperation_OpType.DELETE, key, options);
  }

  /** Add `delta` (default 1) to a counter; the new value is `counterValue`. */
  kvIncrement(key: string, options: KVOptions & { delta?: bigint; ttl?: number } = {}): Promise<KVResponse> {
    return this.kv(KVOperation_OpType.INCREMENT, key, options, { delta: options.delta ?? 1n, ttl: options.ttl ?? 0 });
  }

  kvDecrement(key: string, options: KVOptions & { delta?: bigint } = {}): Promise<KVResponse> {
    return this.kv(KVOperation_OpType.DECREMENT, key, options, { delta: options.delta ?? 1n });
  }

  /** Increment unless that would pass `ceiling`: the counter's value and whether it applied. */
  async kvIncrementIf(
    key: string,
    options: KVOptions & { delta?: bigint; ceiling?: bigint; ttl?: number } = {},
  ): Promise<{ value: bigint; applied: boolean }> {
    const r = await this.kv(KVOperation_OpType.INCREMENT_IF, key, options, {
      delta: options.delta ?? 1n,
      guard: options.ceiling ?? 0n,
      ttl: options.ttl ?? 0,
    });
    return { value: r.counterValue, applied: r.applied };
  }

  /** Decrement unless that would pass `floor`: the counter's value and whether it applied. */
  async kvDecrementIf(
    key: string,
    options: KVOptions & { delta?: bigint; floor?: bigint } = {},
  ): Promise<{ value: bigint; applied: boolean }> {
    const r = await this.kv(KVOperation_OpType.DECREMENT_IF, key, options, {
      delta: options.delta ?? 1n,
      guard: options.floor ?? 0n,
    });
    return { value: r.counterValue, applied: r.applied };
  }

  /** Set the key only if it does not exist; `applied` tells whether it did. */
  kvSetNx(key: string, value: Uint8Array, options: KVOptions & { ttl?: number } = {}): Promise<KVResponse> {
    return this.kv(KVOperation_OpType.SET_NX, key, options, { value, ttl: options.ttl ?? 0 });
  }

  /** Replace the value only if it equals `expected`; on failure `value` holds the current one. */
  kvCompareAndSet(
    key: string,
    expected: Uint8Array,
    value: Uint8Array,
    options: KVOptions & { ttl?: number } = {},
  ): Promise<KVResponse> {
    return this.kv(KVOperation_OpType.COMPARE_AND_SET, key, options, { value, expected, ttl: options.ttl ?? 0 });
  }

  /** Fire-and-forget put (an error comes back through `onError`). */
  kvPutNowait(key: string, value: Uint8Array, options: ops.KVTarget & { ttl?: number } = {}): void {
    this.conn.enqueue(ops.kv(KVOperation_OpType.PUT, key, options, { value, ttl: options.ttl ?? 0 }));
  }

  kvDeleteNowait(key: string, options: ops.KVTarget = {}): void {
    this.conn.enqueue(ops.kv(KVOperation_OpType.DELETE, key, options));
  }

  // ------------------------------------------------------------------ checkpoints

  private checkpoint(
    op: CheckpointOperation_OpType,
    options: CallOptions & { key?: string },
    data?: Uint8Array,
    ttl = -1,
  ): Promise<CheckpointResponse> {
    const build = (): UpstreamMessage => ops.checkpoint(op, options.key ?? "", data, ttl);
    return this.call(build, CheckpointResponseSchema, options, DEFAULT_TIMEOUT_MS);
  }

  /** Save this identity's checkpoint (`key` names one of several; `ttl` -1: gateway default). */
  checkpointSave(data: Uint8Array, options: CallOptions & { key?: string; ttl?: number } = {}): Promise<CheckpointResponse> {
    return this.checkpoint(CheckpointOperation_OpType.SAVE, options, data, options.ttl ?? -1);
  }

  checkpointLoad(options: CallOptions & { key?: string } = {}): Promise<CheckpointResponse> {
    return this.checkpoint(CheckpointOperation_OpType.LOAD, options);
  }

  checkpointDelete(options: CallOptions & { key?: string } = {}): Promise<CheckpointResponse> {
    return this.checkpoint(CheckpointOperation_OpType.DELETE, options);
  }

  checkpointList(options: CallOptions = {}): Promise<CheckpointResponse> {
    return this.checkpoint(CheckpointOperation_OpType.LIST, options);
  }

  // ------------------------------------------------------------------ tasks

  /** Create a task without waiting (see createTaskSync for the response). */
  createTask(taskType: string, workspace: string, options: ops.CreateTaskOptions = {}): void {
    this.conn.enqueue(ops.createTask(taskType, workspace, options));
  }

  createTaskSync(
    taskType: string,
    workspace: string,
    options: ops.CreateTaskOptions & CallOptions = {},
  ): Promise<CreateTaskResponse> {
    const build = (): UpstreamMessage => ops.createTask(taskType, workspace, options);
    return this.call(build, CreateTaskResponseSchema, options, ADMIN_TIMEOUT_MS);
  }

  queryTasks(filter: ops.TaskListFilter & CallOptions = {}): Promise<TaskQueryResponse> {
    return this.call(() => ops.taskQueryList(filter), TaskQueryResponseSchema, filter, ADMIN_TIMEOUT_MS);
  }

  getTask(taskId: string, options: CallOptions = {}): Promise<TaskQueryResponse> {
    return this.call(() => ops.taskQueryGet(taskId), TaskQueryResponseSchema, options, ADMIN_TIMEOUT_MS);
  }

  taskOperation(
    op: TaskOperation_OpType,
    taskId: string,
    reason = "",
    options: CallOptions = {},
  ): Promise<TaskOperationResponse> {
    return this.call(() => ops.taskOp(op, taskId, reason), TaskOperationResponseSchema, options, ADMIN_TIMEOUT_MS);
  }

  cancelTask(taskId: string, reason = "", options: CallOptions = {}): Promise<TaskOperationResponse> {
    return this.taskOperation(TaskOperation_OpType.CANCEL, taskId, reason, options);
  }

  completeTask(taskId: string, reason = "", options: CallOptions = {}): Promise<TaskOperationResponse> {
    return this.taskOperation(TaskOperation_OpType.COMPLETE, taskId, reason, options);
  }

  failTask(taskId: string, reason = "", options: CallOptions = {}): Promise<TaskOperationResponse> {
    return this.taskOperation(TaskOperation_OpType.FAIL, taskId, reason, options);
  }

  retryTask(taskId: string, reason = "", options: CallOptions = {}): Promise<TaskOperationResponse> {
    return this.taskOperation(TaskOperation_OpType.RETRY, taskId, reason, options);
  }

  // ------------------------------------------------------------------ admin

  workspaceOp(op: WorkspaceOperation, options: CallOptions = {}): Promise<WorkspaceResponse> {
    return this.call(() => ops.up({ case: "workspaceOp", value: op }), WorkspaceResponseSchema, options, ADMIN_TIMEOUT_MS);
  }

  agentOp(op: AgentOperation, options: CallOptions = {}): Promise<AgentResponse> {
    return this.call(() => ops.up({ case: "agentOp", value: op }), AgentResponseSchema, options, ADMIN_TIMEOUT_MS);
  }

  aclOp(op: ACLOperation, options: CallOptions = {}): Promise<ACLResponse> {
    return this.call(() => ops.up({ case: "aclOp", value: op }), ACLResponseSchema, options, ADMIN_TIMEOUT_MS);
  }

  tokenOp(op: TokenOperation, options: CallOptions = {}): Promise<TokenResponse> {
    return this.call(() => ops.up({ case: "tokenOp", value: op }), TokenResponseSchema, options, ADMIN_TIMEOUT_MS);
  }

  sessionOp(op: SessionOperation, options: CallOptions = {}): Promise<SessionOperationResponse> {
    return this.call(() => ops.up({ case: "sessionOp", value: op }), SessionOperationResponseSchema, options, ADMIN_TIMEOUT_MS);
  }

  workflowOp(op: WorkflowOperation, options: CallOptions = {}): Promise<WorkflowResponse> {
    return this.call(() => ops.up({ case: "workflowOp", value: op }), WorkflowResponseSchema, options, ADMIN_TIMEOUT_MS);
  }

  adminQuery(query: AdminQuery, options: CallOptions = {}): Promise<AdminResponse> {
    return this.call(() => ops.up({ case: "adminQuery", value: query }), AdminResponseSchema, options, ADMIN_TIMEOUT_MS);
  }

  /** Workflow engines answer a forwarded WorkflowOperation with this. */
  sendWorkflowResponse(response: WorkflowResponse): void {
    this.conn.enqueue(ops.up({ case: "workflowResponse", value: response }));
  }

  private session(build: () => SessionOperation, options: CallOptions): Promise<SessionOperationResponse> {
    const frame = (): UpstreamMessage => ops.up({ case: "sessionOp", value: build() });
    return this.call(frame, SessionOperationResponseSchema, options, ADMIN_TIMEOUT_MS);
  }

  private workspaceCall(build: () => WorkspaceOperation, options: CallOptions): Promise<WorkspaceResponse> {
    const frame = (): UpstreamMessage => ops.up({ case: "workspaceOp", value: build() });
    return this.call(frame, WorkspaceResponseSchema, options, ADMIN_TIMEOUT_MS);
  }

  listSessions(filter: ops.SessionFilter & CallOptions = {}): Promise<SessionOperationResponse> {
    return this.session(() => ops.sessionList(filter), filter);
  }

  getSession(sessionId: string, options: CallOptions = {}): Promise<SessionOperationResponse> {
    return this.session(() => ops.sessionById(SessionOperation_OpType.GET, sessionId), options);
  }

  /** Force a session off (it gets FORCE_DISCONNECT and does not reconnect). */
  disconnectSession(sessionId: string, reason = "", options: CallOptions = {}): Promise<SessionOperationResponse> {
    return this.session(() => ops.sessionById(SessionOperation_OpType.DISCONNECT, sessionId, reason), options);
  }

  listWorkspaces(options: CallOptions & { limit?: number; offset?: number } = {}): Promise<WorkspaceResponse> {
    return this.workspaceCall(() => {
      const filter = create(WorkspaceFilterSchema, {
        limit: checkNonNegative("limit", options.limit ?? 0),
        offset: checkNonNegative("offset", options.offset ?? 0),
      });
      return create(WorkspaceOperationSchema, { op: WorkspaceOperation_OpType.LIST, filter });
    }, options);
  }

  createWorkspace(
    workspaceId: string,
    options: CallOptions & { displayName?: string; description?: string; metadata?: Record<string, string> } = {},
  ): Promise<WorkspaceResponse> {
    return this.workspaceCall(() => {
      checkIdentityField("workspaceId", workspaceId, true);
      const workspace = create(WorkspaceInfoSchema, {
        workspaceId,
        displayName: options.displayName ?? "",
        description: options.description ?? "",
        metadata: { ...options.metadata },
      });
      return create(WorkspaceOperationSchema, { op: WorkspaceOperation_OpType.CREATE, workspaceId, workspace });
    }, options);
  }

  getWorkspace(workspaceId: string, options: CallOptions = {}): Promise<WorkspaceResponse> {
    return this.workspaceCall(() => create(WorkspaceOperationSchema, { op: WorkspaceOperation_OpType.GET, workspaceId }), options);
  }

  deleteWorkspace(workspaceId: string, options: CallOptions = {}): Promise<WorkspaceResponse> {
    return this.workspaceCall(() => create(WorkspaceOperationSchema, { op: WorkspaceOperation_OpType.DELETE, workspaceId }), options);
  }

  /** The gateway's health (AdminQuery GET_HEALTH). */
  health(options: CallOptions = {}): Promise<AdminResponse> {
    return this.adminQuery(create(AdminQuerySchema, { op: AdminQuery_OpType.GET_HEALTH }), options);
  }
}
