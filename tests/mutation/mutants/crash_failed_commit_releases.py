"""A commit that fails still releases its batch (frames handed out that were never stored)."""

from __future__ import annotations

from typing import Any

FAULT = "a failed group commit is swallowed: its frames leave and its sends are confirmed"
CAUGHT_BY = [
    "tests/gateway_unit/test_group_commit.py::test_a_failed_commit_is_logged_and_releases_nothing"
]


def plant() -> None:
    from aether_gateway import group_commit

    run = group_commit._run

    def swallow(queue: Any, work: Any) -> Any:
        seqs, took, _error = run(queue, work)
        return seqs, took, None

    group_commit._run = swallow
