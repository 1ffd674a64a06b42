"""A live session: its caller identity, subscriptions and bounded outbound queue."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from aether_gateway.context import Caller
from aether_gateway.delivery import DeliveryState
from aether_gateway.group_commit import Batch
from scitrera_aether_client.wire import aether_pb2

# A session this far behind is ended rather than buffered without bound; its durable frames stay
# stored and are replayed, in order, when it reconnects.
OUTBOUND_LIMIT = 65_536


@dataclass(slots=True)
class Outgoing:
    frame: aether_pb2.DownstreamMessage
    topic: str = ""  # the durable topic it was stored under ("" for live-only frames)
    seq: int = 0  # its stored sequence number, when already known (replays)
    batch: Batch | None = None  # the group commit holding it (live durable frames)
    index: int = 0  # its row in that batch
    redelivered: bool = False  # a replayed row that an earlier session may have received

    def stored_seq(self) -> int:
        return self.batch.seqs[self.index] if self.batch is not None else self.seq


@dataclass(eq=False)  # sessions are compared and hashed by identity
class Session:
    caller: Caller
    queue: asyncio.Queue[Outgoing | None] = field(
        default_factory=lambda: asyncio.Queue(OUTBOUND_LIMIT)
    )
    topics: set[str] = field(default_factory=set)
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    end_status: tuple[int, str] | None = None  # (grpc status code value, details) to end the RPC
    delivery: DeliveryState | None = None  # set when the session negotiated the delivery extension

    def push(self, item: Outgoing) -> bool:
        """Queue a frame without waiting; False when the session is too far behind."""
        if self.ended.is_set():
            return False
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            return False
        return True
