"""The gateway silently drops two messages sent well before the crash."""

from __future__ import annotations

from typing import Any

FAULT = "the gateway drops the messages with payload b'123' and b'234' instead of storing them"
CAUGHT_BY = ["tests/e2e/test_crash_delivery.py::test_kill_9_during_a_1000_message_stream"]

# Both are sent before the kill (KILL_AT = 400) and long before it, so neither the outage buffer
# nor the persisted-at-crash check sees them: only "nothing is lost" can catch this.
DROPPED = frozenset({b"123", b"234"})


def plant() -> None:
    from aether_gateway.hub import Hub

    publish = Hub.publish

    def dropping(self: Hub, topic: str, frame: Any) -> int:
        if frame.HasField("msg") and frame.msg.payload in DROPPED:
            return 0  # neither stored nor delivered
        return publish(self, topic, frame)

    Hub.publish = dropping  # type: ignore[method-assign]
