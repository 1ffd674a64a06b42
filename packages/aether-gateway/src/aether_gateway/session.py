"""A live session: its caller identity, subscriptions and bounded outbound queue."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from aether_gateway.context import Caller
from scitrera_aether_client.proto import aether_pb2

Ack = Callable[[], None]
OUTBOUND_LIMIT = 8192


@dataclass
class Outgoing:
    frame: aether_pb2.DownstreamMessage
    topic: str = ""  # the durable topic it came from ("" for live-only frames)
    ack: Ack | None = None  # called once the frame is handed to gRPC (queued rows deleted)


@dataclass(eq=False)  # sessions are compared and hashed by identity
class Session:
    caller: Caller
    queue: asyncio.Queue[Outgoing | None] = field(
        default_factory=lambda: asyncio.Queue(OUTBOUND_LIMIT)
    )
    topics: set[str] = field(default_factory=set)
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    end_status: tuple[int, str] | None = (
        None  # (grpc status code value, details) to end the RPC with
    )

    def push(self, item: Outgoing) -> bool:
        """Queue a frame without waiting; False when the session is too far behind."""
        if self.ended.is_set():
            return False
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            return False
        return True
