"""The delivery extension, gateway side: negotiation and one session's delivery state.

With the extension (negotiated per session at the handshake, see the proto's last section):

- a SendMessage is confirmed (SendConfirm.committed) only after the group commit that stored it
  returned, or refused (SendConfirm.refused) with the reason it was not routed;
- a stored message for the identity's topics leaves with `delivery_tag` = its row's sequence
  number and stays stored until the client acknowledges that tag (DeliveryAck); a session that
  ends with unacknowledged messages leaves them for the next session of the identity, which gets
  them flagged `redelivered`;
- at most PREFETCH messages are in flight (sent, not acknowledged) per session, so a frozen
  client holds a bounded amount, all of it still stored.

Sessions without the extension keep the settle-delay delivery of group_commit.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from scitrera_aether_client.wire import DELIVERY_URI, DELIVERY_VERSION, aether_pb2

#: Messages sent to one session and not yet acknowledged, at most.
PREFETCH = 4096
#: Confirmations wait this long to share one SendConfirm (or until CONFIRM_BATCH are pending), so
#: a burst costs one frame per few ms instead of one per message.
CONFIRM_DELAY_S = 0.005
CONFIRM_BATCH = 1024
Down = aether_pb2.DownstreamMessage


@dataclass
class Negotiation:
    acknowledged: bool
    results: list[aether_pb2.NegotiatedExtension]
    required_unsupported: list[str]


def negotiate(init: aether_pb2.InitConnection, enabled: bool) -> Negotiation:
    """Answer every extension the client declared; ours is supported when `enabled`."""
    acknowledged = False
    results: list[aether_pb2.NegotiatedExtension] = []
    missing: list[str] = []
    for ext in init.extensions:
        supported = enabled and ext.uri == DELIVERY_URI and ext.version == DELIVERY_VERSION
        acknowledged |= supported
        reason = "" if supported else "not supported by this gateway"
        results.append(
            aether_pb2.NegotiatedExtension(
                uri=ext.uri[:256],
                version=ext.version[:64],
                supported=supported,
                rejection_reason=reason,
            )
        )
        if ext.required and not supported:
            missing.append(ext.uri[:256])
    return Negotiation(acknowledged, results, missing)


def supported_extensions(enabled: bool) -> list[str]:
    return [DELIVERY_URI] if enabled else []


@dataclass(eq=False)
class DeliveryState:
    """One acknowledged session: what is in flight, and the confirmations to send."""

    push: Callable[[Down], object]  # queues a frame on the session
    inflight: dict[int, str] = field(default_factory=dict)  # delivery tag (seq) -> topic
    committed: list[str] = field(default_factory=list)
    refused: list[aether_pb2.SendRefusal] = field(default_factory=list)
    room: asyncio.Event = field(default_factory=asyncio.Event)
    _flush_scheduled: bool = False

    # ------------------------------------------------------------------ upstream confirmations

    def confirm(self, message_id: str) -> None:
        self.committed.append(message_id)
        self._schedule()

    def refuse(self, message_id: str, code: str, message: str) -> None:
        self.refused.append(
            aether_pb2.SendRefusal(message_id=message_id, code=code, message=message)
        )
        self._schedule()

    def _schedule(self) -> None:
        if len(self.committed) + len(self.refused) >= CONFIRM_BATCH:
            self.flush()
        elif not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_later(CONFIRM_DELAY_S, self.flush)

    def flush(self) -> None:
        """One SendConfirm for everything settled since the last one."""
        self._flush_scheduled = False
        if not self.committed and not self.refused:
            return
        confirm = aether_pb2.SendConfirm(committed=self.committed, refused=self.refused)
        self.committed, self.refused = [], []
        self.push(Down(send_confirm=confirm))

    # ------------------------------------------------------------------ downstream acks

    def tagged(self, frame: Down, seq: int, redelivered: bool, shared: bool) -> Down:
        """The frame as this session sends it: tagged with its seq (a copy if it is shared)."""
        if shared:
            out = Down()
            out.CopyFrom(frame)
            frame = out
        frame.msg.delivery_tag = seq
        if redelivered:
            frame.msg.redelivered = True
        return frame

    def acknowledge(self, tags: list[int]) -> list[int]:
        """The tags that were in flight on this session (others are ignored); frees the window."""
        mine = [tag for tag in tags if self.inflight.pop(tag, None) is not None]
        if len(self.inflight) < PREFETCH:
            self.room.set()
        return mine

    async def wait_for_room(self, ended: asyncio.Event) -> None:
        """Hold the next message while PREFETCH are unacknowledged (or until the session ends)."""
        while len(self.inflight) >= PREFETCH and not ended.is_set():
            self.room.clear()
            waiters = {asyncio.ensure_future(self.room.wait()), asyncio.ensure_future(ended.wait())}
            _, pending = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
