"""A bounded, thread-safe outbound buffer between any caller thread and the connection's writer.

Sends never wait for the network: they append here and the writer task drains. While the stream
is down (not yet connected, or reconnecting) frames accumulate up to `capacity`; a send beyond
that raises BufferFullError instead of silently dropping (DESIGN §3.5).
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Iterable

from scitrera_aether_client.exceptions import BufferFullError
from scitrera_aether_client.proto import aether_pb2

Frame = aether_pb2.UpstreamMessage


class Outbox:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._frames: deque[Frame] = deque()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._writer_waiting = False

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Attach to the loop the writer runs on (done once, at connect)."""
        self._loop = loop
        self._wake = asyncio.Event()

    def put(self, frame: Frame) -> None:
        """Queue one frame from any thread."""
        with self._lock:
            if len(self._frames) >= self.capacity:
                raise BufferFullError(
                    f"outbound buffer full ({self.capacity} frames) while the stream is down",
                    code="BUFFER_FULL",
                )
            self._frames.append(frame)
            wake = self._writer_waiting
            self._writer_waiting = False
        if wake:
            self._notify()

    def requeue_front(self, frames: Iterable[Frame]) -> None:
        """Put frames back at the head (resent requests after a reconnect); ignores capacity."""
        with self._lock:
            self._frames.extendleft(reversed(list(frames)))

    def _notify(self) -> None:
        loop, wake = self._loop, self._wake
        if loop is None or wake is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            wake.set()
        else:
            loop.call_soon_threadsafe(wake.set)

    def drain(self) -> list[Frame]:
        """Take everything queued, or mark the writer as waiting if nothing is."""
        with self._lock:
            if self._frames:
                frames = list(self._frames)
                self._frames.clear()
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
