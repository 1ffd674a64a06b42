"""The gateway never flags a redelivered message."""

from __future__ import annotations

FAULT = "messages an earlier session may have received arrive without redelivered=True"
CAUGHT_BY = [
    "tests/e2e/delivery/test_guarantees.py::test_receiver_frozen_then_killed_loses_nothing[acknowledged]"
]


def plant() -> None:
    from aether_gateway.store.queue import MessageQueue

    MessageQueue.handed_upto = lambda self, topic: 0  # type: ignore[method-assign]
