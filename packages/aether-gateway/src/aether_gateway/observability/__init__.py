"""Observability: the ops HTTP endpoint (Prometheus metrics, /healthz and /readyz) and JSON log
lines (docs/gateway.md, "Operations")."""

from aether_gateway.observability.logs import JsonFormatter
from aether_gateway.observability.metrics import GatewayMetrics
from aether_gateway.observability.server import OpsServer

__all__ = ["GatewayMetrics", "JsonFormatter", "OpsServer"]
