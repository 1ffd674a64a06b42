"""The SDK drops its unconfirmed sends when a stream dies."""

from __future__ import annotations

FAULT = "after a reconnect the SDK does not resend the sends the gateway never confirmed"
CAUGHT_BY = [
    "tests/e2e/delivery/test_guarantees.py::test_gateway_stalled_then_killed_while_sending[acknowledged]"
]


def plant() -> None:
    from scitrera_aether_client._core.connection import Connection

    def forget(self: Connection) -> None:
        self._unconfirmed.take_all()

    Connection._requeue_unconfirmed = forget  # type: ignore[method-assign, assignment]
