"""Sessions, subscriptions and delivery. Identity topics are durable: a frame for an identity that
is not connected is stored and replayed, in order, when it connects (sheet §3.2, DESIGN §3.6)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence

from aether_gateway.context import Caller
from aether_gateway.session import Outgoing, Session
from aether_gateway.store.queue import MessageQueue
from scitrera_aether_client._generated.principals import PrincipalSpec
from scitrera_aether_client.proto import aether_pb2

log = logging.getLogger("aether_gateway")


def durable_prefixes(table: Mapping[str, PrincipalSpec]) -> tuple[str, ...]:
    """Topic prefixes that name one identity (its own topic): queued while it is offline."""
    out = set()
    for spec in table.values():
        for template in (spec.topic, spec.pooled_topic):
            if template:
                out.add(template.split("{", 1)[0])
    return tuple(sorted(out))


class Hub:
    def __init__(self, queue: MessageQueue, table: Mapping[str, PrincipalSpec]) -> None:
        self.queue = queue
        self.durable = durable_prefixes(table)
        self.by_id: dict[str, Session] = {}
        self.by_identity: dict[str, Session] = {}
        self.subscribers: dict[str, set[Session]] = defaultdict(set)

    # ------------------------------------------------------------------ registry

    def register(self, session: Session) -> None:
        self.by_id[session.caller.session_id] = session
        self.by_identity[session.caller.identity] = session

    def unregister(self, session: Session) -> None:
        """Forget the session; frames still waiting in its queue go back to durable storage."""
        self.by_id.pop(session.caller.session_id, None)
        if self.by_identity.get(session.caller.identity) is session:
            del self.by_identity[session.caller.identity]
        for topic in list(session.topics):
            self.unsubscribe(session, topic)
        leftovers = []
        while not session.queue.empty():
            item = session.queue.get_nowait()
            if item is not None and item.topic and item.ack is None:
                leftovers.append((item.topic, item.frame.SerializeToString()))
        if leftovers:
            self.queue.enqueue_many(leftovers)

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
        """Queue what was stored for `topic` while it was offline; rows are deleted once sent."""
        rows = self.queue.pending(topic, limit=1_000_000)
        for seq, data in rows:
            frame = aether_pb2.DownstreamMessage.FromString(data)
            session.push(Outgoing(frame, topic, ack=_acker(self.queue, topic, seq)))
        return len(rows)

    # ------------------------------------------------------------------ delivery

    def is_durable(self, topic: str) -> bool:
        return topic.startswith(self.durable)

    def publish(self, topic: str, frame: aether_pb2.DownstreamMessage) -> int:
        """Deliver to live subscribers; store for an offline identity. Returns live deliveries."""
        subs = self.subscribers.get(topic)
        delivered = 0
        if subs:
            for session in list(subs):
                if session.push(Outgoing(frame, topic if self.is_durable(topic) else "")):
                    delivered += 1
                elif self.is_durable(topic):
                    self.queue.enqueue(topic, frame.SerializeToString())
                else:
                    self._backpressure(session, topic)
        elif self.is_durable(topic):
            self.queue.enqueue(topic, frame.SerializeToString())
        return delivered

    def _backpressure(self, session: Session, topic: str) -> None:
        log.warning("dropping a %s frame for slow session %s", topic, session.caller.session_id)

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
        end(session, 1, reason)  # grpc CANCELLED
        return True


def end(session: Session, code: int, details: str) -> None:
    """Ask the session's RPC to finish after the frames already queued."""
    if code and session.end_status is None:
        session.end_status = (code, details)
    with contextlib.suppress(asyncio.QueueFull):  # a full queue still sees `ended` below
        session.queue.put_nowait(None)
    session.ended.set()


def _acker(queue: MessageQueue, topic: str, seq: int) -> Callable[[], None]:
    def ack() -> None:
        queue.ack(topic, seq)

    return ack
