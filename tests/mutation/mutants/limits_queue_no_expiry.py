"""Stored messages never expire: the TTL sweep does nothing."""

from __future__ import annotations

FAULT = "QueueLimits.sweep deletes nothing"
CAUGHT_BY = [
    "tests/e2e/gateway/test_limits.py::test_queued_messages_older_than_the_ttl_are_dropped",
]


def plant() -> None:
    from aether_gateway.queue_limits import QueueLimits

    QueueLimits.sweep = lambda self: 0  # type: ignore[method-assign]
