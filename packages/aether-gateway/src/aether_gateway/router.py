"""SendMessage routing: topic checks, principal matrix, payload cap, fan-in, delivery."""

from __future__ import annotations

import random
from collections.abc import Callable

from aether_gateway.context import Caller
from aether_gateway.hub import Hub
from aether_gateway.workspace_reach import topic_workspace
from scitrera_aether_client.wire import aether_pb2

Frame = aether_pb2.DownstreamMessage
Frames = list[Frame]
MAX_TOPIC = 256


def error(
    code: str, message: str, request_id: str = "", retryable: bool = False
) -> aether_pb2.DownstreamMessage:
    return aether_pb2.DownstreamMessage(
        error=aether_pb2.ErrorResponse(
            code=code, message=message, request_id=request_id, retryable=retryable
        )
    )


def topic_problem(topic: str, prefixes: frozenset[str]) -> str | None:
    if not topic or len(topic) > MAX_TOPIC:
        return f"topic must be 1 to {MAX_TOPIC} characters"
    prefix = topic.split("::", 1)[0]
    if prefix not in prefixes or "::" not in topic:
        return f"invalid topic {topic!r}: unknown prefix {prefix!r}"
    return None


class Router:
    def __init__(
        self,
        hub: Hub,
        max_payload: int,
        prefixes: frozenset[str],
        on_offline: Callable[[Caller, str], None] | None = None,
        may_send_into: Callable[[Caller, str], bool] | None = None,
        refuse_queueing: Callable[[str, int], Frame | None] | None = None,
    ) -> None:
        self.hub = hub
        self.max_payload = max_payload
        self.prefixes = prefixes
        self.on_offline = on_offline  # an ag::/tu:: target not connected (orchestrator trigger)
        # The workspace binding: may this caller send to a topic of that workspace?
        self.may_send_into = may_send_into
        # Durable queue limits (queue_limits.py): an ErrorResponse when the frame may not be stored.
        self.refuse_queueing = refuse_queueing

    def route(self, caller: Caller, msg: aether_pb2.SendMessage) -> Frames:
        target = msg.target_topic
        if problem := topic_problem(target, self.prefixes):
            return [error("ERR_INVALID_TOPIC", problem)]
        prefix = target[: target.index("::")]  # topic_problem checked it has one
        if prefix == "event":
            target = "event::receiver0"  # one fan-in shard, as the Go gateway
        elif prefix == "metric":
            target = "metric::receiver0"
        elif prefix == "sv" and target.count("::") == 1:
            resolved = self.resolve_service(target)
            if resolved is None:
                return [
                    error(
                        "ERR_SV_UNAVAILABLE",
                        f"no healthy {target} instances available",
                        retryable=True,
                    )
                ]
            target = resolved
        if len(msg.payload) > self.max_payload:
            return [
                error(
                    "ERR_PAYLOAD_TOO_LARGE",
                    f"payload of {len(msg.payload)} bytes exceeds {self.max_payload}",
                )
            ]
        # One refusal for the principal matrix and the workspace binding, decided before anything
        # looks at the target's sessions, so it never tells whether the target exists.
        if prefix not in caller.principal.may_send_to or (
            self.may_send_into is not None
            and not self.may_send_into(caller, topic_workspace(msg.target_topic))
        ):
            return [
                error(
                    "ERR_PERMISSION_DENIED", f"not authorized to send to topic {msg.target_topic}"
                )
            ]
        if msg.message_type == aether_pb2.METRIC and (bad := metric_problem(msg.payload)):
            return [error(bad[0], bad[1])]
        incoming = aether_pb2.IncomingMessage(
            source_topic=caller.topic,
            payload=msg.payload,
            message_type=msg.message_type,
            message_id=msg.message_id,  # delivery extension; stripped for sessions without it
        )
        frame = aether_pb2.DownstreamMessage(msg=incoming)
        # Serialized once: its length is what the queue limits count, its bytes what is stored.
        data = frame.SerializeToString()
        if self.refuse_queueing is not None and (
            refused := self.refuse_queueing(target, len(data))
        ):
            return [refused]
        self.hub.publish(target, frame, data)
        if (
            self.on_offline is not None
            and prefix in ("ag", "tu")
            and target not in self.hub.by_identity
        ):
            self.on_offline(caller, target)
        return []

    def resolve_service(self, wildcard: str) -> str | None:
        """A random live instance of `sv::impl`."""
        prefix = wildcard + "::"
        live = [identity for identity in self.hub.by_identity if identity.startswith(prefix)]
        return random.choice(live) if live else None


def metric_problem(payload: bytes) -> tuple[str, str] | None:
    import math

    try:
        metric = aether_pb2.Metric.FromString(payload)
    except Exception:
        return ("ERR_METRIC_INVALID", "payload is not a serialized Metric")
    if not metric.entries:
        return ("ERR_METRIC_EMPTY", "metric has no entries")
    if len(metric.entries) > 1024 or len(metric.metadata) > 64:
        return ("ERR_METRIC_INVALID", "metric has too many entries or metadata keys")
    for entry in metric.entries:
        if not entry.name or not math.isfinite(entry.qty):
            return ("ERR_METRIC_INVALID_ENTRY", "metric entries need a name and a finite qty")
    return None
