"""MetricBuilder: a fluent way to build the Metric a send_metric call carries; metric_from_json
turns the JSON form the reference README shows (``{"metric": "latency", "value": 42}``) into one."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import NoReturn

from scitrera_aether_client.exceptions import InvalidArgumentError, InvalidPayloadTypeError
from scitrera_aether_client.proto import aether_pb2

__all__ = ["MetricBuilder", "metric_from_json", "new_metric"]

#: The gateway refuses a Metric with more metadata keys than this (ERR_METRIC_INVALID).
MAX_LABELS = 64


class MetricBuilder:
    def __init__(self) -> None:
        self._metric = aether_pb2.Metric()

    def trace(self, trace_id: str) -> MetricBuilder:
        self._metric.trace_id = trace_id
        return self

    def add(self, name: str, kind: str = "", qty: float = 0.0) -> MetricBuilder:
        if not name:
            raise InvalidArgumentError("metric entry name must not be empty", "name")
        if not math.isfinite(qty):
            raise InvalidArgumentError("metric qty must be finite", "qty")
        self._metric.entries.add(name=name, kind=kind, qty=qty)
        return self

    def tag(self, key: str, value: str) -> MetricBuilder:
        self._metric.metadata[key] = value
        return self

    def client_timestamp_ms(self, ts: int) -> MetricBuilder:
        self._metric.client_timestamp_ms = ts
        return self

    def build(self) -> aether_pb2.Metric:
        out = aether_pb2.Metric()
        out.CopyFrom(self._metric)
        return out


def new_metric() -> MetricBuilder:
    return MetricBuilder()


def metric_from_json(payload: bytes | str | Mapping[str, object]) -> aether_pb2.Metric:
    """A Metric from the JSON form ``{"metric": NAME, "value": NUMBER, ...}``.

    ``metric`` becomes the one entry's name and ``value`` its qty; every other key becomes a
    label (``Metric.metadata``), its value as a string (numbers and booleans as JSON writes
    them). Raises InvalidPayloadTypeError (also a TypeError) when the payload is not such an
    object, so a bad metric fails at the call site rather than as a later ``on_error``.
    """
    if isinstance(payload, bytes | str):
        try:
            payload = json.loads(payload)
        except (ValueError, UnicodeDecodeError):
            _refuse("is not JSON")
    if not isinstance(payload, Mapping):
        _refuse("is not a JSON object")
    name = payload.get("metric")
    if not isinstance(name, str) or not name:
        _refuse('needs "metric": a non-empty string naming the metric')
    value = payload.get("value")
    qty = _finite(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
    if qty is None:
        _refuse('needs "value": a finite number')
    labels = {key: _label(key, item) for key, item in payload.items() if key not in _FIELDS}
    if len(labels) > MAX_LABELS:
        _refuse(f"has {len(labels)} labels; at most {MAX_LABELS} are allowed")
    metric = aether_pb2.Metric(metadata=labels)
    metric.entries.add(name=name, qty=qty)
    return metric


_FIELDS = frozenset({"metric", "value"})


def _finite(value: float) -> float | None:
    try:
        qty = float(value)
    except OverflowError:  # an int beyond float range
        return None
    return qty if math.isfinite(qty) else None


def _label(key: object, value: object) -> str:
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, bool | int | float):
        return json.dumps(value)
    _refuse(f"label {key!r} must be a string, number, boolean or null")


def _refuse(problem: str) -> NoReturn:
    raise InvalidPayloadTypeError(
        f"metric JSON {problem}; send_metric takes an aether_pb2.Metric, its serialized bytes, "
        'or JSON like {"metric": "latency", "value": 42}',
        argument="metric",
    )
