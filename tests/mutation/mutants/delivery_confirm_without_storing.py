"""The gateway confirms a committed send that it never stored."""

from __future__ import annotations

from typing import Any

FAULT = "the gateway confirms sends without storing them (messages to an offline agent vanish)"
CAUGHT_BY = [
    "tests/e2e/delivery/test_guarantees.py::test_sender_killed_right_after_a_committed_send"
]


def plant() -> None:
    from aether_gateway.group_commit import GroupCommit

    def discard(self: GroupCommit, topic: str, frame: bytes) -> Any:
        return self._batch, 0

    GroupCommit.append = discard  # type: ignore[method-assign]
