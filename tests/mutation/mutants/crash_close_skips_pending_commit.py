"""close() stops the commit thread without committing what is pending."""

from __future__ import annotations

FAULT = "GroupCommit.close drops the pending batch: rows appended in the last tick are lost"
CAUGHT_BY = ["tests/gateway_unit/test_group_commit.py::test_close_leaves_nothing_uncommitted"]


def plant() -> None:
    from aether_gateway.group_commit import GroupCommit

    def close_without_flush(self: GroupCommit) -> None:
        self._inserts, self._after = [], []
        self.flush()
        if self._thread is not None:
            self._thread.shutdown(wait=True)
        if self._writer is not None:
            self._writer.close()

    GroupCommit.close = close_without_flush  # type: ignore[method-assign]
