"""The SDK acknowledges a message when it arrives, before its callbacks ran."""

from __future__ import annotations

from typing import Any

FAULT = "the SDK acknowledges each message on arrival instead of after its callbacks returned"
CAUGHT_BY = [
    "tests/e2e/delivery/test_guarantees.py::test_receiver_frozen_then_killed_loses_nothing[acknowledged]"
]


def plant() -> None:
    from scitrera_aether_client._core.connection import Connection

    on_message = Connection._on_message

    def early(self: Connection, msg: Any) -> None:
        if msg.delivery_tag:
            self._acks.add(msg.delivery_tag)
        on_message(self, msg)

    Connection._on_message = early  # type: ignore[method-assign, assignment]
