"""The delivery extension's client side, free of I/O: ids, confirmations, duplicates, acks.

aether.v1 has no delivery acknowledgement. When the gateway negotiates this extension (ours does;
the Go gateway does not) the client:

- gives every SendMessage an id that survives resends and keeps the frame until the gateway
  confirms it committed it (SendConfirm), resending the unconfirmed ones on the next stream;
- acknowledges each queued message it received (DeliveryAck of its delivery_tag) only after the
  application's callbacks for it returned, so the gateway keeps and redelivers what the
  application never finished;
- drops messages whose id it saw recently, so resends and redeliveries reach the application once.

Without the extension the connection runs "best effort" (a resend window, see connection.py).
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable

from scitrera_aether_client.exceptions import ConnectionClosedError
from scitrera_aether_client.proto import aether_pb2

DELIVERY_URI = "urn:scitrera-aether-sdk:delivery"
DELIVERY_VERSION = "1"
ACKNOWLEDGED = "acknowledged"
BEST_EFFORT = "best-effort"
#: The duplicate filter remembers ids for this long, and at most this many.
SEEN_WINDOW_S = 600.0
SEEN_WINDOW_IDS = 200_000
#: Acks wait this long to be batched into one DeliveryAck (or until ACK_BATCH are pending): a
#: frame per message would double the frames the gateway handles, and a few ms of delay only
#: postpones a deletion, never a delivery.
ACK_DELAY_S = 0.005
ACK_BATCH = 1024


def declaration() -> aether_pb2.ExtensionDeclaration:
    return aether_pb2.ExtensionDeclaration(
        uri=DELIVERY_URI, version=DELIVERY_VERSION, required=False
    )


def negotiated(ack: aether_pb2.ConnectionAck) -> bool:
    return any(n.uri == DELIVERY_URI and n.supported for n in ack.negotiated_extensions)


class MessageIds:
    """Unique message ids, cheap to make: a random per-process prefix and a counter."""

    def __init__(self) -> None:
        self._prefix = uuid.uuid4().hex[:20]
        self._counter = itertools.count(1)

    def next(self) -> str:
        return f"{self._prefix}-{next(self._counter):x}"


class SeenWindow:
    """Ids delivered to the application recently (bounded by age and by count)."""

    def __init__(self, max_age_s: float = SEEN_WINDOW_S, max_ids: int = SEEN_WINDOW_IDS) -> None:
        self.max_age_s = max_age_s
        self.max_ids = max_ids
        self._seen: OrderedDict[str, float] = OrderedDict()

    def first_time(self, message_id: str) -> bool:
        """Record `message_id`; False when it was already seen within the window."""
        now = time.monotonic()
        self._expire(now)
        if message_id in self._seen:
            return False
        self._seen[message_id] = now
        if len(self._seen) > self.max_ids:
            self._seen.popitem(last=False)
        return True

    def _expire(self, now: float) -> None:
        horizon = now - self.max_age_s
        seen = self._seen
        while seen:
            oldest = next(iter(seen.values()))
            if oldest >= horizon:
                return
            seen.popitem(last=False)

    def __len__(self) -> int:
        return len(self._seen)


class Unconfirmed:
    """Sends written to a stream and not yet confirmed by the gateway, oldest first.

    Also the futures of callers that asked to wait for the commit (wait_for_commit=True).
    """

    def __init__(self) -> None:
        self.frames: OrderedDict[str, aether_pb2.UpstreamMessage] = OrderedDict()
        self.waiters: dict[str, asyncio.Future[None]] = {}

    def written(self, message_id: str, frame: aether_pb2.UpstreamMessage) -> None:
        self.frames[message_id] = frame

    def confirm(self, ids: Iterable[str]) -> None:
        for message_id in ids:
            self.frames.pop(message_id, None)
            waiter = self.waiters.pop(message_id, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(None)

    def refuse(self, message_id: str, error: Exception) -> None:
        self.frames.pop(message_id, None)
        waiter = self.waiters.pop(message_id, None)
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)

    def take_all(self) -> list[aether_pb2.UpstreamMessage]:
        """Everything unconfirmed, for resending on a new stream (in the original order)."""
        frames = list(self.frames.values())
        self.frames.clear()
        return frames

    def fail_waiters(self, error: Exception) -> None:
        waiters, self.waiters = self.waiters, {}
        for waiter in waiters.values():
            if not waiter.done():
                waiter.set_exception(error)

    def __len__(self) -> int:
        return len(self.frames)


class AckBatcher:
    """Collects delivery tags from any thread; sends them as one DeliveryAck per ACK_DELAY_S.

    A tag is the gateway's id of the stored message, the same on every session of the identity,
    so tags collected before a reconnect are still worth sending after it.
    """

    def __init__(self, send: Callable[[aether_pb2.UpstreamMessage], None]) -> None:
        self._send = send
        self._tags: list[int] = []
        self._lock = threading.Lock()
        self._scheduled = False
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def add(self, tag: int) -> None:
        """Thread-safe; wakes the loop at most once per batch."""
        with self._lock:
            self._tags.append(tag)
            full = len(self._tags) >= ACK_BATCH
            if (self._scheduled and not full) or self._loop is None:
                return
            self._scheduled = True
        if full:
            self._loop.call_soon_threadsafe(self.flush)
        else:
            self._loop.call_soon_threadsafe(self._loop.call_later, ACK_DELAY_S, self.flush)

    def flush(self) -> None:
        with self._lock:
            tags, self._tags = self._tags, []
            self._scheduled = False
        try:
            for start in range(0, len(tags), ACK_BATCH):
                ack = aether_pb2.DeliveryAck(delivery_tags=tags[start : start + ACK_BATCH])
                self._send(aether_pb2.UpstreamMessage(delivery_ack=ack))
        except ConnectionClosedError:
            pass  # closed: the gateway keeps these messages and redelivers them, flagged


class Countdown:
    """Calls `then` once after `count` calls to `done` (the callbacks of one message returned)."""

    __slots__ = ("_left", "_lock", "_then")

    def __init__(self, count: int, then: Callable[[], None]) -> None:
        self._left = count
        self._then = then
        self._lock = threading.Lock()

    def done(self) -> None:
        with self._lock:
            self._left -= 1
            fire = self._left == 0
        if fire:
            self._then()
