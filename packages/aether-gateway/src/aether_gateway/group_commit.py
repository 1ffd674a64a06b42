"""Group commit for the durable queues: one SQLite transaction per event-loop tick.

Every frame for an identity topic is written ahead of its delivery, so a `kill -9` of the gateway
loses only what arrived in the last tick. A frame is handed to its session only after its batch
committed (`Batch.committed`). One commit costs ~80 us on these machines, so per-message commits
would cap routing near 12k/s; batching removes that cap.

aether.v1 has no delivery acknowledgement, and a frame handed to gRPC can still die in the
gateway's buffers or the socket when the process or the connection dies. So a sent frame is
deleted only after it *settled*: SETTLE_S after it left, if its session is still up then. When a
session ends, its unsettled frames stay stored and are delivered again on the next connection:
at-least-once, never lost (measured: without settling, a kill -9 lost the ~50 frames sent in the
last 25 ms; with it they come back as duplicates).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from aether_gateway.store.queue import MessageQueue

log = logging.getLogger("aether_gateway")
SETTLE_S = 0.25
# Acknowledged rows and handed marks are written lazily, in one commit every LAZY_S (and at
# replay and close). An acknowledged row that a crash brings back is redelivered (and dropped as
# a duplicate by the receiving SDK), so deleting it late is safe; it keeps this work out of the
# commits that new messages wait for.
LAZY_S = 0.05


@dataclass(eq=False)
class Batch:
    committed: asyncio.Event = field(default_factory=asyncio.Event)
    seqs: list[int] = field(default_factory=list)


class GroupCommit:
    def __init__(self, queue: MessageQueue, settle_s: float = SETTLE_S) -> None:
        self.queue = queue
        self.settle_s = settle_s
        # Told each commit's duration in seconds (the ops endpoint's histogram; set by Hub).
        self.observe: Callable[[float], None] | None = None
        self._inserts: list[tuple[str, bytes]] = []
        self._acks: dict[str, int] = {}
        self._batch = Batch()
        self._scheduled = False
        self._unsettled: dict[str, deque[tuple[float, int]]] = {}
        self._timer: asyncio.TimerHandle | None = None
        # Delivery extension (delivery.py): rows acknowledged one by one, the highest row handed
        # out per topic (what a later replay flags as redelivered), and confirmations to send.
        self._deletes: list[int] = []
        self._handed: dict[str, int] = {}
        self._after: list[Callable[[], None]] = []
        self._lazy: asyncio.TimerHandle | None = None

    def append(self, topic: str, frame: bytes) -> tuple[Batch, int]:
        """Queue a durable write; returns the batch to wait on and the index of this row in it."""
        self._inserts.append((topic, frame))
        self._schedule()
        return self._batch, len(self._inserts) - 1

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once everything appended so far is committed (not if the commit fails)."""
        self._after.append(callback)
        self._schedule()

    def delete(self, seq: int) -> None:
        """An acknowledged row: delete it with the next commit (at most LAZY_S from now)."""
        self._deletes.append(seq)
        self._schedule_lazy()

    def handed(self, topic: str, seq: int) -> None:
        """Row `seq` of `topic` went to an acknowledging session: a replay of it is a redelivery.

        Replays flush first, so a mark not yet written still counts for this process."""
        if seq > self._handed.get(topic, 0):
            self._handed[topic] = seq
            self._schedule_lazy()

    def _schedule_lazy(self) -> None:
        if self._lazy is None:
            self._lazy = asyncio.get_running_loop().call_later(LAZY_S, self.flush)

    def sent(self, topic: str, seq: int) -> None:
        """A stored frame left for its session; delete it once it settled."""
        self._unsettled.setdefault(topic, deque()).append((time.monotonic(), seq))
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.settle_s, self._settle)

    def session_ended(self, topic: str) -> None:
        """Keep the topic's unsettled frames: the next connection gets them again."""
        self._unsettled.pop(topic, None)

    def _settle(self) -> None:
        self._timer = None
        horizon = time.monotonic() - self.settle_s
        for topic in list(self._unsettled):
            sent = self._unsettled[topic]
            while sent and sent[0][0] <= horizon:
                seq = sent.popleft()[1]
                if seq > self._acks.get(topic, 0):
                    self._acks[topic] = seq
            if not sent:
                del self._unsettled[topic]
        if self._acks:
            self._schedule()
        if self._unsettled:
            self._timer = asyncio.get_running_loop().call_later(self.settle_s, self._settle)

    def _schedule(self) -> None:
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._flush_soon)

    def _flush_soon(self) -> None:
        """The per-tick commit: new rows (and settled ones); lazy work waits for its timer."""
        self._scheduled = False
        self._commit(lazy=False)

    def flush(self) -> None:
        """Commit everything pending, lazy work included (replays and close need it all)."""
        self._scheduled = False
        if self._lazy is not None:
            self._lazy.cancel()
            self._lazy = None
        self._commit(lazy=True)

    def _commit(self, lazy: bool) -> None:
        inserts, acks, batch, after = self._inserts, self._acks, self._batch, self._after
        self._inserts, self._acks, self._batch, self._after = [], {}, Batch(), []
        deletes: list[int] = []
        handed: dict[str, int] = {}
        if lazy:
            deletes, handed = self._deletes, self._handed
            self._deletes, self._handed = [], {}
        if inserts or acks or deletes or handed:
            started = time.perf_counter()
            try:
                batch.seqs = self.queue.commit(inserts, acks, deletes, handed)
            except Exception:
                log.exception("durable queue commit failed for %d frames", len(inserts))
                raise
            if self.observe is not None:
                self.observe(time.perf_counter() - started)
        batch.committed.set()
        for callback in after:
            callback()

    def close(self) -> None:
        if self._lazy is not None:
            self._lazy.cancel()
            self._lazy = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.flush()
