"""The gateway forgets a durable frame as soon as it handed it to gRPC (no settle delay)."""

from __future__ import annotations

FAULT = "GroupCommit settles with a 0 s delay: a sent frame is deleted before it could arrive"
CAUGHT_BY = ["tests/e2e/test_crash_delivery.py::test_kill_9_during_a_1000_message_stream"]


def plant() -> None:
    from aether_gateway.group_commit import GroupCommit
    from aether_gateway.store.queue import MessageQueue

    init = GroupCommit.__init__

    # Hub builds GroupCommit(queue) with the default delay; force it to 0 whatever is passed.
    def no_settle(self: GroupCommit, queue: MessageQueue, settle_s: float = 0.0) -> None:
        init(self, queue, 0.0)

    GroupCommit.__init__ = no_settle  # type: ignore[method-assign]
