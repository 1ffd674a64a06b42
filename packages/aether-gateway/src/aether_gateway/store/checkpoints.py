"""Per-identity checkpoints: opaque blobs a principal saves and reloads across reconnects.

The reference names a checkpoint `checkpoint:{identity}:{key}`. Here identity and key are separate
columns, so listing one identity's keys can never match another identity that merely starts with
the same text (identities and keys may both contain ':'). Expiry is lazy, as in the KV store.
"""

from __future__ import annotations

from collections.abc import Callable

from aether_gateway.store.db import Database, now_ms

Database.register_schema(
    """
    CREATE TABLE IF NOT EXISTS checkpoints (
        identity TEXT NOT NULL,
        key TEXT NOT NULL,
        data BLOB NOT NULL,
        saved_at INTEGER NOT NULL,
        expires_at INTEGER,
        PRIMARY KEY (identity, key)
    ) WITHOUT ROWID;
    """
)


class CheckpointStore:
    """Durable checkpoints in the gateway database. `clock` returns unix ms (tests inject one)."""

    def __init__(self, db: Database, *, clock: Callable[[], int] = now_ms) -> None:
        self._db = db
        self._clock = clock

    def save(self, identity: str, key: str, data: bytes, ttl_s: int = 0) -> int:
        """Store `data`, replacing an earlier save; ttl_s 0 never expires. Returns saved_at (s)."""
        now = self._clock()
        expires_at = now + ttl_s * 1000 if ttl_s > 0 else None
        saved_at = now // 1000
        self._db.conn.execute(
            "INSERT OR REPLACE INTO checkpoints (identity, key, data, saved_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (identity, key, data, saved_at, expires_at),
        )
        return saved_at

    def load(self, identity: str, key: str) -> tuple[bytes, int] | None:
        """(data, saved_at in unix s), or None when there is no live checkpoint."""
        now = self._clock()
        row = self._db.conn.execute(
            "SELECT data, saved_at, expires_at FROM checkpoints WHERE identity = ? AND key = ?",
            (identity, key),
        ).fetchone()
        if row is None:
            return None
        if row[2] is not None and row[2] <= now:
            self._purge(identity, now)
            return None
        return row[0], row[1]

    def delete(self, identity: str, key: str) -> bool:
        """Remove the checkpoint; True if a live one was there."""
        rows = self._db.conn.execute(
            "DELETE FROM checkpoints WHERE identity = ? AND key = ? RETURNING expires_at",
            (identity, key),
        ).fetchall()
        return bool(rows) and (rows[0][0] is None or rows[0][0] > self._clock())

    def keys(self, identity: str) -> list[str]:
        """The identity's live checkpoint keys, sorted."""
        now = self._clock()
        with self._db.transaction() as conn:
            self._purge(identity, now)
            rows = conn.execute(
                "SELECT key FROM checkpoints WHERE identity = ? ORDER BY key", (identity,)
            ).fetchall()
        return [key for (key,) in rows]

    def _purge(self, identity: str, now: int) -> None:
        self._db.conn.execute(
            "DELETE FROM checkpoints WHERE identity = ? AND expires_at <= ?", (identity, now)
        )
