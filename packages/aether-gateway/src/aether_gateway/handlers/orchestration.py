"""Startup orders: ask a live orchestrator to launch an offline agent.

Used by TARGETED task creation and by routing, when a message targets an `ag::`/`tu::` identity
that is not connected but whose implementation is registered with an orchestrator profile.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from aether_gateway.context import Caller, Hub
from aether_gateway.identity import topic_owners
from aether_gateway.store.agents import AgentStore
from aether_gateway.store.db import now_ms, now_s
from aether_gateway.store.tasks import AGENT_STARTUP, PENDING, TaskRecord, TaskStore
from aether_gateway.store.tokens import TokenStore
from scitrera_aether_client.wire import PRINCIPALS, aether_pb2

# Which principal type a launched identity is (ag:: an Agent, tu:: a Task): the principal table's.
_OWNERS = topic_owners(PRINCIPALS)


def assignment(task: TaskRecord) -> aether_pb2.DownstreamMessage:
    return aether_pb2.DownstreamMessage(task_assignment=task.to_assignment(now_s()))


TASK_TOKEN_TTL_S = 24 * 3600  # GatewayConfig.task_token_ttl_s


class StartupOrders:
    """Makes startup orders and hands them to orchestrators, each with a task token minted for
    the identity to launch (`launch_params["auth_token"]`) when a token store is given, so the
    launched worker can connect outside dev mode with `Credentials.task_token(token)`."""

    def __init__(
        self,
        tasks: TaskStore,
        agents: AgentStore,
        hub: Hub | None,
        tokens: TokenStore | None,
        *,
        token_ttl_s: int = TASK_TOKEN_TTL_S,
    ) -> None:
        self.tasks, self.agents, self.hub, self.tokens = tasks, agents, hub, tokens
        self.token_ttl_s = token_ttl_s

    def request(
        self,
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
        registration = self.agents.get(implementation)
        if registration is None:
            return None
        existing = self.tasks.active_startup(target)
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
        self.tasks.insert(startup)
        return self.offer(startup)

    def offer(self, startup: TaskRecord) -> TaskRecord:
        """Hand a pending startup order to a live orchestrator serving its profile, if any."""
        assert self.hub is not None
        for session in self.hub.sessions():
            entry = self.agents.orchestrators.get(session.session_id)
            if entry is not None and startup.profile in entry.profiles:
                claimed = self.tasks.claim(startup.task_id, session.identity)
                if claimed is not None:
                    self.hub.send_to_session(session.session_id, self.frame(claimed))
                    return claimed
        return startup

    def waiting_for(self, caller: Caller) -> list[aether_pb2.DownstreamMessage]:
        """For an orchestrator that just connected: the unclaimed orders of its profiles."""
        entry = self.agents.orchestrators.get(caller.session_id)
        if entry is None or not entry.profiles:
            return []
        waiting = self.tasks.pending_startups(entry.profiles)
        claimed = (self.tasks.claim(t.task_id, caller.identity) for t in waiting)
        return [self.frame(t) for t in claimed if t is not None]

    def frame(self, startup: TaskRecord) -> aether_pb2.DownstreamMessage:
        frame = assignment(startup)
        if self.tokens is not None:
            frame.task_assignment.launch_params["auth_token"] = mint_task_token(
                self.tokens, startup.target_topic, startup.workspace, self.token_ttl_s
            )
        return frame


def mint_task_token(
    tokens: TokenStore, identity: str, workspace: str, ttl_s: int = TASK_TOKEN_TTL_S
) -> str:
    """A credential for `identity` only (checked at connect), for one session (auth.settle),
    presentable for `ttl_s` seconds."""
    owner = _OWNERS.get(identity.split("::", 1)[0])
    if owner is None:  # startups target identity topics, which all have an owner
        raise ValueError(f"no principal type has the identity topic {identity!r}")
    _record, plaintext = tokens.create(
        task_token_name(identity),
        owner.principal.type_name,
        workspace_patterns=(workspace,),
        scopes=("connect", "task"),
        created_by=identity,
        expires_in_s=ttl_s,
    )
    return plaintext


def task_token_name(identity: str) -> str:
    return f"task:{identity}"


def startup_context(task: TaskRecord) -> dict[str, str]:
    """ConfigSnapshot.task_context for an agent launched by `task`."""
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
