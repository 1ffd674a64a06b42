"""An admin refusal without request_id (the Go gateway's) is left to on_error: the one pending
admin call waits out its whole timeout and returns None (issue 14, seed example 3)."""

from __future__ import annotations

FAULT = "Connection._sole_admin_call never finds the call an uncorrelated refusal answers"
CAUGHT_BY = [
    "tests/e2e/test_admin_uncorrelated_denial.py::test_the_one_pending_admin_call_is_refused_at_once_sync",
    "tests/e2e/test_admin_uncorrelated_denial.py::test_the_one_pending_admin_call_is_refused_at_once_async",
]


def plant() -> None:
    from scitrera_aether_client._core.connection import Connection, Pending
    from scitrera_aether_client.proto import aether_pb2

    def sole_admin_call(self: Connection, error: aether_pb2.ErrorResponse) -> Pending | None:
        return None

    Connection._sole_admin_call = sole_admin_call  # type: ignore[method-assign, assignment]
