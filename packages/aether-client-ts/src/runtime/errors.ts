/**
 * Errors the SDK raises: the same classes and codes as the Python SDK (scitrera_aether_client
 * .exceptions), so a polyglot deployment reads one vocabulary.
 *
 *     AetherError
 *     ├── ConnectionError
 *     │   ├── ConnectionClosedError       .reason
 *     │   ├── ReconnectionError           .attempts
 *     │   └── BufferFullError             the outbound buffer is full while the stream is down
 *     ├── AuthenticationError             UNAUTHENTICATED
 *     ├── PermissionDeniedError           PERMISSION_DENIED
 *     ├── TaskRevokedError                TASK_REVOKED
 *     ├── DuplicateIdentityError          ALREADY_EXISTS
 *     ├── TimeoutError                    DEADLINE_EXCEEDED; .operation, .timeoutMs
 *     ├── InvalidArgumentError            INVALID_ARGUMENT; .argument
 *     │   └── InvalidPayloadTypeError
 *     ├── NotFoundError                   NOT_FOUND
 *     ├── NotImplementedError             UNIMPLEMENTED
 *     ├── MessageError
 *     ├── KVOperationError                .operation, .key
 *     └── CheckpointError                 .operation, .key
 */

import { status, type ServiceError } from "@grpc/grpc-js";

import type { ErrorResponse } from "../proto/aether/v1/aether_pb.js";

export class AetherError extends Error {
  /** The gRPC status name or the gateway's ERR_* code, when there is one. */
  readonly code: string | undefined;
  readonly details: string | undefined;

  constructor(message: string, code?: string, details?: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }

  override toString(): string {
    const text = this.code ? `[${this.code}] ${this.message}` : this.message;
    return this.details ? `${text} (${this.details})` : text;
  }
}

export class ConnectionError extends AetherError {}

export class ConnectionClosedError extends ConnectionError {
  readonly reason: string | undefined;

  constructor(message: string, reason?: string, code?: string) {
    super(message, code, reason);
    this.reason = reason;
  }
}

export class ReconnectionError extends ConnectionError {
  readonly attempts: number;

  constructor(message: string, attempts = 0, code?: string) {
    super(message, code, `attempts=${attempts}`);
    this.attempts = attempts;
  }
}

/** A send found the outbound buffer full while the stream was down; the frame was not taken. */
export class BufferFullError extends ConnectionError {}

export class AuthenticationError extends AetherError {
  constructor(message: string, code = "UNAUTHENTICATED") {
    super(message, code);
  }
}

export class PermissionDeniedError extends AetherError {
  constructor(message: string, code = "PERMISSION_DENIED") {
    super(message, code);
  }
}

export class TaskRevokedError extends AetherError {
  constructor(message: string, code = "TASK_REVOKED") {
    super(message, code);
  }
}

export class DuplicateIdentityError extends AetherError {
  constructor(message: string, code = "ALREADY_EXISTS") {
    super(message, code);
  }
}

export class TimeoutError extends AetherError {
  readonly operation: string | undefined;
  readonly timeoutMs: number | undefined;

  constructor(message: string, operation?: string, timeoutMs?: number) {
    super(message, "DEADLINE_EXCEEDED", timeoutMs === undefined ? undefined : `timeout=${timeoutMs}ms`);
    this.operation = operation;
    this.timeoutMs = timeoutMs;
  }
}

export class InvalidArgumentError extends AetherError {
  readonly argument: string | undefined;

  constructor(message: string, argument?: string, code = "INVALID_ARGUMENT") {
    super(message, code);
    this.argument = argument;
  }
}

/** A payload of the wrong type (not a Uint8Array). */
export class InvalidPayloadTypeError extends InvalidArgumentError {}

export class NotFoundError extends AetherError {
  constructor(message: string, code = "NOT_FOUND") {
    super(message, code);
  }
}

export class NotImplementedError extends AetherError {
  constructor(message: string, code = "UNIMPLEMENTED") {
    super(message, code);
  }
}

export class MessageError extends AetherError {}

export class KVOperationError extends AetherError {
  constructor(
    message: string,
    readonly operation?: string,
    readonly key?: string,
    code?: string,
  ) {
    super(message, code);
  }
}

export class CheckpointError extends AetherError {
  constructor(
    message: string,
    readonly operation?: string,
    readonly key?: string,
    code?: string,
  ) {
    super(message, code);
  }
}

/** gRPC status codes after which reconnecting cannot help. */
export const NON_RECOVERABLE_CODES: ReadonlySet<status> = new Set([
  status.PERMISSION_DENIED,
  status.UNAUTHENTICATED,
  status.ALREADY_EXISTS,
  status.INVALID_ARGUMENT,
  status.NOT_FOUND,
  status.UNIMPLEMENTED,
]);

function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as Partial<ServiceError>).code === "number";
}

/** Map a gRPC error (status code and details) to the matching SDK error. */
export function fromGrpcError(error: unknown): AetherError {
  if (error instanceof AetherError) {
    return error;
  }
  if (!isServiceError(error)) {
    return new ConnectionError(error instanceof Error ? error.message : String(error));
  }
  const details = error.details || error.message;
  const name = status[error.code];
  switch (error.code) {
    case status.UNAUTHENTICATED:
      return new AuthenticationError(details, name);
    case status.PERMISSION_DENIED:
      return new PermissionDeniedError(details, name);
    case status.ALREADY_EXISTS:
      return new DuplicateIdentityError(details, name);
    case status.NOT_FOUND:
      return new NotFoundError(details, name);
    case status.UNIMPLEMENTED:
      return new NotImplementedError(details, name);
    case status.INVALID_ARGUMENT:
      return new InvalidArgumentError(details, undefined, name);
    case status.DEADLINE_EXCEEDED:
      return new TimeoutError(details);
    case status.CANCELLED:
      return new ConnectionClosedError(details, details, name);
    case status.UNAVAILABLE:
      return new ConnectionError(details, name);
    default:
      return new AetherError(details, name);
  }
}

/** Map a gateway ErrorResponse frame to an error, keeping its ERR_* code. */
export function errorResponseToAetherError(error: ErrorResponse): AetherError {
  const code = error.code;
  if (code.includes("PERMISSION_DENIED")) return new PermissionDeniedError(error.message, code);
  if (code.includes("UNAUTHENTICATED")) return new AuthenticationError(error.message, code);
  if (code.includes("NOT_FOUND")) return new NotFoundError(error.message, code);
  if (code.includes("INVALID_ARGUMENT")) return new InvalidArgumentError(error.message, undefined, code);
  return new AetherError(error.message, code);
}

/** False for errors a reconnect cannot fix (bad credentials, duplicate identity, ...). */
export function isRecoverableError(error: unknown): boolean {
  return !(
    error instanceof AuthenticationError ||
    error instanceof PermissionDeniedError ||
    error instanceof DuplicateIdentityError ||
    error instanceof InvalidArgumentError ||
    error instanceof NotFoundError ||
    error instanceof NotImplementedError
  );
}
