"""GatewayHealth: the typed answer of `AdminClient.health()` / `AsyncAdminClient.health()`."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from scitrera_aether_client._core.admin_ops import PRINCIPAL_TYPES
from scitrera_aether_client.proto import aether_pb2

__all__ = ["GatewayHealth"]

_TYPE_NAMES = {value: key for key, value in PRINCIPAL_TYPES.items() if key}
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?)(ns|us|µs|ms|h|m|s)")
_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


@dataclass(frozen=True, slots=True)
class GatewayHealth:
    """What `health()` reports: liveness, version, uptime, live sessions and queued messages.

    `sessions_by_type` is keyed by the lowercase principal names `list_connections` takes
    ("agent", "task", "user", "workflow_engine", ...); `queued_messages` counts messages waiting
    in the gateway's durable queues for identities that are offline.
    """

    status: str
    version: str
    uptime_seconds: int
    sessions_by_type: dict[str, int]
    total_sessions: int
    queued_messages: int

    @classmethod
    def from_response(cls, response: aether_pb2.AdminResponse) -> GatewayHealth:
        by_type: dict[str, int] = {}
        for row in response.connections:
            name = _TYPE_NAMES.get(row.type, "unspecified")
            by_type[name] = by_type.get(name, 0) + 1
        if not response.connections:
            by_type = _from_stats(response.stats)
        total = len(response.connections) or response.info.num_connections
        status = aether_pb2.HealthStatus.Name(response.health.status)
        return cls(
            status=status.removeprefix("HEALTH_STATUS_").lower(),
            version=response.info.version,
            uptime_seconds=_uptime(response.info),
            sessions_by_type=by_type,
            total_sessions=total or sum(by_type.values()),
            queued_messages=response.total_count,
        )


def _from_stats(stats: aether_pb2.GatewayStats) -> dict[str, int]:
    """Per-type counts from GatewayStats, for a gateway that sends no connection rows."""
    counts = {
        "agent": stats.agent_connections,
        "task": stats.task_connections,
        "user": stats.user_connections,
        "orchestrator": stats.orchestrator_connections,
        "workflow_engine": int(stats.workflow_engine_connected),
        "metrics_bridge": int(stats.metrics_bridge_connected),
    }
    return {name: count for name, count in counts.items() if count}


def _uptime(info: aether_pb2.GatewayInfo) -> int:
    """GatewayInfo.uptime is a Go-style duration ("123s", "1h2m3.5s"); else since started_at."""
    parts = _DURATION_PART.findall(info.uptime)
    if parts and "".join(n + u for n, u in parts) == info.uptime.strip():
        return int(sum(float(n) * _SECONDS[u] for n, u in parts))
    if info.started_at > 0:
        return max(int(time.time()) - info.started_at, 0)
    return 0
