"""The SQLite connection every store module shares.

One connection, used only from the gateway's event-loop thread. WAL with synchronous=NORMAL: a
committed write survives `kill -9` of the process (not power loss: that needs FULL).
Each store module registers its DDL with `Database.register_schema` at import time; `Database`
applies all of them when it opens.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_SCHEMAS: list[str] = []


class Database:
    """A SQLite database file (or ':memory:') with the gateway's tables."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        target = str(path)
        if target != ":memory:":
            Path(target).parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(target, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        for ddl in _SCHEMAS:
            self.conn.executescript(ddl)

    @staticmethod
    def register_schema(ddl: str) -> None:
        """Add CREATE TABLE IF NOT EXISTS statements applied on every open."""
        _SCHEMAS.append(ddl)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic unit: committed on exit, rolled back on error."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()


def now_s() -> int:
    return int(time.time())


def now_ms() -> int:
    return int(time.time() * 1000)
