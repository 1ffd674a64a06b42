"""Tasks: creation and assignment, TaskQuery, TaskOperation and the on-connect hooks.

Assignments for other sessions go out through the hub; each handler returns only the caller's
frames. `acl=None` means "no ACL service", where the reference lets every task call through.
"""

from __future__ import annotations

import random
import uuid

from aether_gateway.context import Caller, Hub
from aether_gateway.handlers.admin_policy import acl_subject
from aether_gateway.handlers.orchestration import StartupOrders, assignment
from aether_gateway.store.acl import AccessLevel, ACLStore
from aether_gateway.store.agents import AgentStore
from aether_gateway.store.db import now_ms, now_s
from aether_gateway.store.tasks import (
    ACTIVE,
    AGENT_STARTUP,
    ASSIGNED,
    CANCELLED,
    COMPLETED,
    FAILED,
    PENDING,
    WIRE_STATUS,
    TaskRecord,
    TaskStore,
)
from aether_gateway.store.tokens import TokenStore
from aether_gateway.workspace_reach import may_reach, topic_workspace
from scitrera_aether_client.wire import aether_pb2

MAX_PAYLOAD_BYTES = 512 * 1024
DEFAULT_QUERY_LIMIT = 100
MAX_QUERY_LIMIT = 1000
PROGRESS_SOURCE = "gateway"

_Op = aether_pb2.TaskOperation
# op -> (statuses it applies to, the status it sets); RETRY's target depends on the mode.
_TRANSITIONS = {
    _Op.CANCEL: (ACTIVE, CANCELLED),
    _Op.COMPLETE: (ACTIVE, COMPLETED),
    _Op.FAIL: (ACTIVE, FAILED),
    _Op.RETRY: (frozenset({FAILED, CANCELLED}), PENDING),
}


class _CreateError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


# ---------------------------------------------------------------------------------- creation


def handle_create_task(
    tasks: TaskStore,
    agents: AgentStore,
    hub: Hub,
    caller: Caller,
    req: aether_pb2.CreateTaskRequest,
    *,
    acl: ACLStore | None = None,
    startups: StartupOrders | None = None,
) -> list[aether_pb2.DownstreamMessage]:
    """Create (and, when possible, assign) a task. A CreateTaskResponse is sent only when the
    request has a request_id; a failure is also reported as an ErrorResponse."""
    orders = startups or StartupOrders(tasks, agents, hub, None)
    try:
        task, status = _create(tasks, agents, hub, caller, req, acl=acl, startups=orders)
    except _CreateError as failure:
        error = aether_pb2.ErrorResponse(
            code=failure.code, message=str(failure), request_id=req.request_id
        )
        frames = [aether_pb2.DownstreamMessage(error=error)]
        if req.request_id:
            response = aether_pb2.CreateTaskResponse(
                success=False,
                error_code=failure.code,
                error_message=str(failure),
                request_id=req.request_id,
            )
            frames.append(aether_pb2.DownstreamMessage(create_task=response))
        return frames
    if not req.request_id:
        return []
    response = aether_pb2.CreateTaskResponse(
        success=True,
        task_id=task.task_id,
        status=status,
        request_id=req.request_id,
        assigned_to=task.assigned_to,
    )
    return [aether_pb2.DownstreamMessage(create_task=response)]


def _create(
    tasks: TaskStore,
    agents: AgentStore,
    hub: Hub,
    caller: Caller,
    req: aether_pb2.CreateTaskRequest,
    *,
    acl: ACLStore | None,
    startups: StartupOrders,
) -> tuple[TaskRecord, str]:
    if len(req.payload) > MAX_PAYLOAD_BYTES:
        raise _CreateError(
            "TASK_PAYLOAD_TOO_LARGE",
            f"task payload is {len(req.payload)} bytes; the limit is {MAX_PAYLOAD_BYTES}",
        )
    workspace = req.workspace or caller.workspace
    if not workspace:
        raise _CreateError("ERR_INVALID_ARGUMENT", "workspace is required")
    if not _may_use_workspace(caller, acl, workspace, AccessLevel.READWRITE):
        raise _CreateError(
            "ERR_PERMISSION_DENIED", f"access denied: cannot create tasks in {workspace}"
        )
    if req.idempotency_key:
        existing = tasks.by_idempotency_key(workspace, req.idempotency_key)
        if existing is not None:
            return existing, ""  # the reference reports a duplicate with an empty status
    task = TaskRecord(
        task_id=str(uuid.uuid4()),
        task_type=req.task_type,
        status=PENDING,
        workspace=workspace,
        assignment_mode=req.assignment_mode,
        creator=caller.topic or caller.identity,
        payload=req.payload,
        metadata=dict(req.metadata),
        max_attempts=req.retry_policy.max_attempts,
        task_class=req.task_class,
        idempotency_key=req.idempotency_key,
        target_implementation=req.target_implementation,
    )
    if req.assignment_mode == aether_pb2.SELF_ASSIGN:
        task.status, task.assigned_to, task.started_at = ASSIGNED, caller.identity, now_s()
        tasks.insert(task)
        return task, "assigned"
    if req.assignment_mode == aether_pb2.TARGETED:
        # The target's workspace is checked as well as the task's: a task of ws-a must not carry
        # its payload to an agent of ws-b the caller may not reach.
        target_workspace = topic_workspace(req.target_agent_id)
        if not _may_use_workspace(caller, acl, target_workspace, AccessLevel.READWRITE):
            raise _CreateError(
                "ERR_PERMISSION_DENIED", f"access denied: cannot create tasks in {target_workspace}"
            )
        return _create_targeted(tasks, agents, hub, task, req, startups)
    if not req.target_implementation:
        raise _CreateError("ERR_INVALID_ARGUMENT", "target_implementation is required for POOL")
    tasks.insert(task)
    return _offer_to_pool(tasks, hub, task, acl), "pending_pool"


def _create_targeted(
    tasks: TaskStore,
    agents: AgentStore,
    hub: Hub,
    task: TaskRecord,
    req: aether_pb2.CreateTaskRequest,
    startups: StartupOrders,
) -> tuple[TaskRecord, str]:
    target = req.target_agent_id
    parts = target.split("::")
    if len(parts) != 4 or parts[0] not in ("ag", "tu") or not all(parts):
        raise _CreateError("ERR_INVALID_IDENTIFIER", f"invalid target_agent_id: {target!r}")
    implementation = parts[2]
    if agents.get(implementation) is None:
        raise _CreateError(
            "ERR_TASK_CREATE_FAILED", f"implementation not registered: {implementation}"
        )
    task.target_topic, task.target_implementation = target, implementation
    online = hub.session_by_identity(target)
    if online is not None:
        task.status, task.assigned_to, task.started_at = ASSIGNED, target, now_s()
        tasks.insert(task)
        hub.send_to_session(online.session_id, assignment(task))
        return task, "assigned"
    # Offline: the task waits for the agent (on_agent_connected) while an orchestrator is asked
    # to start it. Without a profile no orchestrator could, so no startup order is made.
    startup = startups.request(
        target,
        creator=task.creator,
        trigger="task_targeted",
        overrides=req.launch_param_overrides,
    )
    if req.task_type != AGENT_STARTUP:
        tasks.insert(task)
        return task, "orchestration_triggered"
    # Asking for an agent_startup task asks for the startup order alone.
    if startup is None:
        raise _CreateError(
            "ERR_TASK_CREATE_FAILED", f"no orchestrator profile for {implementation}"
        )
    return startup, "orchestration_triggered"


def _offer_to_pool(
    tasks: TaskStore, hub: Hub, task: TaskRecord, acl: ACLStore | None
) -> TaskRecord:
    """Claim a pending POOL task for a live worker, if one exists; returns the current task."""
    live = [
        s
        for s in hub.sessions()
        if s.principal.pool_worker and s.implementation == task.target_implementation
    ]
    # Agents of the task's workspace first, then workspace-less services that consume pools and
    # may reach that workspace (a service bound to ws-a never sees ws-b's tasks).
    candidates = [s for s in live if s.workspace == task.workspace] or [
        s
        for s in live
        if not s.workspace
        and s.fields.get("no_pool_consumer") != "true"
        and may_reach(s, acl, task.workspace, AccessLevel.READWRITE)
    ]
    if not candidates:
        return task
    # The less loaded of two random candidates: balanced without scanning every worker's load.
    pair = random.sample(candidates, min(2, len(candidates)))
    worker = min(pair, key=lambda s: tasks.active_count(s.identity))
    claimed = tasks.claim(task.task_id, worker.identity)
    if claimed is None:
        return task
    hub.send_to_session(worker.session_id, assignment(claimed))
    return claimed


# ---------------------------------------------------------------------------- on-connect hooks


def on_agent_connected(
    tasks: TaskStore, hub: Hub, caller: Caller
) -> list[aether_pb2.DownstreamMessage]:
    """For a newly connected agent: its queued TARGETED tasks, then the pending POOL tasks of its
    workspace and implementation, each claimed for it, as TaskAssignment frames in that order.

    The agent's arrival also fulfils any startup order that was launching it.
    """
    if not caller.principal.launchable:
        return []
    startup = tasks.active_startup(caller.identity)
    if startup is not None:
        done = tasks.transition(startup.task_id, ACTIVE, COMPLETED)
        if done is not None:
            _publish_progress(hub, done)
    waiting = tasks.pending_targeted(caller.identity)
    waiting += tasks.pending_pool(caller.workspace, caller.implementation)
    claimed = (tasks.claim(t.task_id, caller.identity) for t in waiting)
    return [assignment(t) for t in claimed if t is not None]


def on_orchestrator_connected(
    tasks: TaskStore, agents: AgentStore, caller: Caller, tokens: TokenStore | None = None
) -> list[aether_pb2.DownstreamMessage]:
    """For an orchestrator (already added to `agents.orchestrators`): the startup orders of its
    profiles that no orchestrator has taken yet, claimed for it."""
    return StartupOrders(tasks, agents, None, tokens).waiting_for(caller)


# ------------------------------------------------------------------------- queries and ops


def handle_task_query(
    tasks: TaskStore, caller: Caller, query: aether_pb2.TaskQuery, *, acl: ACLStore | None = None
) -> list[aether_pb2.DownstreamMessage]:
    response = _query(tasks, caller, query, acl)
    response.request_id = query.request_id
    return [aether_pb2.DownstreamMessage(task_query=response)]


def _query(
    tasks: TaskStore, caller: Caller, query: aether_pb2.TaskQuery, acl: ACLStore | None
) -> aether_pb2.TaskQueryResponse:
    if query.op == aether_pb2.TaskQuery.GET:
        task = tasks.get(query.task_id)
        if task is None or not _may_manage(caller, acl, task):
            return aether_pb2.TaskQueryResponse(success=False, error="task not found")
        return aether_pb2.TaskQueryResponse(success=True, task=task.to_info())
    f = query.filter
    workspace = f.workspace or caller.workspace
    if not workspace:
        return aether_pb2.TaskQueryResponse(success=False, error="workspace is required")
    if not _may_use_workspace(caller, acl, workspace, AccessLevel.READ):
        return aether_pb2.TaskQueryResponse(
            success=False, error=f"access denied: cannot read tasks of {workspace}"
        )
    wanted = {f.status, *f.statuses} - {aether_pb2.TASK_STATUS_UNSPECIFIED}
    statuses = {internal for internal, wire in WIRE_STATUS.items() if wire in wanted}
    if wanted and not statuses:
        found: list[TaskRecord] = []  # only statuses this gateway never produces
    else:
        limit = min(f.limit if f.limit > 0 else DEFAULT_QUERY_LIMIT, MAX_QUERY_LIMIT)
        found = tasks.list_tasks(workspace, statuses, f.task_type, limit, max(f.offset, 0))
    return aether_pb2.TaskQueryResponse(
        success=True, tasks=[t.to_info() for t in found], total_count=len(found)
    )


def handle_task_op(
    tasks: TaskStore,
    hub: Hub,
    caller: Caller,
    op: aether_pb2.TaskOperation,
    *,
    acl: ACLStore | None = None,
) -> list[aether_pb2.DownstreamMessage]:
    response = _operate(tasks, hub, caller, op, acl=acl)
    response.request_id = op.request_id
    return [aether_pb2.DownstreamMessage(task_op=response)]


def _operate(
    tasks: TaskStore,
    hub: Hub,
    caller: Caller,
    op: aether_pb2.TaskOperation,
    *,
    acl: ACLStore | None,
) -> aether_pb2.TaskOperationResponse:
    rule = _TRANSITIONS.get(op.op)
    if rule is None:
        return aether_pb2.TaskOperationResponse(success=False, error="not implemented")
    task = tasks.get(op.task_id)
    if task is None or not _may_manage(caller, acl, task):
        return aether_pb2.TaskOperationResponse(success=False, error="task not found")
    expected, status = rule
    retry = op.op == _Op.RETRY
    if retry:
        if task.max_attempts and task.attempt >= task.max_attempts:
            return aether_pb2.TaskOperationResponse(
                success=False, error=f"task has used all {task.max_attempts} attempts"
            )
        if task.assignment_mode == aether_pb2.SELF_ASSIGN:
            status = ASSIGNED  # nobody else would claim it: it goes back to its assignee
    error = op.reason if status in (FAILED, CANCELLED) else ""
    updated = tasks.transition(task.task_id, expected, status, error, retry=retry)
    if updated is None:
        name = _Op.OpType.Name(op.op).lower()
        return aether_pb2.TaskOperationResponse(
            success=False, error=f"cannot {name} a task that is {task.status}"
        )
    _publish_progress(hub, updated)
    if updated.status == PENDING:
        updated = _redispatch(tasks, hub, updated, acl)
    return aether_pb2.TaskOperationResponse(
        success=True, message=f"task {status}", task=updated.to_info()
    )


def _redispatch(tasks: TaskStore, hub: Hub, task: TaskRecord, acl: ACLStore | None) -> TaskRecord:
    """Offer a retried task again the way it was first offered."""
    if task.assignment_mode == aether_pb2.POOL:
        return _offer_to_pool(tasks, hub, task, acl)
    online = hub.session_by_identity(task.target_topic)
    if online is None:
        return task  # stays queued until the target connects
    claimed = tasks.claim(task.task_id, task.target_topic)
    if claimed is None:
        return task
    hub.send_to_session(online.session_id, assignment(claimed))
    return claimed


def _publish_progress(hub: Hub, task: TaskRecord) -> None:
    update = task.to_progress(PROGRESS_SOURCE, now_ms())
    hub.deliver(f"pg::{task.workspace}", aether_pb2.DownstreamMessage(progress_update=update))


def _may_manage(caller: Caller, acl: ACLStore | None, task: TaskRecord) -> bool:
    """Creator, assignee, an admin, or MANAGE on the task's workspace."""
    me = {caller.topic, caller.identity} - {""}
    if task.creator in me or task.assigned_to in me or caller.is_admin:
        return True
    if acl is None or not may_reach(caller, acl, task.workspace, AccessLevel.MANAGE):
        return False
    return acl.check(*acl_subject(caller), "workspace", task.workspace, AccessLevel.MANAGE)


def _may_use_workspace(caller: Caller, acl: ACLStore | None, workspace: str, level: int) -> bool:
    """The workspace binding, then the workspace ACL for task calls (the workflow engine and
    admins are not subject to the ACL)."""
    if not may_reach(caller, acl, workspace, level):
        return False
    if acl is None or caller.is_admin or caller.principal.runs_workflows:
        return True
    return acl.check(*acl_subject(caller), "workspace", workspace, level)
