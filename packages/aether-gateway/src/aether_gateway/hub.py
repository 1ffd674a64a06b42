"""Sessions, subscriptions and delivery.

Identity topics are durable queues: every frame for one is written ahead
through the group commit and deleted once handed to gRPC, so a frame for an identity that is
offline, or a frame caught in memory by a crash, is delivered when the identity connects, in
order, at least once. Broadcast lanes are live only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence

from aether_gateway.context import Caller
from aether_gateway.group_commit import GroupCommit
from aether_gateway.observability.metrics import GatewayMetrics
from aether_gateway.session import Outgoing, Session
from aether_gateway.store.queue import MessageQueue
from scitrera_aether_client.wire import PrincipalSpec, aether_pb2

log = logging.getLogger("aether_gateway")
RESOURCE_EXHAUSTED = 8  # grpc.StatusCode.RESOURCE_EXHAUSTED
CANCELLED = 1


def durable_prefixes(table: Mapping[str, PrincipalSpec]) -> tuple[str, ...]:
    """Topic prefixes that name one identity (its own topic): queued while it is offline."""
    out = set()
    for spec in table.values():
        for template in (spec.topic, spec.pooled_topic):
            if template:
                out.add(template.split("{", 1)[0])
    return tuple(sorted(out))


class Hub:
    def __init__(
        self,
        queue: MessageQueue,
        table: Mapping[str, PrincipalSpec],
        metrics: GatewayMetrics | None = None,
    ) -> None:
        self.queue = queue
        self.metrics = metrics or GatewayMetrics()
        self.commit = GroupCommit(queue)
        self.commit.observe = self.metrics.observe_commit
        self.durable = durable_prefixes(table)
        self.by_id: dict[str, Session] = {}
        self.by_identity: dict[str, Session] = {}
        self.subscribers: dict[str, set[Session]] = defaultdict(set)

    # ------------------------------------------------------------------ registry

    def register(self, session: Session) -> None:
        self.by_id[session.caller.session_id] = session
        self.by_identity[session.caller.identity] = session

    def unregister(self, session: Session) -> None:
        """Forget the session. Its durable frames not yet settled stay stored for replay."""
        for topic in session.topics:
            if self.is_durable(topic):
                self.commit.session_ended(topic)
        self.by_id.pop(session.caller.session_id, None)
        if self.by_identity.get(session.caller.identity) is session:
            del self.by_identity[session.caller.identity]
        for topic in list(session.topics):
            self.unsubscribe(session, topic)

    def subscribe(self, session: Session, topic: str) -> None:
        session.topics.add(topic)
        self.subscribers[topic].add(session)

    def unsubscribe(self, session: Session, topic: str) -> None:
        session.topics.discard(topic)
        subs = self.subscribers.get(topic)
        if subs is not None:
            subs.discard(session)
            if not subs:
                del self.subscribers[topic]

    def replay(self, session: Session, topic: str) -> int:
        """Queue everything stored for a durable `topic`, oldest first, before any live frame."""
        if not self.is_durable(topic):
            return 0
        self.commit.flush()  # rows of the current tick must be visible to this read
        rows = self.queue.pending(topic, limit=OUTBOUND_REPLAY_LIMIT)
        handed = self.queue.handed_upto(topic) if session.delivery is not None else 0
        for seq, data in rows:
            frame = aether_pb2.DownstreamMessage.FromString(data)
            if not session.push(Outgoing(frame, topic, seq=seq, redelivered=seq <= handed)):
                break  # too far behind: the rest stays stored for the next connection
        return len(rows)

    # ------------------------------------------------------------------ delivery

    def is_durable(self, topic: str) -> bool:
        return topic.startswith(self.durable)

    def publish(
        self, topic: str, frame: aether_pb2.DownstreamMessage, data: bytes | None = None
    ) -> int:
        """Store (durable topics) and deliver to live subscribers; returns live deliveries.

        `data` is the frame already serialized, when the caller has it."""
        subs = self.subscribers.get(topic)
        if self.is_durable(topic):
            stored = data if data is not None else frame.SerializeToString()
            batch, index = self.commit.append(topic, stored)
            item = Outgoing(frame, topic, batch=batch, index=index)
            delivered = 0
            for session in list(subs or ()):
                if session.push(item):
                    delivered += 1
                else:
                    self._lagging(session)
            if not delivered:
                self.metrics.queued()  # stored until its identity connects
            return delivered
        delivered = 0
        progress = frame.progress_update if frame.HasField("progress_update") else None
        for session in list(subs or ()):
            if progress is not None and not wants_progress(session.caller.topic, progress):
                continue
            if session.push(Outgoing(frame)):
                delivered += 1
            else:
                log.warning(
                    "dropping a %s frame for slow session %s", topic, session.caller.identity
                )
        return delivered

    def _lagging(self, session: Session) -> None:
        """A consumer too slow to keep up: end it; its stored frames replay when it reconnects."""
        log.warning("ending slow session %s: outbound queue full", session.caller.identity)
        end(session, RESOURCE_EXHAUSTED, "slow consumer: outbound queue full; reconnect to resume")

    # ------------------------------------------------------------------ Hub protocol (handlers)

    def deliver(self, topic: str, frame: aether_pb2.DownstreamMessage) -> None:
        self.publish(topic, frame)

    def send_to_session(self, session_id: str, frame: aether_pb2.DownstreamMessage) -> bool:
        session = self.by_id.get(session_id)
        return session is not None and session.push(Outgoing(frame))

    def sessions(self) -> Sequence[Caller]:
        return [s.caller for s in self.by_id.values()]

    def session_by_identity(self, identity: str) -> Caller | None:
        session = self.by_identity.get(identity)
        return session.caller if session else None

    def disconnect(self, session_id: str, reason: str) -> bool:
        session = self.by_id.get(session_id)
        if session is None:
            return False
        signal = aether_pb2.Signal(type=aether_pb2.Signal.FORCE_DISCONNECT, reason=reason)
        session.push(Outgoing(aether_pb2.DownstreamMessage(signal=signal)))
        end(session, CANCELLED, reason)
        return True


OUTBOUND_REPLAY_LIMIT = 60_000


def wants_progress(topic: str, update: aether_pb2.ProgressUpdate) -> bool:
    """The progress filter: not your own updates, nor ones addressed to others.

    A recipient `us::uid` (a bare user) reaches every window `us::uid::*` of that user.
    """
    if update.source == topic:
        return False
    recipient = update.recipient
    return not recipient or recipient == topic or topic.startswith(recipient + "::")


def end(session: Session, code: int, details: str) -> None:
    """Ask the session's RPC to finish after the frames already queued."""
    if code and session.end_status is None:
        session.end_status = (code, details)
    with contextlib.suppress(asyncio.QueueFull):  # a full queue still sees `ended` below
        session.queue.put_nowait(None)
    session.ended.set()
