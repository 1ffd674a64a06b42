"""Wires the stores to the operation handlers: the one place that knows every gateway feature."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from aether_gateway.config import GatewayConfig
from aether_gateway.context import Caller
from aether_gateway.handlers.acl import handle_acl_op
from aether_gateway.handlers.admin_policy import (
    admin_allowed,
    admin_area,
    admin_level,
    denial_error,
    may_send,
)
from aether_gateway.handlers.agents import handle_agent_op
from aether_gateway.handlers.checkpoints import handle_checkpoint
from aether_gateway.handlers.health import handle_admin_query
from aether_gateway.handlers.kv import handle_kv, snapshot_exclusive
from aether_gateway.handlers.orchestration import StartupOrders, startup_context
from aether_gateway.handlers.progress import handle_progress
from aether_gateway.handlers.sessions import handle_session_op
from aether_gateway.handlers.tasks import (
    handle_create_task,
    handle_task_op,
    handle_task_query,
    on_agent_connected,
)
from aether_gateway.handlers.tokens import handle_token_op
from aether_gateway.handlers.workflow import WorkflowRelay
from aether_gateway.handlers.workspaces import handle_workspace_op
from aether_gateway.hub import Hub
from aether_gateway.limits import trim_snapshot
from aether_gateway.observability.metrics import GatewayMetrics
from aether_gateway.proxy import ProxyRelay, workspace_access
from aether_gateway.queue_limits import QueueLimits
from aether_gateway.revocation import Revocations
from aether_gateway.router import Router
from aether_gateway.store.acl import AccessLevel, ACLStore
from aether_gateway.store.agents import AgentStore
from aether_gateway.store.checkpoints import CheckpointStore
from aether_gateway.store.db import Database
from aether_gateway.store.kv import KVStore
from aether_gateway.store.queue import MessageQueue
from aether_gateway.store.tasks import TaskStore
from aether_gateway.store.tokens import TokenStore
from aether_gateway.store.workspaces import WorkspaceStore
from aether_gateway.workspace_reach import may_reach
from scitrera_aether_client.wire import aether_pb2

Down = aether_pb2.DownstreamMessage
Handler = Callable[[Caller, Any], list[Down]]


class Services:
    """Every store, and the handler for each upstream arm."""

    def __init__(self, config: GatewayConfig, db: Database) -> None:
        self.config = config
        self.db = db
        self.started_at = time.time()
        self.queue = MessageQueue(db)
        self.metrics = GatewayMetrics()  # served by the ops endpoint when it is on
        self.hub = Hub(self.queue, config.principals, self.metrics)
        self.metrics.watch_sessions(
            (spec.key for spec in config.principals.values()),
            lambda: [s.caller.principal.key for s in self.hub.by_id.values()],
        )
        self.kv = KVStore(db)
        self.checkpoints = CheckpointStore(db)
        self.tokens = TokenStore(db)
        self.acl = ACLStore(db)
        self.workspaces = WorkspaceStore(db)
        self.agents = AgentStore(db)
        self.queue_limits = QueueLimits(
            config, db, self.hub, self.agents, self.tokens, config.principals
        )
        self.tasks = TaskStore(db)
        self.workflow = WorkflowRelay(self.hub)
        self.startups = StartupOrders(
            self.tasks, self.agents, self.hub, self.tokens, token_ttl_s=config.task_token_ttl_s
        )
        self.revocations = Revocations(self.hub, self.tokens)
        self.proxy = ProxyRelay(
            self.hub,
            resolve_service=Router(self.hub, config.max_payload, config.prefixes).resolve_service,
            prefixes=config.prefixes,
            workspace_access=workspace_access(self.acl),
            may_send_into=self.may_send_into,
        )
        # Dev mode runs without ACL enforcement on tasks and KV, like the reference without an ACL
        # service, and without workspace binding; otherwise shared KV scopes and other workspaces
        # need grants.
        self._task_acl = None if config.dev_mode else self.acl
        self._no_startup: dict[str, float] = {}  # targets with no startup order possible, until

    def may_send_into(self, caller: Caller, workspace: str) -> bool:
        """The workspace binding for sends (READWRITE); `workspace` "" names none."""
        return may_reach(caller, self._task_acl, workspace, AccessLevel.READWRITE)

    def may_enter(self, caller: Caller, workspace: str) -> bool:
        """The workspace binding for SwitchWorkspace: `connect` needs READ, as in the reference."""
        return may_reach(caller, self._task_acl, workspace, AccessLevel.READ)

    def admin_gate(self, caller: Caller, arm: str, op: int) -> bool:
        """The admin gate for `op` of admin arm `arm`, as schema/operations.yaml declares it: a
        principal type the arm's `callers` list, then dev mode, an admin-scoped key or a rule on
        admin/<area> at the op's level (admin_policy)."""
        if not may_send(caller, arm):
            return False
        level = admin_level(arm, op)
        return admin_allowed(caller, self.config.dev_mode, self.acl, admin_area(arm), level)

    def handlers(self) -> dict[str, Handler]:
        acl = self._task_acl
        return {
            **self.proxy.handlers(),
            "kv_op": self._kv_op,
            "checkpoint_op": lambda c, op: handle_checkpoint(self.checkpoints, c, op),
            "create_task": lambda c, r: handle_create_task(
                self.tasks, self.agents, self.hub, c, r, acl=acl, startups=self.startups
            ),
            "task_query": lambda c, q: handle_task_query(self.tasks, c, q, acl=acl),
            "task_op": lambda c, op: handle_task_op(self.tasks, self.hub, c, op, acl=acl),
            "progress": lambda c, r: handle_progress(self.hub, c, r),
            "token_op": lambda c, op: handle_token_op(
                self.tokens,
                c,
                op,
                self.admin_gate(c, "token_op", op.op),
                on_revoked=self.revocations.end_sessions,
            ),
            "acl_op": lambda c, op: handle_acl_op(
                self.acl, c, op, self.admin_gate(c, "acl_op", op.op)
            ),
            "workspace_op": lambda c, op: handle_workspace_op(
                self.workspaces, c, op, self.admin_gate(c, "workspace_op", op.op)
            ),
            "agent_op": lambda c, op: handle_agent_op(
                self.agents, self.hub, c, op, self.admin_gate(c, "agent_op", op.op)
            ),
            "session_op": lambda c, op: handle_session_op(
                self.hub, c, op, self.admin_gate(c, "session_op", op.op)
            ),
            "workflow_op": self.workflow.forward,
            "workflow_response": self.workflow.answer,
            "admin_query": self._admin_query,
        }

    def _kv_op(self, caller: Caller, op: aether_pb2.KVOperation) -> list[Down]:
        self.metrics.kv_op(op.op)
        budget = self.config.snapshot_max_bytes
        return handle_kv(self.kv, caller, op, acl=self._task_acl, snapshot_max_bytes=budget)

    def _admin_query(self, caller: Caller, query: aether_pb2.AdminQuery) -> list[Down]:
        """Health lists every session, so operations.yaml makes it an admin read of sessions."""
        if not self.admin_gate(caller, "admin_query", query.op):
            return [denial_error(caller, admin_area("admin_query"), query.request_id)]
        version = self.config.server_version
        return handle_admin_query(self.hub, self.queue, self.started_at, version, caller, query)

    def on_offline_target(self, caller: Caller, target: str) -> None:
        """A message went to an agent that is not connected: ask an orchestrator to start it.

        Negative answers (not registered, no profile) are remembered for 5 s, as the Go gateway
        does, so a burst of messages to an unknown agent costs one registry lookup.
        """
        now = time.monotonic()
        if self._no_startup.get(target, 0.0) > now:
            return
        startup = self.startups.request(target, creator=caller.topic, trigger="message_routing")
        if startup is None:
            self._no_startup[target] = now + 5.0
            if len(self._no_startup) > 10_000:
                self._no_startup = {t: d for t, d in self._no_startup.items() if d > now}

    def on_connect(self, caller: Caller) -> list[Down]:
        """Frames that follow the ConnectionAck, in the reference order: the ConfigSnapshot, then
        task assignments waiting for it. Who gets what is declared in principals.yaml
        (`gateway_roles`): config_snapshot, launchable, orchestrates."""
        frames: list[Down] = []
        self.queue_limits.seen(caller)  # its topic may now queue messages while it is away
        principal = caller.principal
        if principal.config_snapshot:
            ws_kv, global_kv = trim_snapshot(  # never past the budget: the connect must work
                list(snapshot_exclusive(self.kv, caller)),
                self.config.snapshot_max_bytes,
                caller.identity,
            )
            snapshot = aether_pb2.ConfigSnapshot(
                workspace_exclusive_kv=ws_kv, global_exclusive_kv=global_kv
            )
            # Looked up before on_agent_connected, which completes the startup order.
            startup = self.tasks.active_startup(caller.identity) if principal.launchable else None
            if startup is not None:
                snapshot.task_context.update(startup_context(startup))
                caller.associated_task_id = startup.task_id
            frames.append(Down(config=snapshot))
        if principal.launchable:
            frames += on_agent_connected(self.tasks, self.hub, caller)
        if principal.orchestrates:
            at_s = caller.connected_at_ms // 1000
            self.agents.orchestrators.add(caller.session_id, caller.identity, caller.profiles, at_s)
            frames += self.startups.waiting_for(caller)
        return frames

    def on_disconnect(self, caller: Caller) -> None:
        self.queue_limits.seen(caller)
        if caller.principal.orchestrates:
            self.agents.orchestrators.remove(caller.session_id)
        self.workflow.forget(caller.session_id)
        self.proxy.on_disconnect(caller)
