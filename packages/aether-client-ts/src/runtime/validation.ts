/**
 * Argument checks for public entry points: fail before anything is sent, naming the argument.
 * The identity rules are the gateway's (and the Python SDK's): at most 128 bytes of ASCII letters,
 * digits, '-', '_', '.', '@' and '/'. Anything else could act as a separator: ':' builds topics and
 * lock keys, and '*', '?', '[' are glob characters.
 */

import { randomUUID } from "node:crypto";

import { create, fromBinary, toBinary } from "@bufbuild/protobuf";

import {
  KVOperation_Scope,
  MessageType,
  MetricSchema,
  type Metric,
} from "../proto/aether/v1/aether_pb.js";
import { InvalidArgumentError, InvalidPayloadTypeError } from "./errors.js";

export const MAX_IDENTITY_BYTES = 128;
const IDENTITY = /^[A-Za-z0-9\-_.@/]*$/;
const MAX_TOPIC_CHARS = 256;

/** KV scope strings of the API and the proto values they stand for. */
export const KV_SCOPES = {
  global: KVOperation_Scope.GLOBAL,
  workspace: KVOperation_Scope.WORKSPACE,
  user: KVOperation_Scope.USER,
  "user-workspace": KVOperation_Scope.USER_WORKSPACE,
  "global-exclusive": KVOperation_Scope.GLOBAL_EXCLUSIVE,
  "workspace-exclusive": KVOperation_Scope.WORKSPACE_EXCLUSIVE,
  "user-shared": KVOperation_Scope.USER_SHARED,
  "user-workspace-shared": KVOperation_Scope.USER_WORKSPACE_SHARED,
} as const;

export type KVScope = keyof typeof KV_SCOPES;

/** Why `value` is not a valid identity field, or undefined if it is. */
export function identityProblem(value: string): string | undefined {
  if (Buffer.byteLength(value, "utf8") > MAX_IDENTITY_BYTES) {
    return `longer than ${MAX_IDENTITY_BYTES} bytes`;
  }
  if (!IDENTITY.test(value)) {
    const bad = [...value].find((ch) => !IDENTITY.test(ch)) ?? "";
    return `contains the character ${JSON.stringify(bad)}; allowed are ASCII letters, digits, '-', '_', '.', '@' and '/'`;
  }
  return undefined;
}

export function checkIdentityField(name: string, value: unknown, required: boolean): string {
  if (typeof value !== "string") {
    throw new InvalidArgumentError(`${name} must be a string, got ${typeof value}`, name);
  }
  if (required && value === "") {
    throw new InvalidArgumentError(`${name} must not be empty`, name);
  }
  const problem = identityProblem(value);
  if (problem !== undefined) {
    throw new InvalidArgumentError(`${name} ${JSON.stringify(value)} is invalid: ${problem}`, name);
  }
  return value;
}

export function checkIdentityList(name: string, values: unknown): string[] {
  if (!Array.isArray(values)) {
    throw new InvalidArgumentError(`${name} must be an array of strings`, name);
  }
  if (values.length === 0) {
    throw new InvalidArgumentError(`${name} must not be empty`, name);
  }
  return values.map((v: unknown, i) => checkIdentityField(`${name}[${i}]`, v, true));
}

export function checkTopic(name: string, topic: unknown): string {
  if (typeof topic !== "string" || topic === "") {
    throw new InvalidArgumentError(`${name} must be a non-empty string`, name);
  }
  if (topic.length > MAX_TOPIC_CHARS) {
    throw new InvalidArgumentError(`${name} is longer than ${MAX_TOPIC_CHARS} characters`, name);
  }
  return topic;
}

export function checkPayload(name: string, payload: unknown): Uint8Array {
  if (payload instanceof Uint8Array) {
    return payload;
  }
  const kind = payload === null ? "null" : typeof payload;
  throw new InvalidPayloadTypeError(`${name} must be a Uint8Array (or Buffer), got ${kind}`, name);
}

export function checkMessageType(messageType: unknown): MessageType {
  if (typeof messageType !== "number" || !Number.isInteger(messageType) || !(messageType in MessageType)) {
    throw new InvalidArgumentError(`unknown messageType ${String(messageType)}`, "messageType");
  }
  return messageType;
}

/** A timeout in milliseconds: positive and finite. */
export function checkTimeout(name: string, ms: unknown): number {
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms <= 0) {
    throw new InvalidArgumentError(`${name} must be a positive, finite number of milliseconds`, name);
  }
  return ms;
}

export function checkNonNegative(name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw new InvalidArgumentError(`${name} must be a non-negative integer, got ${String(value)}`, name);
  }
  return value;
}

export function checkScope(scope: unknown): KVOperation_Scope {
  if (typeof scope !== "string" || !Object.hasOwn(KV_SCOPES, scope)) {
    const known = Object.keys(KV_SCOPES).join(", ");
    throw new InvalidArgumentError(`unknown KV scope ${JSON.stringify(scope)}; expected one of ${known}`, "scope");
  }
  return KV_SCOPES[scope as KVScope];
}

/** The bytes of a metric:: payload: a Metric message, or bytes already holding one. */
export function encodeMetric(metric: Metric | Uint8Array): Uint8Array {
  if (metric instanceof Uint8Array) {
    let decoded: Metric;
    try {
      decoded = fromBinary(MetricSchema, metric);
    } catch {
      throw new InvalidPayloadTypeError("metric bytes are not a serialized Metric", "metric");
    }
    checkMetric(decoded);
    return metric;
  }
  checkMetric(metric);
  return toBinary(MetricSchema, create(MetricSchema, metric));
}

function checkMetric(metric: Metric): void {
  if (metric.entries.length === 0) {
    throw new InvalidArgumentError("metric has no entries", "metric");
  }
  for (const entry of metric.entries) {
    if (!entry.name || !Number.isFinite(entry.qty)) {
      throw new InvalidArgumentError("every metric entry needs a name and a finite qty", "metric");
    }
  }
}

/** Eight hex characters, the default orchestrator specifier. */
export function shortUuid(): string {
  return randomUUID().replaceAll("-", "").slice(0, 8);
}
