"""Group commit for the durable queues: one SQLite transaction per event-loop tick, pipelined.

Every frame for an identity topic is written ahead of its delivery, so a `kill -9` of the gateway
loses only what was not yet committed, and none of that was handed out: a frame goes to its
session only after its batch committed (`Batch.committed`). One commit costs 60-100 us on these
machines, so per-message commits would cap routing near 12k/s; batching removes that cap. With a
file database the commit runs on a thread of its own with its own connection (sqlite3 releases
the GIL while it writes): batch N commits there while the loop routes and fills batch N+1, which
starts when N returns. An in-memory database commits inline (one connection only).

aether.v1 has no delivery acknowledgement, and a frame handed to gRPC can still die in the
gateway's buffers or the socket when the process or the connection dies. So a sent frame is
deleted only after it *settled*: SETTLE_S after it left, if its session is still up then. When a
session ends, its unsettled frames stay stored and are delivered again on the next connection:
at-least-once, never lost (measured: without settling, a kill -9 lost the ~50 frames sent in the
last 25 ms; with it they come back as duplicates).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

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
        # The commit thread and its own connection (file databases). At most one commit is in
        # flight; the loop fills the next batch meanwhile and starts it when that one returns.
        self._writer = queue.reopen()
        self._thread: futures.ThreadPoolExecutor | None = None
        self._inflight: tuple[futures.Future[_Result], _Work] | None = None
        self._again = False  # a commit was asked for while one was in flight
        self._again_lazy = False

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
            self._lazy = asyncio.get_running_loop().call_later(LAZY_S, self._lazy_due)

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
        self._request(lazy=False)

    def _lazy_due(self) -> None:
        self._lazy = None
        self._request(lazy=True)

    def _request(self, lazy: bool) -> None:
        """Start a commit now, or right after the one in flight (the loop keeps filling it)."""
        if self._inflight is None:
            self._start(lazy)
        else:
            self._again = True
            self._again_lazy |= lazy

    def flush(self) -> None:
        """Commit everything pending, lazy work included, and wait for it (replays, the queue
        limits' recounts and close read the table next; they must see every row)."""
        self._scheduled = False
        if self._lazy is not None:
            self._lazy.cancel()
            self._lazy = None
        self._again = self._again_lazy = False  # what they asked for is committed below
        inflight = self._inflight
        if inflight is not None:
            futures.wait([inflight[0]])
            self._done(*inflight)
        work = self._take(lazy=True)
        if work is not None:
            self._finish(work, *_run(self._writer or self.queue, work), raise_=True)

    def _take(self, lazy: bool) -> _Work | None:
        """The pending work as one commit; None (and waiters released) when nothing is to write."""
        work = _Work(self._inserts, self._acks, [], {}, self._batch, self._after)
        self._inserts, self._acks, self._batch, self._after = [], {}, Batch(), []
        if lazy:
            work.deletes, work.handed = self._deletes, self._handed
            self._deletes, self._handed = [], {}
        if work.inserts or work.acks or work.deletes or work.handed:
            return work
        self._finish(work, [], 0.0, None)
        return None

    def _start(self, lazy: bool) -> None:
        work = self._take(lazy)
        if work is None:
            return
        if self._writer is None:  # in-memory database: commit inline on the one connection
            self._finish(work, *_run(self.queue, work))
            return
        if self._thread is None:
            self._thread = futures.ThreadPoolExecutor(1, thread_name_prefix="aether-commit")
        loop = asyncio.get_running_loop()
        future = self._thread.submit(_run, self._writer, work)
        self._inflight = (future, work)
        future.add_done_callback(lambda f: _call_soon(loop, self._done, f, work))

    def _done(self, future: futures.Future[_Result], work: _Work) -> None:
        """A threaded commit returned: release its batch, then start the next one if due."""
        if self._inflight is None or self._inflight[0] is not future:
            return  # flush() already finished it
        self._inflight = None
        self._finish(work, *future.result())
        if self._again:
            lazy, self._again, self._again_lazy = self._again_lazy, False, False
            self._start(lazy)

    def _finish(
        self,
        work: _Work,
        seqs: list[int],
        took: float,
        error: BaseException | None,
        raise_: bool = False,
    ) -> None:
        if error is not None:
            # Loud, and nothing of this batch leaves: its frames are never handed to a session and
            # its sends never confirmed (a confirming sender resends; the others got no guarantee
            # beyond what was committed).
            log.error(
                "durable queue commit failed for %d frames; they are not delivered",
                len(work.inserts),
                exc_info=error,
            )
            if raise_:
                raise error
            return
        if took and self.observe is not None:
            self.observe(took)
        work.batch.seqs = seqs
        work.batch.committed.set()
        for callback in work.after:
            callback()

    def close(self) -> None:
        """Commit what is pending (waiting for the commit in flight), then stop the thread."""
        if self._lazy is not None:
            self._lazy.cancel()
            self._lazy = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        try:
            self.flush()
        finally:
            if self._thread is not None:
                self._thread.shutdown(wait=True)
                self._thread = None
            if self._writer is not None:
                self._writer.close()
                self._writer = None


@dataclass
class _Work:
    """One commit's rows (read by the commit thread only while it runs; the loop made new lists)."""

    inserts: list[tuple[str, bytes]]
    acks: dict[str, int]
    deletes: list[int]
    handed: dict[str, int]
    batch: Batch
    after: list[Callable[[], None]]


_Result = tuple[list[int], float, BaseException | None]


def _run(queue: MessageQueue, work: _Work) -> _Result:
    """The commit itself (on the commit thread, or inline): its seqs, duration and error."""
    started = time.perf_counter()
    try:
        seqs = queue.commit(work.inserts, work.acks, work.deletes, work.handed)
    except Exception as exc:
        return [], 0.0, exc
    return seqs, time.perf_counter() - started, None


def _call_soon(loop: asyncio.AbstractEventLoop, *args: Any) -> None:
    with contextlib.suppress(RuntimeError):  # the loop already closed: close() finished the batch
        loop.call_soon_threadsafe(*args)
