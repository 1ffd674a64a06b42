"""Exceptions raised by the SDK.

Hierarchy (names and constructor arguments match the reference client)::

    AetherError
    ├── ConnectionError                 (shadows the builtin, as in the reference)
    │   ├── ConnectionClosedError       .reason
    │   ├── ReconnectionError           .attempts
    │   └── BufferFullError             the outbound buffer is full while reconnecting
    ├── AuthenticationError             UNAUTHENTICATED
    ├── PermissionDeniedError           PERMISSION_DENIED
    ├── TaskRevokedError                TASK_REVOKED
    ├── DuplicateIdentityError          ALREADY_EXISTS; .identity
    ├── TimeoutError                    DEADLINE_EXCEEDED; .operation, .timeout_seconds
    ├── InvalidArgumentError            INVALID_ARGUMENT; .argument
    │   └── InvalidPayloadTypeError     also a builtin TypeError
    ├── NotFoundError                   NOT_FOUND; .resource
    ├── NotImplementedError             UNIMPLEMENTED; .operation
    ├── MessageError
    ├── KVOperationError                .operation, .key
    └── CheckpointError                 .operation, .key
"""

from __future__ import annotations

import builtins
from typing import Any

import grpc

from scitrera_aether_client.proto import aether_pb2

__all__ = [
    "NON_RECOVERABLE_CODES",
    "AetherError",
    "AuthenticationError",
    "BufferFullError",
    "CheckpointError",
    "ConnectionClosedError",
    "ConnectionError",
    "DuplicateIdentityError",
    "InvalidArgumentError",
    "InvalidPayloadTypeError",
    "KVOperationError",
    "MessageError",
    "NotFoundError",
    "NotImplementedError",
    "PermissionDeniedError",
    "ReconnectionError",
    "TaskRevokedError",
    "TimeoutError",
    "error_response_to_aether_error",
    "from_grpc_error",
    "is_recoverable_error",
]


class AetherError(Exception):
    """Base of every SDK error: a message, an optional code and optional details."""

    default_code: str | None = None

    def __init__(self, message: str, code: str | None = None, details: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code if code is not None else self.default_code
        self.details = details

    def __str__(self) -> str:
        text = f"[{self.code}] {self.message}" if self.code else self.message
        return f"{text} ({self.details})" if self.details else text


class ConnectionError(AetherError):  # shadows the builtin: the reference API name
    def __init__(
        self,
        message: str = "Failed to connect to the Aether gateway",
        code: str | None = None,
        details: str | None = None,
    ) -> None:
        super().__init__(message, code, details)


class ConnectionClosedError(ConnectionError):
    def __init__(self, message: str, reason: str | None = None, code: str | None = None) -> None:
        super().__init__(message, code, reason)
        self.reason = reason


class ReconnectionError(ConnectionError):
    def __init__(self, message: str, attempts: int = 0, code: str | None = None) -> None:
        super().__init__(message, code, f"attempts={attempts}")
        self.attempts = attempts


class BufferFullError(ConnectionError):
    """A send found the reconnect buffer full; the frame was not accepted."""


class AuthenticationError(AetherError):
    default_code = "UNAUTHENTICATED"


class PermissionDeniedError(AetherError):
    default_code = "PERMISSION_DENIED"


class TaskRevokedError(AetherError):
    default_code = "TASK_REVOKED"


class DuplicateIdentityError(AetherError):
    default_code = "ALREADY_EXISTS"

    def __init__(
        self,
        message: str,
        code: str | None = None,
        details: str | None = None,
        identity: str | None = None,
    ) -> None:
        super().__init__(message, code, details)
        self.identity = identity


class TimeoutError(AetherError):  # shadows the builtin: the reference API name
    def __init__(
        self,
        message: str,
        operation: str | None = None,
        timeout_seconds: float | None = None,
        code: str = "DEADLINE_EXCEEDED",
        details: str | None = None,
    ) -> None:
        prefix = f"timeout={timeout_seconds}s" if timeout_seconds is not None else None
        joined = "; ".join(x for x in (prefix, details) if x) or None
        super().__init__(message, code, joined)
        self.operation = operation
        self.timeout_seconds = timeout_seconds


class InvalidArgumentError(AetherError):
    def __init__(
        self, message: str, argument: str | None = None, code: str = "INVALID_ARGUMENT"
    ) -> None:
        super().__init__(message, code)
        self.argument = argument


class InvalidPayloadTypeError(InvalidArgumentError, builtins.TypeError):
    """A payload of the wrong type; also a TypeError, which the reference raised here."""


class NotFoundError(AetherError):
    default_code = "NOT_FOUND"

    def __init__(self, message: str, resource: str | None = None, code: str | None = None) -> None:
        super().__init__(message, code)
        self.resource = resource


class NotImplementedError(AetherError):  # shadows the builtin: the reference API name
    default_code = "UNIMPLEMENTED"

    def __init__(self, message: str, operation: str | None = None, code: str | None = None) -> None:
        super().__init__(message, code)
        self.operation = operation


class MessageError(AetherError):
    pass


class _KeyedOperationError(AetherError):
    """What KVOperationError and CheckpointError share: the failed operation and its key."""

    def __init__(
        self,
        message: str,
        operation: str | None = None,
        key: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message, code)
        self.operation = operation
        self.key = key


class KVOperationError(_KeyedOperationError):
    pass


class CheckpointError(_KeyedOperationError):
    pass


#: gRPC status codes after which reconnecting cannot help.
NON_RECOVERABLE_CODES = frozenset(
    {
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.UNAUTHENTICATED,
        grpc.StatusCode.ALREADY_EXISTS,
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.NOT_FOUND,
        grpc.StatusCode.UNIMPLEMENTED,
    }
)

_BY_STATUS: dict[grpc.StatusCode, type[AetherError]] = {
    grpc.StatusCode.UNAUTHENTICATED: AuthenticationError,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDeniedError,
    grpc.StatusCode.ALREADY_EXISTS: DuplicateIdentityError,
    grpc.StatusCode.NOT_FOUND: NotFoundError,
    grpc.StatusCode.UNIMPLEMENTED: NotImplementedError,
    grpc.StatusCode.UNAVAILABLE: ConnectionError,
}


def from_grpc_error(error: grpc.RpcError | Any) -> AetherError:
    """Map a gRPC error (status code and details) to the matching SDK exception."""
    # Only call accessors that are methods: an AetherError also has a (string) `code` attribute.
    code_of = getattr(error, "code", None)
    details_of = getattr(error, "details", None)
    code = code_of() if callable(code_of) else None
    details = (details_of() if callable(details_of) else None) or str(error)
    name = code.name if isinstance(code, grpc.StatusCode) else None
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        return InvalidArgumentError(details, code=name or "INVALID_ARGUMENT")
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return TimeoutError(details)
    if code == grpc.StatusCode.CANCELLED:
        return ConnectionClosedError(details, reason=details, code=name)
    cls = _BY_STATUS.get(code) if isinstance(code, grpc.StatusCode) else None
    if cls is None:
        return AetherError(details, code=name)
    return cls(details, code=name)


_BY_ERROR_CODE: tuple[tuple[str, type[AetherError]], ...] = (
    ("PERMISSION_DENIED", PermissionDeniedError),
    ("UNAUTHENTICATED", AuthenticationError),
    ("NOT_FOUND", NotFoundError),
    ("INVALID_ARGUMENT", InvalidArgumentError),
)


def error_response_to_aether_error(error: aether_pb2.ErrorResponse) -> AetherError:
    """Map a gateway ErrorResponse frame to an exception, keeping its code."""
    for fragment, cls in _BY_ERROR_CODE:
        if fragment in error.code:
            if cls is InvalidArgumentError:
                return InvalidArgumentError(error.message, code=error.code)
            return cls(error.message, code=error.code)
    return AetherError(error.message, code=error.code)


def is_recoverable_error(error: BaseException) -> bool:
    """False for errors a reconnect cannot fix (bad credentials, duplicate identity, ...)."""
    if isinstance(
        error,
        AuthenticationError
        | PermissionDeniedError
        | DuplicateIdentityError
        | InvalidArgumentError
        | NotFoundError
        | NotImplementedError,
    ):
        return False
    code_of = getattr(error, "code", None) if isinstance(error, grpc.RpcError) else None
    code = code_of() if callable(code_of) else None
    return code not in NON_RECOVERABLE_CODES
