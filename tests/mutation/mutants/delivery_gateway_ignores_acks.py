"""The gateway deletes a message once sent, whatever the client acknowledged."""

from __future__ import annotations

FAULT = "the gateway deletes each stored message as soon as it is sent, acknowledged or not"
CAUGHT_BY = [
    "tests/e2e/delivery/test_guarantees.py::test_receiver_frozen_then_killed_loses_nothing[acknowledged]"
]


def plant() -> None:
    from aether_gateway.group_commit import GroupCommit

    handed = GroupCommit.handed

    def delete_at_once(self: GroupCommit, topic: str, seq: int) -> None:
        handed(self, topic, seq)
        self.delete(seq)

    GroupCommit.handed = delete_at_once  # type: ignore[method-assign]
