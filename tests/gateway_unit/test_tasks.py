"""Tasks: creation in every mode, the on-connect hooks, TaskQuery and TaskOperation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from aether_gateway.context import Caller
from aether_gateway.handlers.tasks import (
    handle_create_task,
    handle_task_op,
    handle_task_query,
    on_agent_connected,
    on_orchestrator_connected,
)
from aether_gateway.store.acl import AccessLevel, ACLStore
from aether_gateway.store.agents import AgentStore
from aether_gateway.store.db import Database
from aether_gateway.store.tasks import TaskRecord, TaskStore
from scitrera_aether_client._generated.principals import PRINCIPALS
from scitrera_aether_client.proto import aether_pb2

Down = aether_pb2.DownstreamMessage
Req = aether_pb2.CreateTaskRequest
Query = aether_pb2.TaskQuery
Op = aether_pb2.TaskOperation
TARGETED, POOL = aether_pb2.TARGETED, aether_pb2.POOL


class FakeHub:
    """Live sessions, and a record of every frame handed to other sessions."""

    def __init__(self, *callers: Caller) -> None:
        self.live = {c.session_id: c for c in callers}
        self.sent: list[tuple[str, Down]] = []
        self.delivered: list[tuple[str, Down]] = []

    def deliver(self, topic: str, frame: Down) -> None:
        self.delivered.append((topic, frame))

    def send_to_session(self, session_id: str, frame: Down) -> bool:
        if session_id not in self.live:
            return False
        self.sent.append((session_id, frame))
        return True

    def sessions(self) -> Sequence[Caller]:
        return list(self.live.values())

    def session_by_identity(self, identity: str) -> Caller | None:
        return next((c for c in self.live.values() if c.identity == identity), None)

    def disconnect(self, session_id: str, reason: str) -> bool:
        return self.live.pop(session_id, None) is not None

    def connect(self, *callers: Caller) -> None:
        self.live.update({c.session_id: c for c in callers})

    def assignments(self) -> list[tuple[str, aether_pb2.TaskAssignment]]:
        return [(sid, f.task_assignment) for sid, f in self.sent]


def agent(spec: str = "a1", workspace: str = "ws", impl: str = "worker") -> Caller:
    fields = {"workspace": workspace, "implementation": impl, "specifier": spec}
    topic = f"ag::{workspace}::{impl}::{spec}"
    return Caller(f"s-{topic}", PRINCIPALS["agent"], topic, topic, fields, workspace)


def user(workspace: str = "ws") -> Caller:
    fields = {"user_id": "alice", "window_id": "w"}
    return Caller("s-user", PRINCIPALS["user"], "us::alice::w", "us::alice::w", fields, workspace)


def service(spec: str = "s1", no_pool_consumer: str = "") -> Caller:
    fields = {"implementation": "worker", "specifier": spec, "no_pool_consumer": no_pool_consumer}
    topic = f"sv::worker::{spec}"
    return Caller(f"s-{topic}", PRINCIPALS["service"], topic, topic, fields)


def orchestrator(agents: AgentStore, spec: str, profiles: Sequence[str]) -> Caller:
    fields = {"implementation": "k8s", "specifier": spec}
    caller = Caller(f"s-orc-{spec}", PRINCIPALS["orchestrator"], f"orc::k8s::{spec}", "", fields)
    agents.orchestrators.add(caller.session_id, caller.identity, profiles, 0)
    return caller


@dataclass
class Env:
    """The stores and hub the task handlers work with, and shortcuts for calling them."""

    tasks: TaskStore
    agents: AgentStore
    hub: FakeHub = field(default_factory=FakeHub)

    def create_frames(self, caller: Caller, **fields: object) -> list[Down]:
        request = Req(**{"task_type": "work", "request_id": "c1", **fields})  # type: ignore[arg-type]
        return handle_create_task(self.tasks, self.agents, self.hub, caller, request)

    def create(self, caller: Caller, **fields: object) -> aether_pb2.CreateTaskResponse:
        frames = self.create_frames(caller, **fields)
        assert frames[-1].create_task.request_id == "c1"
        return frames[-1].create_task

    def targeted(self, target: str, **fields: object) -> aether_pb2.CreateTaskResponse:
        return self.create(user(), assignment_mode=TARGETED, target_agent_id=target, **fields)

    def pool(self, impl: str = "worker") -> aether_pb2.CreateTaskResponse:
        return self.create(user(), assignment_mode=POOL, target_implementation=impl)

    def stored(self, task_id: str) -> TaskRecord:
        task = self.tasks.get(task_id)
        assert task is not None
        return task

    def query(self, caller: Caller, q: aether_pb2.TaskQuery) -> aether_pb2.TaskQueryResponse:
        frames = handle_task_query(self.tasks, caller, q)
        assert len(frames) == 1 and frames[0].task_query.request_id == q.request_id
        return frames[0].task_query

    def operate(
        self, caller: Caller, op: int, task_id: str, reason: str = ""
    ) -> aether_pb2.TaskOperationResponse:
        request = Op(op=op, task_id=task_id, reason=reason, request_id="o")  # type: ignore[arg-type]
        frames = handle_task_op(self.tasks, self.hub, caller, request)
        assert len(frames) == 1 and frames[0].task_op.request_id == "o"
        return frames[0].task_op


def registered(db: Database) -> AgentStore:
    agents = AgentStore(db)
    agents.register(aether_pb2.AgentRegistrationInfo(implementation="worker"))
    agents.register(
        aether_pb2.AgentRegistrationInfo(
            implementation="gpu-worker",
            orchestrator_profile="gpu",
            launch_params={"image": "gpu:1", "specifier": "x"},
        )
    )
    return agents


@pytest.fixture
def env() -> Env:
    db = Database(":memory:")
    return Env(TaskStore(db), registered(db))


# ------------------------------------------------------------------------------ SELF_ASSIGN


def test_self_assign_assigns_the_creator_without_pushing(env: Env) -> None:
    me = agent()
    response = env.create(me, payload=b"x", metadata={"k": "v"})
    assert (
        response.success and response.status == "assigned" and response.assigned_to == me.identity
    )
    assert env.hub.sent == []
    task = env.stored(response.task_id)
    assert (task.status, task.workspace, task.creator) == ("assigned", "ws", me.topic)
    assert task.payload == b"x" and task.metadata == {"k": "v"} and task.started_at > 0


def test_only_a_request_id_earns_a_response(env: Env) -> None:
    assert env.create_frames(agent(), request_id="") == []


def test_an_explicit_workspace_wins(env: Env) -> None:
    assert env.stored(env.create(agent(), workspace="other").task_id).workspace == "other"


def test_a_duplicate_idempotency_key_returns_the_first_task(env: Env) -> None:
    first = env.create(agent(), idempotency_key="once")
    again = env.create(agent(), idempotency_key="once")
    assert again.success and again.task_id == first.task_id and again.status == ""


# --------------------------------------------------------------------------------- failures


def test_a_payload_over_512_kib_is_refused_with_two_frames(env: Env) -> None:
    error, response = env.create_frames(agent(), payload=b"x" * (512 * 1024 + 1))
    assert error.error.code == "TASK_PAYLOAD_TOO_LARGE" and error.error.request_id == "c1"
    failed = response.create_task
    assert not failed.success and failed.error_code == "TASK_PAYLOAD_TOO_LARGE"
    assert failed.error_message == error.error.message and failed.request_id == "c1"
    assert env.create(agent(), payload=b"x" * (512 * 1024)).success


def test_a_failure_without_request_id_is_only_an_error_response(env: Env) -> None:
    [frame] = env.create_frames(user(workspace=""), request_id="")
    assert frame.error.code == "ERR_INVALID_ARGUMENT"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"assignment_mode": TARGETED}, "ERR_INVALID_IDENTIFIER"),
        ({"assignment_mode": TARGETED, "target_agent_id": "ag::ws::x"}, "ERR_INVALID_IDENTIFIER"),
        (
            {"assignment_mode": TARGETED, "target_agent_id": "ag::w::no::a"},
            "ERR_TASK_CREATE_FAILED",
        ),
        ({"assignment_mode": POOL}, "ERR_INVALID_ARGUMENT"),
    ],
)
def test_bad_targets_are_refused(env: Env, fields: dict[str, object], code: str) -> None:
    response = env.create(agent(), **fields)
    assert not response.success and response.error_code == code and response.error_message
    assert env.tasks.list_tasks("ws") == []


def test_the_workspace_acl_gates_creation(env: Env) -> None:
    acl = ACLStore(Database(":memory:"))
    request = Req(task_type="t", workspace="ws", request_id="r")

    def created(caller: Caller) -> list[Down]:
        return handle_create_task(env.tasks, env.agents, env.hub, caller, request, acl=acl)

    denied = created(service())
    assert denied[0].error.code == denied[1].create_task.error_code == "ERR_PERMISSION_DENIED"
    assert created(agent())[0].create_task.success  # the agent_workspace fallback is READWRITE
    acl.grant("service", "sv::worker::s1", "workspace", "ws", AccessLevel.READWRITE)
    assert created(service())[0].create_task.success


# --------------------------------------------------------------------------------- TARGETED


def test_targeted_to_an_online_agent_pushes_the_assignment(env: Env) -> None:
    target = agent("t1")
    env.hub.connect(target)
    response = env.targeted(
        target.identity,
        payload=b"data",
        metadata={"k": "v"},
        task_class=aether_pb2.TASK_CLASS_BATCH,
    )
    assert response.success and response.status == "assigned"
    assert response.assigned_to == target.identity
    [(session_id, sent)] = env.hub.assignments()
    assert session_id == target.session_id and sent.task_id == response.task_id
    assert (sent.task_type, sent.assigned_to, sent.payload) == ("work", target.identity, b"data")
    assert dict(sent.metadata) == {"k": "v"} and sent.task_class == aether_pb2.TASK_CLASS_BATCH
    assert sent.assigned_at > 0


def test_targeted_to_an_offline_agent_queues_it_and_orders_a_startup(env: Env) -> None:
    orc = orchestrator(env.agents, "o1", ["cpu", "gpu"])
    env.hub.connect(orc)
    target = "ag::home::gpu-worker::g1"
    response = env.targeted(target, launch_param_overrides={"image": "gpu:2"})
    assert response.success and response.status == "orchestration_triggered"
    queued = env.stored(response.task_id)
    assert (queued.status, queued.assigned_to, queued.target_topic) == ("pending", "", target)
    [(session_id, order)] = env.hub.assignments()
    assert session_id == orc.session_id and order.task_type == "agent_startup"
    assert (order.assigned_to, order.profile, order.workspace) == (orc.identity, "gpu", "home")
    assert (order.target_implementation, order.specifier) == ("gpu-worker", "g1")
    assert dict(order.launch_params) == {"image": "gpu:2", "specifier": "x"}
    assert not order.payload and not order.metadata
    startup = env.stored(order.task_id)
    assert startup.status == "assigned" and startup.metadata["target_topic"] == target
    env.targeted(target)  # a second task for the agent reuses the order under way
    assert len(env.hub.assignments()) == 1


def test_a_startup_order_waits_for_an_orchestrator_with_its_profile(env: Env) -> None:
    cpu_only = orchestrator(env.agents, "o1", ["cpu"])
    env.hub.connect(cpu_only)
    env.targeted("ag::ws::gpu-worker::g1")
    assert env.hub.sent == []
    assert on_orchestrator_connected(env.tasks, env.agents, cpu_only) == []
    gpu = orchestrator(env.agents, "o2", ["gpu"])
    [frame] = on_orchestrator_connected(env.tasks, env.agents, gpu)
    assert frame.task_assignment.task_type == "agent_startup"
    assert frame.task_assignment.assigned_to == gpu.identity
    assert on_orchestrator_connected(env.tasks, env.agents, gpu) == []  # already claimed
    env.agents.orchestrators.remove(gpu.session_id)
    assert on_orchestrator_connected(env.tasks, env.agents, gpu) == []


def test_without_a_profile_the_task_just_waits(env: Env) -> None:
    env.hub.connect(orchestrator(env.agents, "o1", ["gpu"]))
    response = env.targeted("ag::ws::worker::w9")
    assert response.status == "orchestration_triggered" and env.hub.sent == []
    assert [t.task_id for t in env.tasks.list_tasks("ws")] == [response.task_id]
    startup = env.targeted("ag::ws::worker::w9", task_type="agent_startup")
    assert not startup.success and startup.error_code == "ERR_TASK_CREATE_FAILED"


def test_an_agent_startup_request_creates_only_the_order(env: Env) -> None:
    response = env.targeted("ag::ws::gpu-worker::g1", task_type="agent_startup")
    assert response.success and response.status == "orchestration_triggered"
    [only] = env.tasks.list_tasks("ws")
    assert (only.task_id, only.task_type, only.profile) == (
        response.task_id,
        "agent_startup",
        "gpu",
    )


# ------------------------------------------------------------------------------------- POOL


def test_a_pool_task_without_workers_stays_pending(env: Env) -> None:
    env.hub.connect(agent("elsewhere", workspace="other"), service(no_pool_consumer="true"))
    response = env.pool()
    assert response.success and response.status == "pending_pool" and response.assigned_to == ""
    assert env.stored(response.task_id).status == "pending" and env.hub.sent == []


def test_a_pool_task_goes_to_a_live_agent_of_the_workspace(env: Env) -> None:
    worker = agent("w1")
    env.hub.connect(service(), worker, agent("w2", impl="other"))
    response = env.pool()
    assert response.status == "pending_pool" and response.assigned_to == worker.identity
    [(session_id, sent)] = env.hub.assignments()
    assert session_id == worker.session_id and sent.target_implementation == "worker"


def test_services_take_pool_tasks_when_no_agent_can(env: Env) -> None:
    env.hub.connect(service("s1"), service("s2", no_pool_consumer="true"))
    assert env.pool().assigned_to == "sv::worker::s1"


def test_the_less_loaded_worker_gets_the_task(env: Env) -> None:
    busy, idle = agent("busy"), agent("idle")
    env.hub.connect(busy)
    assert env.pool().assigned_to == busy.identity
    env.hub.connect(idle)
    assert env.pool().assigned_to == idle.identity


# ---------------------------------------------------------------------------- agent connect


def test_a_connecting_agent_receives_its_queued_then_pool_tasks(env: Env) -> None:
    env.hub.connect(orchestrator(env.agents, "o1", ["gpu"]))
    me = agent("g1", impl="gpu-worker")
    targeted, pooled = env.targeted(me.identity), env.pool("gpu-worker")
    [(_, order)] = env.hub.assignments()
    frames = on_agent_connected(env.tasks, env.hub, me)
    assert [f.task_assignment.task_id for f in frames] == [targeted.task_id, pooled.task_id]
    assert all(f.task_assignment.assigned_to == me.identity for f in frames)
    assert env.stored(targeted.task_id).status == "assigned"
    # The agent's arrival completes the startup order that launched it, and says so.
    assert env.stored(order.task_id).status == "completed"
    [(topic, progress)] = env.hub.delivered
    assert topic == "pg::ws" and progress.progress_update.state == "completed"
    assert on_agent_connected(env.tasks, env.hub, me) == []


def test_only_agents_of_the_workspace_pull_pool_tasks(env: Env) -> None:
    env.pool()
    assert on_agent_connected(env.tasks, env.hub, service()) == []
    assert on_agent_connected(env.tasks, env.hub, agent("x", workspace="other")) == []
    assert len(on_agent_connected(env.tasks, env.hub, agent("x"))) == 1


def test_queued_tasks_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "tasks.db"
    first = Database(path)
    target = agent("t1")
    response = Env(TaskStore(first), registered(first)).targeted(target.identity)
    first.close()
    [frame] = on_agent_connected(TaskStore(Database(path)), FakeHub(), target)
    assert frame.task_assignment.task_id == response.task_id


# ------------------------------------------------------------------------------- TaskQuery


def test_get_is_limited_to_the_parties_of_a_task(env: Env) -> None:
    worker, admin = agent("w1"), agent("boss")
    admin.is_admin = True
    env.hub.connect(worker)
    task_id = env.pool().task_id
    for party in (user(), worker, admin):
        found = env.query(party, Query(op=Query.GET, task_id=task_id, request_id="g"))
        assert found.success and found.task.task_id == task_id
        assert found.task.status == aether_pb2.TASK_STATUS_QUEUED
        assert found.task.creator_actor_id == "us::alice::w"
    for q in (Query(op=Query.GET, task_id=task_id), Query(op=Query.GET, task_id="nope")):
        hidden = env.query(agent("stranger"), q)
        assert not hidden.success and hidden.error == "task not found"


def test_managers_of_the_workspace_may_see_any_task(env: Env) -> None:
    get = Query(op=Query.GET, task_id=env.create(user()).task_id)
    acl = ACLStore(Database(":memory:"))
    acl.grant("agent", "ag::ws::worker::m", "workspace", "ws", AccessLevel.MANAGE)
    assert handle_task_query(env.tasks, agent("m"), get, acl=acl)[0].task_query.success
    denied = handle_task_query(env.tasks, agent("n"), get, acl=acl)[0].task_query
    assert denied.error == "task not found"


def test_list_filters_and_pages(env: Env) -> None:
    me = agent()
    ids = [env.create(me, task_type=t).task_id for t in ("a", "b", "a")]
    env.create(me, workspace="other")
    env.operate(me, Op.COMPLETE, ids[0])

    def listed(**filter_fields: object) -> list[str]:
        f = aether_pb2.TaskFilter(**filter_fields)  # type: ignore[arg-type]
        response = env.query(me, Query(op=Query.LIST, filter=f, request_id="l"))
        assert response.success and response.total_count == len(response.tasks)
        return [t.task_id for t in response.tasks]

    assert listed() == ids[::-1]  # newest first, in the caller's workspace
    assert listed(task_type="a") == [ids[2], ids[0]]
    assert listed(status=aether_pb2.TASK_STATUS_QUEUED) == [ids[2], ids[1]]
    assert listed(statuses=[aether_pb2.TASK_STATUS_COMPLETED]) == [ids[0]]
    assert listed(statuses=[aether_pb2.TASK_STATUS_WAITING_INPUT]) == []
    assert listed(limit=1, offset=1) == [ids[1]]
    assert len(listed(workspace="other")) == 1


def test_list_needs_a_workspace_and_read_access(env: Env) -> None:
    lost = env.query(user(workspace=""), Query(op=Query.LIST))
    assert not lost.success and lost.error == "workspace is required"
    acl = ACLStore(Database(":memory:"))
    q = Query(op=Query.LIST, filter=aether_pb2.TaskFilter(workspace="ws"))
    [frame] = handle_task_query(env.tasks, service(), q, acl=acl)
    assert not frame.task_query.success and "access denied" in frame.task_query.error


# --------------------------------------------------------------------------- TaskOperation


@pytest.mark.parametrize(
    ("op", "status", "wire", "summary"),
    [
        (Op.COMPLETE, "completed", aether_pb2.TASK_STATUS_COMPLETED, "task completed"),
        (Op.FAIL, "failed", aether_pb2.TASK_STATUS_FAILED, "task failed: boom"),
        (Op.CANCEL, "cancelled", aether_pb2.TASK_STATUS_CANCELLED, "task cancelled: boom"),
    ],
)
def test_transitions_answer_and_publish_progress(
    env: Env, op: int, status: str, wire: int, summary: str
) -> None:
    worker = agent("w1")
    env.hub.connect(worker)
    task_id = env.pool().task_id
    response = env.operate(worker, op, task_id, reason="boom")
    assert response.success and response.message == f"task {status}"
    assert response.task.status == wire and response.task.completed_at > 0
    [(topic, frame)] = env.hub.delivered
    update = frame.progress_update
    assert topic == "pg::ws" and update.task_id == task_id and update.workspace == "ws"
    assert (update.state, update.summary, update.recipient) == (status, summary, "us::alice::w")
    assert update.kind == aether_pb2.PROGRESS_KIND_TASK
    again = env.operate(worker, op, task_id)
    assert not again.success and again.error.endswith(f"a task that is {status}")


def test_strangers_and_unsupported_operations_are_refused(env: Env) -> None:
    task_id = env.create(user()).task_id
    assert env.operate(agent("x"), Op.CANCEL, task_id).error == "task not found"
    assert env.operate(user(), Op.CANCEL, "missing").error == "task not found"
    assert env.operate(user(), Op.PAUSE, task_id).error == "not implemented"
    assert env.stored(task_id).status == "assigned" and env.hub.delivered == []


def test_retry_hands_a_self_assigned_task_back_to_its_assignee(env: Env) -> None:
    me = agent()
    task_id = env.create(me).task_id
    assert not env.operate(me, Op.RETRY, task_id).success  # it has not failed
    env.operate(me, Op.FAIL, task_id, reason="oops")
    retried = env.operate(me, Op.RETRY, task_id)
    assert retried.success and retried.message == "task assigned"
    task = retried.task
    assert (task.attempt, task.error, task.assigned_to, task.completed_at) == (
        2,
        "",
        me.identity,
        0,
    )


def test_retry_offers_a_pool_task_again(env: Env) -> None:
    first, second = agent("w1"), agent("w2")
    env.hub.connect(first)
    task_id = env.pool().task_id
    env.operate(first, Op.FAIL, task_id)
    env.hub = FakeHub(second)
    retried = env.operate(user(), Op.RETRY, task_id)
    assert retried.success and retried.task.assigned_to == second.identity
    assert [sid for sid, _ in env.hub.assignments()] == [second.session_id]


def test_retry_of_a_targeted_task_waits_for_or_reaches_its_target(env: Env) -> None:
    target = agent("t1")
    env.hub.connect(target)
    task_id = env.targeted(target.identity).task_id
    env.operate(target, Op.CANCEL, task_id)
    env.hub = FakeHub()
    offline = env.operate(user(), Op.RETRY, task_id)
    assert offline.task.status == aether_pb2.TASK_STATUS_QUEUED and offline.task.assigned_to == ""
    env.operate(user(), Op.CANCEL, task_id)
    env.hub.connect(target)
    online = env.operate(user(), Op.RETRY, task_id)
    assert online.task.assigned_to == target.identity and len(env.hub.assignments()) == 1


def test_retry_stops_at_max_attempts(env: Env) -> None:
    me = agent()
    task_id = env.create(me, retry_policy=aether_pb2.RetryPolicy(max_attempts=2)).task_id
    env.operate(me, Op.FAIL, task_id)
    assert env.operate(me, Op.RETRY, task_id).success
    env.operate(me, Op.FAIL, task_id)
    exhausted = env.operate(me, Op.RETRY, task_id)
    assert not exhausted.success and exhausted.error == "task has used all 2 attempts"
