"""Exception hierarchy, gRPC and ErrorResponse mapping, recoverability and string form."""

from __future__ import annotations

import builtins

import grpc
import pytest

from scitrera_aether_client import exceptions as exc
from scitrera_aether_client.proto import aether_pb2


class FakeRpcError(grpc.RpcError):
    """What grpc raises from a failed call: an RpcError that is also a Call with code/details."""

    def __init__(self, code: grpc.StatusCode, details: str = "boom") -> None:
        super().__init__(details)
        self._code = code
        self._details = details

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details


EXPECTED_BY_STATUS: dict[grpc.StatusCode, type[exc.AetherError]] = {
    grpc.StatusCode.UNAUTHENTICATED: exc.AuthenticationError,
    grpc.StatusCode.PERMISSION_DENIED: exc.PermissionDeniedError,
    grpc.StatusCode.ALREADY_EXISTS: exc.DuplicateIdentityError,
    grpc.StatusCode.INVALID_ARGUMENT: exc.InvalidArgumentError,
    grpc.StatusCode.NOT_FOUND: exc.NotFoundError,
    grpc.StatusCode.UNIMPLEMENTED: exc.NotImplementedError,
    grpc.StatusCode.DEADLINE_EXCEEDED: exc.TimeoutError,
    grpc.StatusCode.UNAVAILABLE: exc.ConnectionError,
    grpc.StatusCode.CANCELLED: exc.ConnectionClosedError,
}

NON_RECOVERABLE = {
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.UNAUTHENTICATED,
    grpc.StatusCode.ALREADY_EXISTS,
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.UNIMPLEMENTED,
}


@pytest.mark.parametrize("status", list(grpc.StatusCode), ids=lambda s: s.name)
def test_every_status_code_maps_to_its_exception(status: grpc.StatusCode) -> None:
    error = exc.from_grpc_error(FakeRpcError(status, "the details"))
    assert type(error) is EXPECTED_BY_STATUS.get(status, exc.AetherError)
    assert error.message == "the details"
    assert error.code == status.name


def test_status_mapping_table_covers_the_reference_list() -> None:
    assert len(EXPECTED_BY_STATUS) == 9
    assert exc.NON_RECOVERABLE_CODES == NON_RECOVERABLE


def test_cancelled_keeps_the_reason() -> None:
    error = exc.from_grpc_error(FakeRpcError(grpc.StatusCode.CANCELLED, "peer went away"))
    assert isinstance(error, exc.ConnectionClosedError)
    assert error.reason == "peer went away"


def test_errors_without_code_or_details_become_plain_aether_errors() -> None:
    error = exc.from_grpc_error(grpc.RpcError("opaque"))
    assert type(error) is exc.AetherError
    assert error.code is None
    assert error.message == "opaque"


def test_non_callable_code_attribute_is_ignored() -> None:
    error = exc.from_grpc_error(exc.PermissionDeniedError("no"))
    assert type(error) is exc.AetherError
    assert error.code is None


def test_empty_details_fall_back_to_the_error_text() -> None:
    error = exc.from_grpc_error(FakeRpcError(grpc.StatusCode.UNAVAILABLE, ""))
    assert isinstance(error, exc.ConnectionError)
    assert error.code == "UNAVAILABLE"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("PERMISSION_DENIED", exc.PermissionDeniedError),
        ("ERR_PERMISSION_DENIED_TOPIC", exc.PermissionDeniedError),
        ("UNAUTHENTICATED", exc.AuthenticationError),
        ("NOT_FOUND", exc.NotFoundError),
        ("KV_NOT_FOUND", exc.NotFoundError),
        ("INVALID_ARGUMENT", exc.InvalidArgumentError),
        ("ERR_INVALID_ARGUMENT_SCOPE", exc.InvalidArgumentError),
        ("ERR_RATE_LIMITED", exc.AetherError),
        ("INTERNAL", exc.AetherError),
        ("", exc.AetherError),
    ],
)
def test_error_response_mapping_keeps_code_and_message(
    code: str, expected: type[exc.AetherError]
) -> None:
    frame = aether_pb2.ErrorResponse(code=code, message="what happened", request_id="r1")
    error = exc.error_response_to_aether_error(frame)
    assert type(error) is expected
    assert error.code == code
    assert error.message == "what happened"


@pytest.mark.parametrize(
    "error",
    [
        exc.AuthenticationError("x"),
        exc.PermissionDeniedError("x"),
        exc.DuplicateIdentityError("x"),
        exc.InvalidArgumentError("x"),
        exc.InvalidPayloadTypeError("x"),
        exc.NotFoundError("x"),
        exc.NotImplementedError("x"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_typed_non_recoverable_errors(error: exc.AetherError) -> None:
    assert not exc.is_recoverable_error(error)


@pytest.mark.parametrize(
    "error",
    [
        exc.AetherError("x"),
        exc.ConnectionError(),
        exc.ConnectionClosedError("x"),
        exc.ReconnectionError("x", attempts=3),
        exc.BufferFullError(),
        exc.TimeoutError("x"),
        exc.TaskRevokedError("x"),
        exc.MessageError("x"),
        RuntimeError("x"),
        grpc.RpcError("no code"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_other_errors_are_recoverable(error: BaseException) -> None:
    assert exc.is_recoverable_error(error)


@pytest.mark.parametrize("status", list(grpc.StatusCode), ids=lambda s: s.name)
def test_grpc_errors_are_recoverable_unless_in_the_fatal_set(status: grpc.StatusCode) -> None:
    assert exc.is_recoverable_error(FakeRpcError(status)) is (status not in NON_RECOVERABLE)


def test_string_form() -> None:
    assert str(exc.AetherError("msg", "CODE", "more")) == "[CODE] msg (more)"
    assert str(exc.AetherError("msg", "CODE")) == "[CODE] msg"
    assert str(exc.AetherError("msg")) == "msg"
    assert str(exc.AetherError("msg", details="more")) == "msg (more)"
    assert str(exc.ReconnectionError("gave up", attempts=5)) == "gave up (attempts=5)"
    assert str(exc.PermissionDeniedError("no")) == "[PERMISSION_DENIED] no"
    timeout = exc.TimeoutError("slow", operation="kv_get", timeout_seconds=2.5)
    assert str(timeout) == "[DEADLINE_EXCEEDED] slow (timeout=2.5s)"
    both = exc.TimeoutError("slow", timeout_seconds=1, details="extra")
    assert both.details is not None
    assert both.details.startswith("timeout=1s")


def test_default_codes_and_attributes() -> None:
    assert exc.AuthenticationError("x").code == "UNAUTHENTICATED"
    assert exc.DuplicateIdentityError("x", identity="ag::w::i::s").identity == "ag::w::i::s"
    assert exc.DuplicateIdentityError("x").code == "ALREADY_EXISTS"
    assert exc.TaskRevokedError("x").code == "TASK_REVOKED"
    assert exc.InvalidArgumentError("x", argument="topic").argument == "topic"
    assert exc.InvalidArgumentError("x").code == "INVALID_ARGUMENT"
    assert exc.NotFoundError("x", resource="k").resource == "k"
    assert exc.NotImplementedError("x", operation="op").code == "UNIMPLEMENTED"
    assert exc.ConnectionError().message.startswith("Failed to connect")
    assert exc.ConnectionClosedError("x", reason="r").reason == "r"
    reconnect = exc.ReconnectionError("x", attempts=4)
    assert (reconnect.attempts, reconnect.details) == (4, "attempts=4")
    kv = exc.KVOperationError("x", operation="get", key="k")
    assert (kv.operation, kv.key) == ("get", "k")
    cp = exc.CheckpointError("x", operation="save", key="k")
    assert (cp.operation, cp.key) == ("save", "k")


def test_hierarchy_and_builtin_shadowing() -> None:
    for cls in (exc.ConnectionClosedError, exc.ReconnectionError, exc.BufferFullError):
        assert issubclass(cls, exc.ConnectionError)
    assert issubclass(exc.ConnectionError, exc.AetherError)
    assert not issubclass(exc.ConnectionError, builtins.ConnectionError)
    assert not issubclass(exc.TimeoutError, builtins.TimeoutError)
    assert not issubclass(exc.NotImplementedError, builtins.NotImplementedError)
    assert issubclass(exc.InvalidPayloadTypeError, exc.InvalidArgumentError)
    assert issubclass(exc.InvalidPayloadTypeError, builtins.TypeError)
    for name in exc.__all__:
        assert hasattr(exc, name)
