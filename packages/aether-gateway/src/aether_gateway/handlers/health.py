"""AdminQuery (upstream 7): gateway health, which the reference gateway does not serve.

GET_HEALTH and GET_STATS answer with `health` (status, a database check, stats), `info` (version,
start, uptime), `stats` (sessions per principal type), `connections` (one row per session, so a
client can count every principal type) and, as a documented extension, `total_count` = messages
waiting in durable queues. Other ops keep the reference answer, ERR_NOT_IMPLEMENTED.
"""

from __future__ import annotations

import time
from collections import Counter

from aether_gateway.context import Caller, Hub
from aether_gateway.handlers.admin_input import enum_name
from aether_gateway.handlers.sessions import connection_info
from aether_gateway.store.queue import MessageQueue
from scitrera_aether_client.wire import aether_pb2

Q = aether_pb2.AdminQuery
OK = aether_pb2.HEALTH_CHECK_STATUS_OK


def handle_admin_query(
    hub: Hub, queue: MessageQueue, started_at: float, version: str, caller: Caller, query: Q
) -> list[aether_pb2.DownstreamMessage]:
    if query.op not in (Q.GET_HEALTH, Q.GET_STATS):
        err = aether_pb2.ErrorResponse(
            code="ERR_NOT_IMPLEMENTED",
            message=f"admin query {enum_name(Q.OpType, query.op)} is not implemented",
            request_id=query.request_id,
        )
        return [aether_pb2.DownstreamMessage(error=err)]
    now = time.time()
    sessions = hub.sessions()
    by_type = Counter(c.principal.key for c in sessions)
    # Named principal types on purpose: aether.v1's GatewayStats has one fixed field per type
    # (the wire contract the reference's clients read), not a map, so a type added in
    # principals.yaml has no field here; every session is still in `connections` and counted in
    # `num_connections`.
    stats = aether_pb2.GatewayStats(
        agent_connections=by_type["agent"],
        task_connections=by_type["task"],
        user_connections=by_type["user"],
        orchestrator_connections=by_type["orchestrator"],
        workflow_engine_connected=by_type["workflow_engine"] > 0,
        metrics_bridge_connected=by_type["metrics_bridge"] > 0,
    )
    started = time.perf_counter()
    queued = queue.depth()
    db_check = aether_pb2.HealthCheck(
        status=OK, latency=f"{(time.perf_counter() - started) * 1000:.2f}ms"
    )
    health = aether_pb2.HealthInfo(
        status=aether_pb2.HEALTH_STATUS_HEALTHY,
        timestamp=int(now),
        checks={"database": db_check},
        stats=stats,
    )
    info = aether_pb2.GatewayInfo(
        version=version,
        started_at=int(started_at),
        uptime=f"{int(now - started_at)}s",
        num_connections=len(sessions),
    )
    now_ms = int(now * 1000)
    response = aether_pb2.AdminResponse(
        success=True,
        health=health,
        info=info,
        stats=stats,
        connections=[connection_info(c, now_ms) for c in sessions],
        total_count=queued,
        request_id=query.request_id,
    )
    return [aether_pb2.DownstreamMessage(admin=response)]
