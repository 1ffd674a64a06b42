"""The delivery extension's pure pieces: ids, the duplicate window, unconfirmed sends, acks."""

from __future__ import annotations

import asyncio
import threading

import pytest

from scitrera_aether_client._core import delivery
from scitrera_aether_client.proto import aether_pb2


def test_message_ids_are_unique_within_and_across_generators() -> None:
    first, second = delivery.MessageIds(), delivery.MessageIds()
    ids = [first.next() for _ in range(1000)] + [second.next() for _ in range(1000)]
    assert len(set(ids)) == 2000
    assert all(len(i) <= 40 for i in ids)


def test_seen_window_drops_repeats() -> None:
    seen = delivery.SeenWindow()
    assert seen.first_time("a")
    assert not seen.first_time("a")
    assert seen.first_time("b")


def test_seen_window_is_bounded_by_count() -> None:
    seen = delivery.SeenWindow(max_ids=3)
    for name in "abcd":
        assert seen.first_time(name)
    assert len(seen) == 3
    assert seen.first_time("a"), "the oldest id was forgotten once the window was full"
    assert not seen.first_time("d")


def test_seen_window_is_bounded_by_age(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(delivery.time, "monotonic", lambda: now[0])
    seen = delivery.SeenWindow(max_age_s=10.0)
    assert seen.first_time("old")
    now[0] += 11.0
    assert seen.first_time("new")
    assert len(seen) == 1
    assert seen.first_time("old"), "an id older than the window is forgotten"


def _send(payload: bytes) -> aether_pb2.UpstreamMessage:
    return aether_pb2.UpstreamMessage(send=aether_pb2.SendMessage(payload=payload))


async def test_unconfirmed_resends_in_order_and_settles_waiters() -> None:
    pending = delivery.Unconfirmed()
    for i in range(4):
        pending.written(f"id{i}", _send(str(i).encode()))
    waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    pending.waiters["id1"] = waiter
    pending.confirm(["id1", "unknown"])
    assert waiter.done() and waiter.result() is None
    refused: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    pending.waiters["id2"] = refused
    pending.refuse("id2", ValueError("no"))
    with pytest.raises(ValueError):
        refused.result()
    assert [f.send.payload for f in pending.take_all()] == [b"0", b"3"]
    assert len(pending) == 0


def test_countdown_fires_once_after_the_last_callback() -> None:
    fired: list[int] = []
    countdown = delivery.Countdown(2, lambda: fired.append(1))
    countdown.done()
    assert fired == []
    countdown.done()
    assert fired == [1]


async def test_acks_from_threads_are_batched_into_few_frames() -> None:
    sent: list[aether_pb2.UpstreamMessage] = []
    batcher = delivery.AckBatcher(sent.append)
    batcher.bind(asyncio.get_running_loop())
    threads = [
        threading.Thread(target=lambda base=b: [batcher.add(base * 100 + i) for i in range(100)])
        for b in range(1, 5)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    await asyncio.sleep(delivery.ACK_DELAY_S * 4)
    tags = [t for frame in sent for t in frame.delivery_ack.delivery_tags]
    assert sorted(tags) == sorted(b * 100 + i for b in range(1, 5) for i in range(100))
    assert len(sent) <= 4, f"{len(sent)} DeliveryAck frames for 400 tags"


async def test_a_full_batch_goes_out_without_waiting() -> None:
    sent: list[aether_pb2.UpstreamMessage] = []
    batcher = delivery.AckBatcher(sent.append)
    batcher.bind(asyncio.get_running_loop())
    for tag in range(delivery.ACK_BATCH):
        batcher.add(tag + 1)
    await asyncio.sleep(0)  # one loop turn, far less than ACK_DELAY_S
    await asyncio.sleep(0)
    assert sum(len(f.delivery_ack.delivery_tags) for f in sent) == delivery.ACK_BATCH
