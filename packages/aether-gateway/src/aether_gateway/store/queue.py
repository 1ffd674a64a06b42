"""Durable per-topic FIFO of serialized frames for identity topics whose owner is offline.

Delivery is at-least-once: a reader takes `pending()`, sends, then `ack()`s up to the last sequence
it delivered; a crash in between redelivers. Sequence numbers come from one AUTOINCREMENT counter,
so they grow across all topics and are never reused, even after every row was acked; a stale
`ack(upto_seq)` therefore cannot delete frames enqueued later.
"""

from __future__ import annotations

from collections.abc import Iterable

from aether_gateway.store.db import Database

Database.register_schema(
    """
    CREATE TABLE IF NOT EXISTS message_queue (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        topic TEXT NOT NULL,
        frame BLOB NOT NULL
    );
    CREATE INDEX IF NOT EXISTS message_queue_topic ON message_queue (topic, seq);
    -- Delivery extension: the highest row of a topic handed to an acknowledging session. Rows at
    -- or below it that are still stored may have reached a client: a replay flags them.
    CREATE TABLE IF NOT EXISTS delivery_marks (
        topic TEXT PRIMARY KEY,
        handed_upto INTEGER NOT NULL
    );
    """
)


class MessageQueue:
    """Queued frames in the gateway database, in enqueue order per topic."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def enqueue(self, topic: str, frame: bytes) -> int:
        """Append one frame; returns its sequence number."""
        row = self._db.conn.execute(
            "INSERT INTO message_queue (topic, frame) VALUES (?, ?) RETURNING seq", (topic, frame)
        ).fetchone()
        seq: int = row[0]
        return seq

    def enqueue_many(self, frames: Iterable[tuple[str, bytes]]) -> None:
        """Append (topic, frame) pairs in one commit: the group commit that keeps fan-out cheap."""
        with self._db.transaction() as conn:
            conn.executemany("INSERT INTO message_queue (topic, frame) VALUES (?, ?)", frames)

    def commit(
        self,
        inserts: list[tuple[str, bytes]],
        acks: dict[str, int],
        deletes: list[int] | None = None,
        handed: dict[str, int] | None = None,
    ) -> list[int]:
        """One transaction: append `inserts` (returning their seqs, in order), apply `acks`
        (everything of a topic up to a seq), `deletes` (single rows) and `handed` marks."""
        with self._db.transaction() as conn:
            # One statement for the batch (4x cheaper than a RETURNING per row, measured). In one
            # transaction on the gateway's only connection, AUTOINCREMENT hands out consecutive
            # seqs, so the batch's seqs end at last_insert_rowid().
            conn.executemany("INSERT INTO message_queue (topic, frame) VALUES (?, ?)", inserts)
            last: int = conn.execute("SELECT last_insert_rowid()").fetchone()[0] if inserts else 0
            seqs = list(range(last - len(inserts) + 1, last + 1))
            if acks:  # most ticks settle nothing: no statement for them
                conn.executemany(
                    "DELETE FROM message_queue WHERE topic = ? AND seq <= ?", list(acks.items())
                )
            if deletes:
                conn.executemany("DELETE FROM message_queue WHERE seq = ?", [(s,) for s in deletes])
            if handed:
                conn.executemany(
                    "INSERT INTO delivery_marks (topic, handed_upto) VALUES (?, ?) ON CONFLICT"
                    "(topic) DO UPDATE SET handed_upto = max(handed_upto, excluded.handed_upto)",
                    list(handed.items()),
                )
        return seqs

    def handed_upto(self, topic: str) -> int:
        """The highest row of `topic` ever handed to an acknowledging session (0 if none)."""
        row = self._db.conn.execute(
            "SELECT handed_upto FROM delivery_marks WHERE topic = ?", (topic,)
        ).fetchone()
        return int(row[0]) if row else 0

    def pending(self, topic: str, limit: int = 1000) -> list[tuple[int, bytes]]:
        """The oldest `limit` undelivered (seq, frame) pairs of `topic`, oldest first."""
        rows = self._db.conn.execute(
            "SELECT seq, frame FROM message_queue WHERE topic = ? ORDER BY seq LIMIT ?",
            (topic, limit),
        ).fetchall()
        return [(seq, frame) for seq, frame in rows]

    def ack(self, topic: str, upto_seq: int) -> None:
        """Forget every frame of `topic` with seq <= upto_seq (they were delivered)."""
        self._db.conn.execute(
            "DELETE FROM message_queue WHERE topic = ? AND seq <= ?", (topic, upto_seq)
        )

    def depth(self, topic: str | None = None) -> int:
        """How many frames wait, on `topic` or on all topics."""
        if topic is None:
            row = self._db.conn.execute("SELECT COUNT(*) FROM message_queue").fetchone()
        else:
            row = self._db.conn.execute(
                "SELECT COUNT(*) FROM message_queue WHERE topic = ?", (topic,)
            ).fetchone()
        count: int = row[0]
        return count
