"""The outbound buffer between any caller thread and the connection's writer task.

Sends never touch the network: they append here and the writer drains. Two regimes:

- stream up: a sender that finds more than `capacity` frames waiting is slowed down until the
  writer catches up (async senders await, sync senders block): backpressure, nothing refused;
- stream down (before connect, while reconnecting): frames wait up to `capacity`, and a send
  beyond that raises BufferFullError instead of growing without bound or dropping silently.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable, Iterable

from scitrera_aether_client.exceptions import BufferFullError
from scitrera_aether_client.proto import aether_pb2

Frame = aether_pb2.UpstreamMessage


class Outbox:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.stream_up = False  # set by the connection; decides between backpressure and refusal
        self._frames: deque[Frame] = deque()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._writer_waiting = False
        self._room = threading.Condition(self._lock)  # sync senders waiting for the writer
        self._room_async: asyncio.Event | None = None  # async senders, on the writer's loop
        self._loop_thread = 0  # the writer's thread: a put from it wakes the writer directly
        # Run on the writer's loop when a frame arrives for an idle writer; the connection sets
        # one that writes the frame at once (no hop to the writer task on the critical path).
        self.kick: Callable[[], None] | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Attach to the loop the writer runs on (done once, at connect, on that loop)."""
        self._loop = loop
        self._loop_thread = threading.get_ident()
        self._wake = asyncio.Event()
        self._room_async = asyncio.Event()

    def set_stream_up(self, up: bool) -> None:
        """Called on the writer's loop when a stream starts or ends; releases waiting senders."""
        with self._lock:
            self.stream_up = up
            self._room.notify_all()
        if self._room_async is not None:
            self._room_async.set()

    def put(self, frame: Frame) -> None:
        """Queue one frame from any thread; refuses only while the stream is down and full."""
        with self._lock:
            if not self.stream_up and len(self._frames) >= self.capacity:
                raise BufferFullError(
                    f"outbound buffer full ({self.capacity} frames) while the stream is down",
                    code="BUFFER_FULL",
                )
            self._frames.append(frame)
            wake = self._writer_waiting
            self._writer_waiting = False
        if wake:
            self._notify(self.kick)

    @property
    def crowded(self) -> bool:
        """More than `capacity` frames wait on a live stream: the sender should slow down."""
        return self.stream_up and len(self._frames) > self.capacity

    async def room(self) -> None:
        """Wait (on the writer's loop) until the writer took the backlog."""
        while self.crowded and self._room_async is not None:
            self._room_async.clear()
            await self._room_async.wait()

    def room_blocking(self, timeout: float | None = None) -> None:
        """Block a sync sender's thread until the writer took the backlog."""
        with self._room:
            self._room.wait_for(lambda: not self.crowded, timeout)

    def requeue_front(self, frames: Iterable[Frame]) -> None:
        """Put frames back at the head (resent frames after a reconnect); ignores capacity."""
        with self._lock:
            self._frames.extendleft(reversed(list(frames)))

    def _notify(self, kick: Callable[[], None] | None = None) -> None:
        """Wake the writer (or run `kick` instead) on its loop, from any thread."""
        loop, wake = self._loop, self._wake
        if loop is None or wake is None:
            return
        # A thread id comparison: asyncio.get_running_loop() raises (slowly) off the loop.
        if threading.get_ident() == self._loop_thread:
            (kick or wake.set)()
        else:
            loop.call_soon_threadsafe(kick or wake.set)

    def wake_writer(self) -> None:
        """Wake the writer task; only on its loop."""
        if self._wake is not None:
            self._wake.set()

    def take_single(self) -> Frame | None:
        """The one frame queued, taken (waking blocked senders), or None when there are more
        (the writer takes a batch faster) or none."""
        with self._lock:
            if len(self._frames) != 1:
                return None
            frame = self._frames.popleft()
            self._room.notify_all()
        if self._room_async is not None:
            self._room_async.set()
        return frame

    def drain(self) -> list[Frame]:
        """Take everything queued (waking blocked senders), or mark the writer as waiting."""
        with self._lock:
            if self._frames:
                frames = list(self._frames)
                self._frames.clear()
                self._room.notify_all()
                if self._room_async is not None:
                    self._room_async.set()
                return frames
            self._writer_waiting = True
            if self._wake is not None:
                self._wake.clear()
            return []

    async def wait(self) -> None:
        assert self._wake is not None
        await self._wake.wait()

    def poke(self) -> None:
        """Wake the writer even if nothing new was queued (used when a new stream is up)."""
        with self._lock:
            self._writer_waiting = False
        self._notify()

    def __len__(self) -> int:
        return len(self._frames)
