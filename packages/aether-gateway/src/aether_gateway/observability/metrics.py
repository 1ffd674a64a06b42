"""What the gateway counts for Prometheus.

The routing path pays one counter increment per message and nothing else: label children are
bound once here, and anything that can be read off the gateway's state instead of counted
(sessions by principal type) is computed when /metrics is scraped. Each gateway has its own
registry, so several gateways in one process (tests) never share a series.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from aether_gateway.context import Caller
from scitrera_aether_client.wire import aether_pb2

# Group commits take ~80 us on an idle disk and milliseconds under fsync pressure.
COMMIT_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
KV_OPS = aether_pb2.KVOperation.OpType
Route = Callable[[Caller, aether_pb2.SendMessage], list[aether_pb2.DownstreamMessage]]


class GatewayMetrics:
    """The counters, histogram and scrape-time gauges of one gateway."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        routed = Counter(
            "aether_gateway_messages_routed",
            "SendMessage frames accepted and published to their target topic",
            registry=self.registry,
        )
        queued = Counter(
            "aether_gateway_messages_queued",
            "frames stored for an identity that was not connected (delivered when it connects)",
            registry=self.registry,
        )
        self._refused = Counter(
            "aether_gateway_messages_refused",
            "SendMessage frames refused, by the ErrorResponse code sent back",
            ["reason"],
            registry=self.registry,
        )
        commit = Histogram(
            "aether_gateway_commit_seconds",
            "duration of one group commit of the durable queues (SQLite)",
            buckets=COMMIT_BUCKETS,
            registry=self.registry,
        )
        self._kv = Counter(
            "aether_gateway_kv_operations",
            "KV operations received, by operation",
            ["op"],
            registry=self.registry,
        )
        # Bound once: the hot path calls these without a label lookup.
        self.routed: Callable[[], None] = routed.inc
        self.queued: Callable[[], None] = queued.inc
        self.observe_commit: Callable[[float], None] = commit.observe
        self._refused_by: dict[str, Callable[[], None]] = {}
        self._kv_by: dict[int, Callable[[], None]] = {
            number: self._kv.labels(name).inc for name, number in KV_OPS.items()
        }
        self._kv_unknown = self._kv.labels("UNKNOWN").inc

    def refused(self, reason: str) -> None:
        """One SendMessage refused with ErrorResponse `reason` (ERR_PERMISSION_DENIED, ...)."""
        inc = self._refused_by.get(reason)
        if inc is None:
            # Codes come from the gateway, never from the client: the label set stays small.
            inc = self._refused_by[reason] = self._refused.labels(reason).inc
        inc()

    def kv_op(self, op: int) -> None:
        self._kv_by.get(op, self._kv_unknown)()

    def counting_route(self, route: Route) -> Route:
        """`route` (Router.route) that counts each send as routed or refused by its code."""
        routed, refused = self.routed, self.refused

        def send(caller: Caller, msg: aether_pb2.SendMessage) -> list[aether_pb2.DownstreamMessage]:
            outs = route(caller, msg)
            if not outs:
                routed()
            elif outs[0].HasField("error"):
                refused(outs[0].error.code)
            return outs

        return send

    def watch_sessions(
        self, principal_types: Iterable[str], live: Callable[[], Iterable[str]]
    ) -> None:
        """Serve `aether_gateway_sessions{principal_type}`: `live()` names the principal type of
        each live session, read at scrape time; every type in `principal_types` shows, 0 or not."""
        self.registry.register(_Sessions(tuple(principal_types), live))


class _Sessions(Collector):
    def __init__(self, types: tuple[str, ...], live: Callable[[], Iterable[str]]) -> None:
        self.types = types
        self.live = live

    def collect(self) -> Iterable[Metric]:
        counts: dict[str, int] = dict.fromkeys(self.types, 0)
        for key in self.live():
            counts[key] = counts.get(key, 0) + 1
        family = GaugeMetricFamily(
            "aether_gateway_sessions", "live sessions by principal type", labels=["principal_type"]
        )
        for key, count in sorted(counts.items()):
            family.add_metric([key], count)
        yield family

    def describe(self) -> Iterable[Metric]:
        yield GaugeMetricFamily(
            "aether_gateway_sessions", "live sessions by principal type", labels=["principal_type"]
        )
