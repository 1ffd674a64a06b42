"""SessionOperation: list, inspect and disconnect live sessions.

Every outcome, refusals included, is one SessionOperationResponse carrying the request_id.
"""

from __future__ import annotations

from typing import cast

from aether_gateway.context import Caller, Hub
from aether_gateway.handlers.admin_policy import admin_area, denial_message
from aether_gateway.store.db import now_ms
from scitrera_aether_client.wire import aether_pb2

Op = aether_pb2.SessionOperation
DEFAULT_REASON = "disconnected by administrator"


def connection_info(session: Caller, at_ms: int) -> aether_pb2.ConnectionInfo:
    """`session` as a ConnectionInfo row; `at_ms` is the time its duration is measured to."""
    return aether_pb2.ConnectionInfo(
        session_id=session.session_id,
        type=cast(aether_pb2.PrincipalType, session.principal.enum),
        identity=session.identity,
        workspace=session.workspace,
        implementation=session.implementation,
        specifier=session.specifier,
        connected_at=session.connected_at_ms // 1000,
        duration=_duration(at_ms - session.connected_at_ms),
        remote_addr=session.remote_addr,
    )


def _duration(ms: int) -> str:
    """Go's time.Duration style at second precision ("1h2m3s", "45s"), as the reference prints."""
    seconds = max(ms, 0) // 1000
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"


def handle_session_op(
    hub: Hub, caller: Caller, op: aether_pb2.SessionOperation, allowed: bool
) -> list[aether_pb2.DownstreamMessage]:
    if allowed:
        response = _dispatch(hub, op)
    else:
        response = aether_pb2.SessionOperationResponse(
            success=False, error=denial_message(caller, admin_area("session_op"))
        )
    response.request_id = op.request_id
    return [aether_pb2.DownstreamMessage(session_response=response)]


def _dispatch(hub: Hub, op: aether_pb2.SessionOperation) -> aether_pb2.SessionOperationResponse:
    now = now_ms()
    if op.op == Op.LIST:
        f = op.filter
        matching = [
            s
            for s in hub.sessions()
            if (not f.type or s.principal.enum == f.type)
            and (not f.workspace or s.workspace == f.workspace)
        ]
        matching = matching[max(f.offset, 0) :]
        if f.limit > 0:
            matching = matching[: f.limit]
        return aether_pb2.SessionOperationResponse(
            success=True,
            connections=[connection_info(s, now) for s in matching],
            total_count=len(matching),  # the page size, as in the reference
        )
    if op.op == Op.GET:
        for session in hub.sessions():
            if session.session_id == op.session_id:
                return aether_pb2.SessionOperationResponse(
                    success=True, connection=connection_info(session, now)
                )
        return _not_found(op.session_id)
    if op.op == Op.DISCONNECT:
        if not op.session_id or not hub.disconnect(op.session_id, op.reason or DEFAULT_REASON):
            return _not_found(op.session_id)
        return aether_pb2.SessionOperationResponse(success=True, message="session disconnected")
    return aether_pb2.SessionOperationResponse(success=False, error="not implemented")


def _not_found(session_id: str) -> aether_pb2.SessionOperationResponse:
    return aether_pb2.SessionOperationResponse(
        success=False, error=f"session not found: {session_id}"
    )
