"""The SDK guesses an uncorrelated refusal's call on our gateway too, where such a refusal belongs
to something else (a switch_workspace, a send): an admin call about to succeed is failed."""

from __future__ import annotations

FAULT = "Connection._sole_admin_call ignores that the gateway echoes request ids (ours does)"
CAUGHT_BY = [
    "tests/e2e/test_admin_uncorrelated_denial.py::test_on_our_gateway_a_refusal_of_something_else_never_fails_an_admin_call",
]


def plant() -> None:
    from scitrera_aether_client._core import connection
    from scitrera_aether_client._core.connection import Connection, Pending
    from scitrera_aether_client.proto import aether_pb2

    def sole_admin_call(self: Connection, error: aether_pb2.ErrorResponse) -> Pending | None:
        if "PERMISSION_DENIED" not in error.code:
            return None
        arms = connection.UNCORRELATED_DENIAL_ARMS
        waiting = [p for p in self.pending.values() if p.arm in arms and not p.future.done()]
        return waiting[0] if len(waiting) == 1 else None

    Connection._sole_admin_call = sole_admin_call  # type: ignore[method-assign, assignment]
