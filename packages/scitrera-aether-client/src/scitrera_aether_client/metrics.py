"""MetricBuilder: a fluent way to build the Metric a send_metric call carries."""

from __future__ import annotations

import math

from scitrera_aether_client.exceptions import InvalidArgumentError
from scitrera_aether_client.proto import aether_pb2

__all__ = ["MetricBuilder", "new_metric"]


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
