"""MessageQueue: per-topic FIFO order, acknowledgement and depth."""

from __future__ import annotations

import sqlite3

import pytest

from aether_gateway.store.db import Database
from aether_gateway.store.queue import MessageQueue

A = "ag::ws::impl::a"
B = "ag::ws::impl::b"


@pytest.fixture
def queue() -> MessageQueue:
    return MessageQueue(Database(":memory:"))


def test_pending_is_fifo_per_topic(queue: MessageQueue) -> None:
    seqs = [queue.enqueue(A, f"a{i}".encode()) for i in range(3)]
    queue.enqueue(B, b"b0")
    queue.enqueue(A, b"a3")
    assert seqs == sorted(seqs)
    assert [frame for _, frame in queue.pending(A)] == [b"a0", b"a1", b"a2", b"a3"]
    assert queue.pending(B) == [(seqs[-1] + 1, b"b0")]
    assert queue.pending("ag::ws::impl::nobody") == []


def test_pending_limit_returns_oldest(queue: MessageQueue) -> None:
    for i in range(5):
        queue.enqueue(A, bytes([i]))
    assert [frame for _, frame in queue.pending(A, limit=2)] == [b"\x00", b"\x01"]


def test_ack_removes_only_delivered_frames_of_that_topic(queue: MessageQueue) -> None:
    for i in range(4):
        queue.enqueue(A, bytes([i]))
    queue.enqueue(B, b"b")
    delivered = queue.pending(A, limit=2)
    queue.ack(A, delivered[-1][0])
    assert [frame for _, frame in queue.pending(A)] == [b"\x02", b"\x03"]
    assert queue.depth(B) == 1


def test_depth_counts_one_topic_or_all(queue: MessageQueue) -> None:
    assert queue.depth() == 0
    queue.enqueue(A, b"1")
    queue.enqueue(A, b"2")
    queue.enqueue(B, b"3")
    assert (queue.depth(A), queue.depth(B), queue.depth()) == (2, 1, 3)


def test_enqueue_many_keeps_order_in_one_commit(queue: MessageQueue) -> None:
    queue.enqueue_many([(A, b"1"), (B, b"x"), (A, b"2"), (A, b"3")])
    assert [frame for _, frame in queue.pending(A)] == [b"1", b"2", b"3"]
    assert queue.depth() == 4


def test_enqueue_many_is_all_or_nothing(queue: MessageQueue) -> None:
    with pytest.raises(sqlite3.IntegrityError):  # the second row violates NOT NULL
        queue.enqueue_many([(A, b"ok"), (A, None)])  # type: ignore[list-item]
    assert queue.depth() == 0


def test_sequence_numbers_are_not_reused_after_drain(queue: MessageQueue) -> None:
    first = queue.enqueue(A, b"old")
    queue.ack(A, first)
    second = queue.enqueue(A, b"new")
    assert second > first
    queue.ack(A, first)  # a stale ack must not drop the newer frame
    assert queue.pending(A) == [(second, b"new")]


def test_group_commit_returns_each_rows_own_seq() -> None:
    from aether_gateway.store.db import Database
    from aether_gateway.store.queue import MessageQueue

    queue = MessageQueue(Database(":memory:"))
    queue.enqueue("other", b"first")  # seqs are global: the batch must not assume it starts at 1
    rows = [("t", f"f{i}".encode()) for i in range(50)]
    seqs = queue.commit(rows, {})
    stored = dict(queue.pending("t", limit=100))
    assert [stored[s] for s in seqs] == [frame for _, frame in rows]
    assert queue.commit([], {"t": seqs[9]}) == []
    assert [seq for seq, _ in queue.pending("t", limit=100)] == seqs[10:]
