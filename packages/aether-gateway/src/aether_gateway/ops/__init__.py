"""The ops endpoint: Prometheus metrics, /healthz and /readyz, and JSON log lines
(docs/gateway.md, "Operations")."""

from aether_gateway.ops.logs import JsonFormatter
from aether_gateway.ops.metrics import GatewayMetrics
from aether_gateway.ops.server import OpsServer

__all__ = ["GatewayMetrics", "JsonFormatter", "OpsServer"]
