"""Startup orders (sheet §7.4, §3.2): ask a live orchestrator to launch an offline agent.

Used by TARGETED task creation and by routing, when a message targets an `ag::`/`tu::` identity
that is not connected but whose implementation is registered with an orchestrator profile.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from aether_gateway.context import Hub
from aether_gateway.store.agents import AgentStore
from aether_gateway.store.db import now_ms, now_s
from aether_gateway.store.tasks import AGENT_STARTUP, PENDING, TaskRecord, TaskStore
from scitrera_aether_client.proto import aether_pb2


def assignment(task: TaskRecord) -> aether_pb2.DownstreamMessage:
    return aether_pb2.DownstreamMessage(task_assignment=task.to_assignment(now_s()))


def request_startup(
    tasks: TaskStore,
    agents: AgentStore,
    hub: Hub,
    target: str,
    *,
    creator: str,
    trigger: str,
    overrides: Mapping[str, str] | None = None,
) -> TaskRecord | None:
    """The active startup order for `target` (ag::ws::impl::spec), made and offered if needed.

    None when the implementation is not registered or has no orchestrator profile: then no
    orchestrator could start it, and the message or task just waits for the agent.
    """
    parts = target.split("::")
    if len(parts) != 4 or parts[0] not in ("ag", "tu") or not all(parts):
        return None
    _, workspace, implementation, specifier = parts
    registration = agents.get(implementation)
    if registration is None:
        return None
    existing = tasks.active_startup(target)
    if existing is not None:
        return existing
    params = {**registration.launch_params, **(overrides or {})}
    profile = params.get("profile") or registration.orchestrator_profile
    if not profile:
        return None
    startup = TaskRecord(
        task_id=str(uuid.uuid4()),
        task_type=AGENT_STARTUP,
        status=PENDING,
        workspace=workspace,
        assignment_mode=aether_pb2.TARGETED,
        target_topic=target,
        creator=creator,
        metadata={
            "trigger": trigger,
            "target_topic": target,
            "trigger_timestamp_ms": str(now_ms()),
        },
        target_implementation=implementation,
        specifier=specifier,
        profile=profile,
        launch_params=params,
    )
    tasks.insert(startup)
    return offer_to_orchestrator(tasks, agents, hub, startup)


def offer_to_orchestrator(
    tasks: TaskStore, agents: AgentStore, hub: Hub, startup: TaskRecord
) -> TaskRecord:
    """Hand a pending startup order to a live orchestrator serving its profile, if any."""
    for session in hub.sessions():
        entry = agents.orchestrators.get(session.session_id)
        if entry is not None and startup.profile in entry.profiles:
            claimed = tasks.claim(startup.task_id, session.identity)
            if claimed is not None:
                hub.send_to_session(session.session_id, assignment(claimed))
                return claimed
    return startup


def startup_context(task: TaskRecord) -> dict[str, str]:
    """ConfigSnapshot.task_context for an agent launched by `task` (sheet §5, field 3)."""
    context = {
        "task_id": task.task_id,
        "workspace": task.workspace,
        "implementation": task.target_implementation,
        "specifier": task.specifier,
        "profile": task.profile,
        **task.metadata,
    }
    context.update({f"lp.{key}": value for key, value in task.launch_params.items()})
    return context
