"""The ops endpoint serves a routed-messages counter that never moves: routing works, the
dashboard says nothing was routed."""

from __future__ import annotations

FAULT = "GatewayMetrics.routed is a no-op: aether_gateway_messages_routed_total stays 0"
CAUGHT_BY = [
    "tests/e2e/gateway/test_observability.py::test_metrics_count_the_traffic_sent_and_probes_answer",
]


def plant() -> None:
    from aether_gateway.observability.metrics import GatewayMetrics

    original = GatewayMetrics.__init__

    def __init__(self: GatewayMetrics) -> None:
        original(self)
        self.routed = lambda: None

    GatewayMetrics.__init__ = __init__  # type: ignore[method-assign]
