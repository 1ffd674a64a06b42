"""Argument checks for public entry points: fail before anything is sent, naming the argument."""

from __future__ import annotations

import functools
import math
import string
import uuid

from scitrera_aether_client.exceptions import InvalidArgumentError, InvalidPayloadTypeError
from scitrera_aether_client.proto import aether_pb2

MAX_IDENTITY_BYTES = 128
# ASCII letters and digits plus `-`, `_`, `.`, `@` (user ids may be e-mail addresses) and `/`
# (implementations named like images, "scitrera/echo-bot"). Nothing joins identity parts with
# these. Anything else could act as a separator: `:` builds topics and lock keys (`ws-a` + `:x`
# would equal `ws-a:` + `x`), `|` joined KV owners, and `*`, `?`, `[` are glob characters.
IDENTITY_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-_.@/")
_MESSAGE_TYPES = frozenset(aether_pb2.MessageType.values())

#: KV scope strings of the reference API and the proto values they stand for.
KV_SCOPES: dict[str, int] = {
    "global": aether_pb2.KVOperation.GLOBAL,
    "workspace": aether_pb2.KVOperation.WORKSPACE,
    "user": aether_pb2.KVOperation.USER,
    "user-workspace": aether_pb2.KVOperation.USER_WORKSPACE,
    "global-exclusive": aether_pb2.KVOperation.GLOBAL_EXCLUSIVE,
    "workspace-exclusive": aether_pb2.KVOperation.WORKSPACE_EXCLUSIVE,
    "user-shared": aether_pb2.KVOperation.USER_SHARED,
    "user-workspace-shared": aether_pb2.KVOperation.USER_WORKSPACE_SHARED,
}


def identity_problem(value: str) -> str | None:
    """Why `value` is not a valid identity field (the gateway's rules), or None if it is."""
    # Senders pass the same few identities on every call: remember the verdict per string. Only
    # for exact str (a subclass could compare equal to a string it does not spell) no longer
    # than a valid identity can be in characters, so the cache stays small (4096 x <= 128).
    if type(value) is str and len(value) <= MAX_IDENTITY_BYTES:
        return _remembered_identity_problem(value)
    return _identity_problem(value)


def _identity_problem(value: str) -> str | None:
    try:
        encoded = value.encode()
    except UnicodeEncodeError:  # lone surrogates cannot go on the wire as UTF-8
        return "is not valid UTF-8"
    if len(encoded) > MAX_IDENTITY_BYTES:
        return f"longer than {MAX_IDENTITY_BYTES} bytes"
    for ch in value:
        if ch not in IDENTITY_CHARACTERS:
            return (
                f"contains the character {ch!r}; allowed are ASCII letters, digits, "
                "'-', '_', '.', '@' and '/'"
            )
    return None


_remembered_identity_problem = functools.lru_cache(maxsize=4096)(_identity_problem)


def check_identity_field(name: str, value: object, *, required: bool) -> str:
    """An identity string: at most 128 ASCII letters, digits, '-', '_', '.', '@' and '/'."""
    if not isinstance(value, str):
        raise InvalidArgumentError(
            f"{name} must be a str, got {type(value).__name__}", argument=name
        )
    if required and not value:
        raise InvalidArgumentError(f"{name} must not be empty", argument=name)
    problem = identity_problem(value)
    if problem:
        raise InvalidArgumentError(f"{name} {value!r} is invalid: {problem}", argument=name)
    return value


def check_identity_list(name: str, values: object) -> list[str]:
    if isinstance(values, str) or not isinstance(values, list | tuple):
        raise InvalidArgumentError(f"{name} must be a list of str", argument=name)
    if not values:
        raise InvalidArgumentError(f"{name} must not be empty", argument=name)
    return [check_identity_field(f"{name}[{i}]", v, required=True) for i, v in enumerate(values)]


def check_topic(name: str, topic: object) -> str:
    if not isinstance(topic, str) or not topic:
        raise InvalidArgumentError(f"{name} must be a non-empty str", argument=name)
    if len(topic) > 256:
        raise InvalidArgumentError(f"{name} is longer than 256 characters", argument=name)
    return topic


def check_payload(name: str, payload: object) -> bytes:
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, bytearray | memoryview):
        return bytes(payload)
    raise InvalidPayloadTypeError(
        f"{name} must be bytes, got {type(payload).__name__}", argument=name
    )


def check_message_type(message_type: object) -> int:
    if isinstance(message_type, bool) or not isinstance(message_type, int):
        raise InvalidArgumentError(
            "message_type must be an int MessageType", argument="message_type"
        )
    if message_type not in _MESSAGE_TYPES:
        raise InvalidArgumentError(f"unknown message_type {message_type}", argument="message_type")
    return message_type


def check_timeout(name: str, timeout: object) -> float:
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise InvalidArgumentError(f"{name} must be a number of seconds", argument=name)
    if not math.isfinite(timeout) or timeout <= 0:
        raise InvalidArgumentError(
            f"{name} must be positive and finite, got {timeout}", argument=name
        )
    return float(timeout)


def check_non_negative(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidArgumentError(
            f"{name} must be a non-negative int, got {value!r}", argument=name
        )
    return value


def check_scope(scope: object) -> int:
    if not isinstance(scope, str) or scope not in KV_SCOPES:
        known = ", ".join(KV_SCOPES)
        raise InvalidArgumentError(
            f"unknown KV scope {scope!r}; expected one of {known}", argument="scope"
        )
    return KV_SCOPES[scope]


MAX_METRIC_ENTRIES = 1024


def encode_metric(metric: object) -> bytes:
    """The bytes of a metric:: payload, checked as the gateway checks them (so a bad metric
    raises here instead of coming back later as an ERR_METRIC_* on_error).

    Accepts a Metric, its serialized bytes, or JSON bytes ``{"metric": name, "value": n, ...}``
    (the reference README's form; converted by metrics.metric_from_json).
    """
    from scitrera_aether_client.metrics import MAX_LABELS, metric_from_json

    if isinstance(metric, aether_pb2.Metric):
        proto = metric
    elif isinstance(metric, bytes | bytearray | memoryview):
        raw = bytes(metric)
        # JSON starts with "{"; a serialized Metric never does (that byte opens field 15).
        proto = metric_from_json(raw) if raw.lstrip()[:1] == b"{" else _metric_bytes(raw)
    else:
        raise InvalidPayloadTypeError(
            f"metric must be an aether_pb2.Metric, its bytes or metric JSON bytes, "
            f"got {type(metric).__name__}",
            argument="metric",
        )
    if not proto.entries:
        raise InvalidArgumentError("metric has no entries", argument="metric")
    if len(proto.entries) > MAX_METRIC_ENTRIES or len(proto.metadata) > MAX_LABELS:
        raise InvalidArgumentError(
            f"metric has more than {MAX_METRIC_ENTRIES} entries or {MAX_LABELS} metadata keys",
            argument="metric",
        )
    for entry in proto.entries:
        if not entry.name or not math.isfinite(entry.qty):
            raise InvalidArgumentError(
                "every metric entry needs a name and a finite qty", argument="metric"
            )
    return proto.SerializeToString()


def _metric_bytes(raw: bytes) -> aether_pb2.Metric:
    try:
        proto = aether_pb2.Metric.FromString(raw)
    except Exception:  # protobuf's DecodeError, or anything else its parser trips on
        proto = None
    # Text and other stray bytes often parse as a Metric of unknown fields and no entries.
    if proto is None or not proto.entries:
        raise InvalidPayloadTypeError(
            "metric bytes are neither a serialized Metric with entries nor metric JSON "
            '(like {"metric": "latency", "value": 42})',
            argument="metric",
        )
    return proto


def short_uuid() -> str:
    """Eight hex characters, the default orchestrator specifier."""
    return uuid.uuid4().hex[:8]
