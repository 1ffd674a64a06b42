"""The lock history keeps every identity ever seen (memory grows with each new identity)."""

from __future__ import annotations

FAULT = "the server's LockTable ignores lock_history_max"
CAUGHT_BY = [
    "tests/e2e/gateway/test_limits.py::test_the_lock_history_is_bounded_and_keeps_the_newest",
]


def plant() -> None:
    from aether_gateway import server
    from aether_gateway.locks import LockTable

    class Unbounded(LockTable):
        def __init__(self, history_max: int = 0) -> None:
            super().__init__(10**12)

    server.LockTable = Unbounded  # type: ignore[attr-defined]
