"""flush() commits what is pending but does not wait for the commit already on the thread."""

from __future__ import annotations

FAULT = "GroupCommit.flush ignores the commit in flight: a replay reads before those rows landed"
CAUGHT_BY = ["tests/gateway_unit/test_group_commit.py::test_flush_waits_for_the_commit_in_flight"]


def plant() -> None:
    from aether_gateway.group_commit import GroupCommit

    flush = GroupCommit.flush

    def skip_inflight(self: GroupCommit) -> None:
        inflight, self._inflight = self._inflight, None
        flush(self)
        if self._inflight is None:
            self._inflight = inflight

    GroupCommit.flush = skip_inflight  # type: ignore[method-assign]
