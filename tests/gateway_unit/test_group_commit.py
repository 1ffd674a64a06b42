"""GroupCommit on a file database: the commit runs on its own thread and connection, pipelined.

What must hold whatever the thread does: a batch is released (`committed`, after-commit callbacks)
only once its rows are durable; reads that follow `flush()` see every row appended before it;
`close()` leaves nothing uncommitted; a failed commit is logged and releases nothing.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from pathlib import Path

import pytest

from aether_gateway.group_commit import GroupCommit
from aether_gateway.store.db import Database
from aether_gateway.store.queue import MessageQueue

A = "ag::ws::impl::a"
B = "ag::ws::impl::b"


def _stored(path: Path, topic: str) -> list[bytes]:
    """The rows of `topic` as a fresh connection (another process after a crash) reads them."""
    db = Database(path)
    try:
        return [frame for _, frame in MessageQueue(db).pending(topic)]
    finally:
        db.close()


async def _until(condition: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.001)


async def test_batches_commit_on_their_own_thread_in_order(tmp_path: Path) -> None:
    path = tmp_path / "gw.db"
    commit = GroupCommit(MessageQueue(Database(path)))
    threads: set[str] = set()
    commit.after_commit(lambda: None)
    batches = []
    for tick in range(20):  # 20 ticks of 5 rows: later ticks fill while earlier ones commit
        for i in range(5):
            batches.append(commit.append(A, f"{tick}-{i}".encode()))
        commit.after_commit(lambda: threads.update(t.name for t in threading.enumerate()))
        await asyncio.sleep(0)
    await _until(lambda: all(batch.committed.is_set() for batch, _ in batches))
    seqs = [batch.seqs[index] for batch, index in batches]
    assert seqs == sorted(seqs) and len(set(seqs)) == 100
    # Every released batch is on disk, as another connection reads it.
    assert _stored(path, A) == [f"{t}-{i}".encode() for t in range(20) for i in range(5)]
    assert any(name.startswith("aether-commit") for name in threads)
    commit.close()
    assert not any(t.name.startswith("aether-commit") for t in threading.enumerate())


async def test_flush_waits_for_the_commit_in_flight(tmp_path: Path) -> None:
    db = Database(tmp_path / "gw.db")
    queue = MessageQueue(db)
    commit = GroupCommit(queue)
    first, _ = commit.append(A, b"one")
    await asyncio.sleep(0)  # the tick's commit starts on the thread
    second, _ = commit.append(A, b"two")  # the next batch, not yet started
    commit.flush()
    # Without waiting, the event loop has not run: flush alone made both batches durable.
    assert first.committed.is_set() and second.committed.is_set()
    assert [frame for _, frame in queue.pending(A)] == [b"one", b"two"]
    commit.close()


async def test_close_leaves_nothing_uncommitted(tmp_path: Path) -> None:
    path = tmp_path / "gw.db"
    commit = GroupCommit(MessageQueue(Database(path)))
    confirmed: list[int] = []
    for i in range(50):
        commit.append(B, str(i).encode())
        commit.after_commit(lambda i=i: confirmed.append(i))  # type: ignore[misc]
        if i % 10 == 9:
            await asyncio.sleep(0)  # some batches in flight, the last one only pending
    commit.close()
    assert confirmed == list(range(50))
    assert _stored(path, B) == [str(i).encode() for i in range(50)]


async def test_a_failed_commit_is_logged_and_releases_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = Database(tmp_path / "gw.db")
    queue = MessageQueue(db)
    commit = GroupCommit(queue)
    # SQLite refuses the batch's insert, as it does when the disk is full: the whole transaction
    # rolls back on the commit thread's connection.
    db.conn.execute(
        "CREATE TRIGGER refuse BEFORE INSERT ON message_queue WHEN NEW.topic = 'ag::ws::impl::a'"
        " BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
    )
    confirmed: list[str] = []
    lost, _ = commit.append(A, b"refused")
    kept, _ = commit.append(B, b"same batch")
    commit.after_commit(lambda: confirmed.append("first"))
    with caplog.at_level(logging.ERROR, logger="aether_gateway"):
        await _until(lambda: "durable queue commit failed for 2 frames" in caplog.text)
    await asyncio.sleep(0.05)  # give a wrong release the chance to happen
    assert not lost.committed.is_set() and not kept.committed.is_set()
    assert confirmed == []
    assert queue.pending(A) == [] and queue.pending(B) == []  # rolled back as one

    db.conn.execute("DROP TRIGGER refuse")  # space again: the next batch goes through
    later, _ = commit.append(B, b"later")
    commit.after_commit(lambda: confirmed.append("later"))
    await _until(later.committed.is_set)
    assert confirmed == ["later"]
    assert [frame for _, frame in queue.pending(B)] == [b"later"]
    commit.close()


async def test_a_failed_commit_in_flush_raises(tmp_path: Path) -> None:
    """A replay or recount must not read on as if the rows were there."""
    db = Database(tmp_path / "gw.db")
    commit = GroupCommit(MessageQueue(db))
    db.conn.execute(
        "CREATE TRIGGER refuse BEFORE INSERT ON message_queue"
        " BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
    )
    batch, _ = commit.append(A, b"x")
    with pytest.raises(Exception, match="disk is full"):
        commit.flush()
    assert not batch.committed.is_set()
    db.conn.execute("DROP TRIGGER refuse")
    commit.close()
