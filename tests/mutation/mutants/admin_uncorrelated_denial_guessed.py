"""Any uncorrelated ErrorResponse fails the oldest pending admin call, whatever its code and
however many calls are pending: a refusal can land on a call it was not meant for."""

from __future__ import annotations

FAULT = "Connection._sole_admin_call picks the oldest admin call for every uncorrelated error"
CAUGHT_BY = [
    "tests/e2e/test_admin_uncorrelated_denial.py::test_with_several_pending_no_call_is_failed_and_the_refusals_go_to_on_error",
    "tests/e2e/test_admin_uncorrelated_denial.py::test_an_uncorrelated_error_that_is_no_refusal_leaves_the_call_pending",
]


def plant() -> None:
    from scitrera_aether_client._core import connection
    from scitrera_aether_client._core.connection import Connection, Pending
    from scitrera_aether_client.proto import aether_pb2

    def sole_admin_call(self: Connection, error: aether_pb2.ErrorResponse) -> Pending | None:
        arms = connection.UNCORRELATED_DENIAL_ARMS
        return next((p for p in self.pending.values() if p.arm in arms), None)

    Connection._sole_admin_call = sole_admin_call  # type: ignore[method-assign, assignment]
