/** Builders of upstream frames for every operation: pure functions, checked before anything is sent. */

import { create, type MessageInitShape } from "@bufbuild/protobuf";

import {
  CheckpointOperationSchema,
  ConnectionFilterSchema,
  CreateTaskRequestSchema,
  KVOperationSchema,
  KVOperation_OpType,
  PrincipalType,
  ProgressReportSchema,
  ProgressStepSchema,
  SendMessageSchema,
  SessionOperationSchema,
  SessionOperation_OpType,
  SwitchWorkspaceSchema,
  TaskAssignmentMode,
  TaskFilterSchema,
  TaskOperationSchema,
  TaskQuerySchema,
  TaskQuery_OpType,
  TaskStatus,
  UpstreamMessageSchema,
  type AuthorizationContext,
  type CheckpointOperation_OpType,
  type MessageType,
  type ProgressKind,
  type RetryPolicy,
  type SessionOperation,
  type TaskClass,
  type TaskOperation_OpType,
  type TaskPriority,
  type UpstreamMessage,
} from "../proto/aether/v1/aether_pb.js";
import { InvalidArgumentError } from "./errors.js";
import {
  checkIdentityField,
  checkMessageType,
  checkNonNegative,
  checkPayload,
  checkScope,
  checkTopic,
  type KVScope,
} from "./validation.js";

type Payload = UpstreamMessage["payload"];

export function up(payload: Payload): UpstreamMessage {
  return create(UpstreamMessageSchema, { payload });
}

export function send(
  targetTopic: string,
  payload: Uint8Array,
  messageType: MessageType,
  authorization?: AuthorizationContext,
  appWorkspace = "",
): UpstreamMessage {
  const value = create(SendMessageSchema, {
    targetTopic: checkTopic("targetTopic", targetTopic),
    payload: checkPayload("payload", payload),
    messageType: checkMessageType(messageType),
    appWorkspace,
    authorization,
  });
  return up({ case: "send", value });
}

/** Where a KV key lives: the scope and, for user and workspace scopes, whose. */
export interface KVTarget {
  /** Default "global". */
  scope?: KVScope;
  userId?: string;
  workspace?: string;
  authorization?: AuthorizationContext;
}

export interface KVFields {
  value?: Uint8Array;
  /** Seconds; 0 keeps the key forever. */
  ttl?: number;
  guard?: bigint;
  delta?: bigint;
  expected?: Uint8Array;
  limit?: number;
  cursor?: string;
}

export function kv(op: KVOperation_OpType, key: string, target: KVTarget = {}, fields: KVFields = {}): UpstreamMessage {
  if (typeof key !== "string" || (key === "" && op !== KVOperation_OpType.LIST)) {
    throw new InvalidArgumentError("key must be a non-empty string", "key");
  }
  if (fields.delta !== undefined && fields.delta < 0n) {
    throw new InvalidArgumentError("delta must not be negative", "delta");
  }
  const value = create(KVOperationSchema, {
    op,
    key,
    scope: checkScope(target.scope ?? "global"),
    userId: checkIdentityField("userId", target.userId ?? "", false),
    workspace: checkIdentityField("workspace", target.workspace ?? "", false),
    value: fields.value === undefined ? new Uint8Array() : checkPayload("value", fields.value),
    ttl: BigInt(checkNonNegative("ttl", fields.ttl ?? 0)),
    guardValue: fields.guard ?? 0n,
    deltaValue: fields.delta ?? 0n,
    expectedValue: fields.expected === undefined ? new Uint8Array() : checkPayload("expected", fields.expected),
    limit: checkNonNegative("limit", fields.limit ?? 0),
    cursor: fields.cursor ?? "",
    authorization: target.authorization,
  });
  return up({ case: "kvOp", value });
}

/** `ttl`: -1 the gateway's default, 0 never expires, else seconds. */
export function checkpoint(op: CheckpointOperation_OpType, key = "", data?: Uint8Array, ttl = -1): UpstreamMessage {
  if (typeof key !== "string") {
    throw new InvalidArgumentError("key must be a string", "key");
  }
  if (!Number.isInteger(ttl) || ttl < -1) {
    throw new InvalidArgumentError("ttl must be -1 (gateway default), 0 (never) or seconds", "ttl");
  }
  const value = create(CheckpointOperationSchema, {
    op,
    key,
    data: data === undefined ? new Uint8Array() : checkPayload("data", data),
    ttl: BigInt(ttl),
  });
  return up({ case: "checkpointOp", value });
}

export interface CreateTaskOptions {
  targetAgentId?: string;
  targetImplementation?: string;
  targetIdentity?: string;
  launchParamOverrides?: Record<string, string>;
  metadata?: Record<string, string>;
  payload?: Uint8Array;
  /** SELF_ASSIGN by default, which becomes TARGETED with a target agent and POOL with a target
   * implementation. */
  assignmentMode?: TaskAssignmentMode;
  authorization?: AuthorizationContext;
  taskClass?: TaskClass;
  contextId?: string;
  priority?: TaskPriority;
  retryPolicy?: RetryPolicy;
  parentTaskId?: string;
}

export function createTask(taskType: string, workspace: string, options: CreateTaskOptions = {}): UpstreamMessage {
  if (typeof taskType !== "string" || taskType === "") {
    throw new InvalidArgumentError("taskType must be a non-empty string", "taskType");
  }
  checkIdentityField("workspace", workspace, false);
  let mode = options.assignmentMode ?? TaskAssignmentMode.SELF_ASSIGN;
  if (mode === TaskAssignmentMode.SELF_ASSIGN && options.targetAgentId) {
    mode = TaskAssignmentMode.TARGETED;
  } else if (mode === TaskAssignmentMode.SELF_ASSIGN && options.targetImplementation) {
    mode = TaskAssignmentMode.POOL;
  }
  const init: MessageInitShape<typeof CreateTaskRequestSchema> = {
    taskType,
    workspace,
    assignmentMode: mode,
    targetAgentId: options.targetAgentId ?? "",
    targetImplementation: options.targetImplementation ?? "",
    targetIdentity: options.targetIdentity ?? "",
    launchParamOverrides: { ...options.launchParamOverrides },
    metadata: { ...options.metadata },
    payload: options.payload === undefined ? new Uint8Array() : checkPayload("payload", options.payload),
    contextId: options.contextId ?? "",
    parentTaskId: options.parentTaskId ?? "",
    authorization: options.authorization,
    retryPolicy: options.retryPolicy,
  };
  if (options.taskClass !== undefined) init.taskClass = options.taskClass;
  if (options.priority !== undefined) init.priority = options.priority;
  return up({ case: "createTask", value: create(CreateTaskRequestSchema, init) });
}

export function switchWorkspace(newWorkspace: string): UpstreamMessage {
  checkIdentityField("newWorkspace", newWorkspace, true);
  return up({ case: "switchWorkspace", value: create(SwitchWorkspaceSchema, { newWorkspaceId: newWorkspace }) });
}

export interface ProgressOptions {
  state?: string;
  /** 0..1, or -1 when unknown. */
  completion?: number;
  summary?: string;
  stepName?: string;
  stepDetail?: string;
  stepSequence?: number;
  stepTotal?: number;
  stepType?: string;
  recipient?: string;
  requestId?: string;
  metadata?: Record<string, string>;
  kind?: ProgressKind;
}

export function progress(taskId: string, options: ProgressOptions = {}): UpstreamMessage {
  const o = options;
  const hasStep = Boolean(o.stepName || o.stepDetail || o.stepSequence || o.stepTotal || o.stepType);
  const value = create(ProgressReportSchema, {
    taskId,
    state: o.state ?? "running",
    completion: o.completion ?? -1,
    summary: o.summary ?? "",
    recipient: o.recipient ?? "",
    requestId: o.requestId ?? "",
    metadata: { ...o.metadata },
    step: hasStep
      ? create(ProgressStepSchema, {
          name: o.stepName ?? "",
          detail: o.stepDetail ?? "",
          sequence: o.stepSequence ?? 0,
          totalSteps: o.stepTotal ?? 0,
          stepType: o.stepType ?? "",
        })
      : undefined,
  });
  if (o.kind !== undefined) value.kind = o.kind;
  return up({ case: "progress", value });
}

const STATUS_NAMES: Readonly<Record<string, TaskStatus>> = {
  queued: TaskStatus.QUEUED,
  pending: TaskStatus.QUEUED,
  running: TaskStatus.RUNNING,
  completed: TaskStatus.COMPLETED,
  failed: TaskStatus.FAILED,
  cancelled: TaskStatus.CANCELLED,
};

function taskStatus(name: string): TaskStatus {
  const found = STATUS_NAMES[name.toLowerCase()];
  if (found === undefined) {
    throw new InvalidArgumentError(`unknown task status ${JSON.stringify(name)}`, "status");
  }
  return found;
}

export interface TaskListFilter {
  workspace?: string;
  status?: string;
  statuses?: readonly string[];
  taskType?: string;
  limit?: number;
  offset?: number;
}

export function taskQueryList(filter: TaskListFilter = {}): UpstreamMessage {
  const value = create(TaskFilterSchema, {
    workspace: filter.workspace ?? "",
    taskType: filter.taskType ?? "",
    limit: checkNonNegative("limit", filter.limit ?? 0),
    offset: checkNonNegative("offset", filter.offset ?? 0),
    statuses: (filter.statuses ?? []).map(taskStatus),
  });
  if (filter.status) value.status = taskStatus(filter.status);
  return up({ case: "taskQuery", value: create(TaskQuerySchema, { op: TaskQuery_OpType.LIST, filter: value }) });
}

function checkTaskId(taskId: unknown): string {
  if (typeof taskId !== "string" || taskId === "") {
    throw new InvalidArgumentError("taskId must be a non-empty string", "taskId");
  }
  return taskId;
}

export function taskQueryGet(taskId: string): UpstreamMessage {
  const value = create(TaskQuerySchema, { op: TaskQuery_OpType.GET, taskId: checkTaskId(taskId) });
  return up({ case: "taskQuery", value });
}

export function taskOp(op: TaskOperation_OpType, taskId: string, reason = ""): UpstreamMessage {
  return up({ case: "taskOp", value: create(TaskOperationSchema, { op, taskId: checkTaskId(taskId), reason }) });
}

/** Lowercase principal names accepted by listSessions. */
const PRINCIPAL_TYPES: Readonly<Record<string, PrincipalType>> = {
  "": PrincipalType.PRINCIPAL_TYPE_UNSPECIFIED,
  agent: PrincipalType.PRINCIPAL_AGENT,
  task: PrincipalType.PRINCIPAL_TASK,
  user: PrincipalType.PRINCIPAL_USER,
  orchestrator: PrincipalType.PRINCIPAL_ORCHESTRATOR,
  workflow_engine: PrincipalType.PRINCIPAL_WORKFLOW_ENGINE,
  metrics_bridge: PrincipalType.PRINCIPAL_METRICS_BRIDGE,
  bridge: PrincipalType.PRINCIPAL_BRIDGE,
  service: PrincipalType.PRINCIPAL_SERVICE,
};

export interface SessionFilter {
  /** "agent", "WorkflowEngine", "workflow_engine", ... ("" for every type). */
  principalType?: string;
  workspace?: string;
  limit?: number;
  offset?: number;
  authorization?: AuthorizationContext;
}

export function sessionList(filter: SessionFilter = {}): SessionOperation {
  const snake = (filter.principalType ?? "").replace(/(?<!^)([A-Z])/g, "_$1").toLowerCase();
  const type = PRINCIPAL_TYPES[snake];
  if (type === undefined) {
    throw new InvalidArgumentError(`unknown principalType ${JSON.stringify(filter.principalType)}`, "principalType");
  }
  return create(SessionOperationSchema, {
    op: SessionOperation_OpType.LIST,
    filter: create(ConnectionFilterSchema, {
      type,
      workspace: filter.workspace ?? "",
      limit: checkNonNegative("limit", filter.limit ?? 0),
      offset: checkNonNegative("offset", filter.offset ?? 0),
    }),
    authorization: filter.authorization,
  });
}

export function sessionById(op: SessionOperation_OpType, sessionId: string, reason = ""): SessionOperation {
  if (typeof sessionId !== "string" || sessionId === "") {
    throw new InvalidArgumentError("sessionId must not be empty", "sessionId");
  }
  return create(SessionOperationSchema, { op, sessionId, reason });
}
