"""AgentOperation: the agent registry and the list of live orchestrators.

Responses echo request_id (the reference does not; the SDK ignores it either way).
"""

from __future__ import annotations

from aether_gateway.context import Caller, Hub
from aether_gateway.handlers.admin_input import page
from aether_gateway.handlers.admin_policy import admin_area, denial_error
from aether_gateway.store.agents import AgentStore
from scitrera_aether_client.wire import aether_pb2

Op = aether_pb2.AgentOperation


def handle_agent_op(
    agents: AgentStore, hub: Hub, caller: Caller, op: aether_pb2.AgentOperation, allowed: bool
) -> list[aether_pb2.DownstreamMessage]:
    if not allowed:
        return [denial_error(caller, admin_area("agent_op"), op.request_id)]
    response = _dispatch(agents, hub, op)
    response.request_id = op.request_id
    return [aether_pb2.DownstreamMessage(agent=response)]


def list_orchestrators(agents: AgentStore, hub: Hub) -> list[aether_pb2.OrchestratorInfo]:
    """Connected orchestrators (the hub decides who is live; the registry knows profiles)."""
    infos = []
    for session in hub.sessions():
        if not session.principal.orchestrates:
            continue
        entry = agents.orchestrators.get(session.session_id)
        infos.append(
            aether_pb2.OrchestratorInfo(
                orchestrator_id=session.identity,
                profiles=entry.profiles if entry else (),
                connected_at=session.connected_at_ms // 1000,
            )
        )
    return infos


def _dispatch(
    agents: AgentStore, hub: Hub, op: aether_pb2.AgentOperation
) -> aether_pb2.AgentResponse:
    implementation = op.implementation or op.agent.implementation
    if op.op == Op.LIST:
        limit, offset = page(op.filter.limit, op.filter.offset)
        listed, total = agents.list_agents(op.filter.orchestrator_profile, limit, offset)
        return aether_pb2.AgentResponse(success=True, agents=listed, total_count=total)
    if op.op == Op.LIST_ORCHESTRATORS:
        found = list_orchestrators(agents, hub)
        return aether_pb2.AgentResponse(success=True, orchestrators=found, total_count=len(found))
    if op.op not in (Op.GET, Op.REGISTER, Op.UPDATE, Op.DELETE):
        return aether_pb2.AgentResponse(success=False, error="not implemented")
    if not implementation:
        return aether_pb2.AgentResponse(success=False, error="implementation is required")
    if op.op == Op.GET:
        info = agents.get(implementation)
        if info is None:
            return _not_found(implementation)
        return aether_pb2.AgentResponse(success=True, agent=info)
    if op.op == Op.DELETE:
        if not agents.delete(implementation):
            return _not_found(implementation)
        return aether_pb2.AgentResponse(success=True, message="agent deleted successfully")
    record = aether_pb2.AgentRegistrationInfo()
    record.CopyFrom(op.agent)
    record.implementation = implementation
    if op.op == Op.REGISTER:
        stored = agents.register(record)
        message = "agent registered successfully"
    else:
        updated = agents.update(record)
        if updated is None:
            return _not_found(implementation)
        stored, message = updated, "agent updated successfully"
    return aether_pb2.AgentResponse(success=True, message=message, agent=stored)


def _not_found(implementation: str) -> aether_pb2.AgentResponse:
    return aether_pb2.AgentResponse(success=False, error=f"agent not found: {implementation}")
