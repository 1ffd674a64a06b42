"""The per-identity queue caps are never applied: a sender fills an offline queue without end."""

from __future__ import annotations

FAULT = "QueueLimits._recount reports an empty queue, so no cap is ever reached"
CAUGHT_BY = [
    "tests/e2e/gateway/test_limits.py::"
    "test_a_full_queue_refuses_the_sender_and_keeps_what_it_accepted",
    "tests/e2e/gateway/test_limits.py::test_queue_usage_is_counted_from_disk_after_a_restart",
]


def plant() -> None:
    import time

    from aether_gateway.queue_limits import QueueLimits, Usage

    def recount(self: QueueLimits, topic: str, usage: Usage | None) -> Usage:
        fresh = Usage(0, 0, time.monotonic())
        self.usage[topic] = fresh
        return fresh

    QueueLimits._recount = recount  # type: ignore[method-assign]
