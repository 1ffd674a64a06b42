"""Every offline identity topic counts as one that can exist: made-up targets fill the disk."""

from __future__ import annotations

FAULT = "QueueLimits._may_exist answers True for every target, outside dev mode too"
CAUGHT_BY = [
    "tests/e2e/gateway/test_limits.py::"
    "test_offline_targets_that_cannot_exist_are_refused_and_nothing_is_stored",
]


def plant() -> None:
    from aether_gateway.queue_limits import QueueLimits

    QueueLimits._may_exist = lambda self, target: True  # type: ignore[method-assign]
