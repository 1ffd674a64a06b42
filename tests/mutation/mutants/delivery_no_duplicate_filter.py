"""The SDK hands every repeat of a message to the application."""

from __future__ import annotations

FAULT = "the receiving SDK forgets message ids, so resends and redeliveries reach the application"
CAUGHT_BY = [
    "tests/e2e/delivery/test_guarantees.py::test_gateway_kill_9_during_two_way_traffic[acknowledged]",
    "tests/e2e/test_crash_delivery.py::test_kill_9_during_a_1000_message_stream[acknowledged]",
]


def plant() -> None:
    from scitrera_aether_client._core.delivery import SeenWindow

    SeenWindow.first_time = lambda self, message_id: True  # type: ignore[method-assign]
