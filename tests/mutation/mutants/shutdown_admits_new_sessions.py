"""A gateway that is shutting down still admits new sessions."""

from __future__ import annotations

FAULT = (
    "after GRACEFUL_DISCONNECT the stopping gateway hands a reconnecting client a new session,"
    " which its stop then ends again"
)
CAUGHT_BY = [
    "tests/e2e/gateway/test_handshake.py::"
    "test_a_shutting_down_gateway_refuses_new_sessions_with_unavailable"
]


def plant() -> None:
    from aether_gateway.server import Gateway

    def never_stopping(self: Gateway) -> bool:
        return False

    def ignore(self: Gateway, value: bool) -> None:
        pass

    Gateway.stopping = property(never_stopping, ignore)  # type: ignore[assignment]
