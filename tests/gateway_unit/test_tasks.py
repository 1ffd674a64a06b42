"""Tasks: creation in every mode, the on-connect hooks, TaskQuery and TaskOperation."""

from __future__ import annotations

from collections.abc import Sequence
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

    def assignments(self) -> list[tuple[str, aether_pb2.TaskAssignment]]:
        return [(sid, f.task_assignment) for sid, f in self.sent]


def agent(spec: str = "a1", workspace: str = "ws", impl: str = "worker") -> Caller:
    fields = {"workspace": workspace, "implementation": impl, "specifier": spec}
    topic = f"ag::{workspace}::{impl}::{spec}"
    return Caller(f"s-{topic}", PRINCIPALS["agent"], topic, topic, fields, workspace)


def user(workspace: str = "ws") -> Caller:
    fields = {"user_id": "alice", "window_id": "w"}
    return Caller("s-user", PRINCIPALS["user"], "us::alice::w", "us::alice::w", fields, workspace)


def service(spec: str = "s1", impl: str = "worker", no_pool_consumer: str = "") -> Caller:
    fields = {"implementation": impl, "specifier": spec, "no_pool_consumer": no_pool_consumer}
    topic = f"sv::{impl}::{spec}"
    return Caller(f"s-{topic}", PRINCIPALS["service"], topic, topic, fields)


def orchestrator(agents: AgentStore, profiles: Sequence[str]) -> Caller:
    fields = {"implementation": "k8s", "specifier": "o1"}
    caller = Caller("s-orc", PRINCIPALS["orchestrator"], "orc::k8s::o1", "", fields)
    agents.orchestrators.add(caller.session_id, caller.identity, profiles, 0)
    return caller


@pytest.fixture
def db() -> Database:
    return Database(":memory:")


@pytest.fixture
def tasks(db: Database) -> TaskStore:
    return TaskStore(db)


@pytest.fixture
def agents(db: Database) -> AgentStore:
    store = AgentStore(db)
    store.register(aether_pb2.AgentRegistrationInfo(implementation="worker"))
    store.register(
        aether_pb2.AgentRegistrationInfo(
            implementation="gpu-worker",
            orchestrator_profile="gpu",
            launch_params={"image": "gpu:1", "specifier": "x"},
        )
    )
    return store


def create(
    tasks: TaskStore, agents: AgentStore, hub: FakeHub, caller: Caller, **fields: object
) -> aether_pb2.CreateTaskResponse:
    request = Req(**{"task_type": "work", "request_id": "c1", **fields})  # type: ignore[arg-type]
    frames = handle_create_task(tasks, agents, hub, caller, request)
    assert frames[-1].WhichOneof("payload") == "create_task"
    return frames[-1].create_task


def stored(tasks: TaskStore, task_id: str) -> TaskRecord:
    task = tasks.get(task_id)
    assert task is not None
    return task


# ------------------------------------------------------------------------------ SELF_ASSIGN


def test_self_assign_assigns_the_creator_without_pushing(
    tasks: TaskStore, agents: AgentStore
) -> None:
    hub, me = FakeHub(), agent()
    response = create(tasks, agents, hub, me, payload=b"x", metadata={"k": "v"})
    assert response.success and response.status == "assigned" and response.request_id == "c1"
    assert response.assigned_to == me.identity and hub.sent == []
    task = stored(tasks, response.task_id)
    assert (task.status, task.workspace, task.creator) == ("assigned", "ws", me.topic)
    assert task.payload == b"x" and task.metadata == {"k": "v"} and task.started_at > 0


def test_no_response_without_a_request_id(tasks: TaskStore, agents: AgentStore) -> None:
    assert handle_create_task(tasks, agents, FakeHub(), agent(), Req(task_type="t")) == []


def test_an_explicit_workspace_wins(tasks: TaskStore, agents: AgentStore) -> None:
    response = create(tasks, agents, FakeHub(), agent(), workspace="other")
    assert stored(tasks, response.task_id).workspace == "other"


def test_a_duplicate_idempotency_key_returns_the_first_task(
    tasks: TaskStore, agents: AgentStore
) -> None:
    first = create(tasks, agents, FakeHub(), agent(), idempotency_key="once")
    again = create(tasks, agents, FakeHub(), agent(), idempotency_key="once")
    assert again.success and again.task_id == first.task_id and again.status == ""


# --------------------------------------------------------------------------------- failures


def test_a_payload_over_512_kib_is_refused(tasks: TaskStore, agents: AgentStore) -> None:
    request = Req(task_type="t", payload=b"x" * (512 * 1024 + 1), request_id="big")
    error, response = handle_create_task(tasks, agents, FakeHub(), agent(), request)
    assert error.error.code == "TASK_PAYLOAD_TOO_LARGE" and error.error.request_id == "big"
    assert not response.create_task.success
    assert response.create_task.error_code == "TASK_PAYLOAD_TOO_LARGE"
    assert response.create_task.error_message == error.error.message
    assert response.create_task.request_id == "big"
    fits = Req(task_type="t", payload=b"x" * (512 * 1024))
    assert handle_create_task(tasks, agents, FakeHub(), agent(), fits) == []


def test_a_failure_without_request_id_is_only_an_error_response(
    tasks: TaskStore, agents: AgentStore
) -> None:
    frames = handle_create_task(tasks, agents, FakeHub(), user(workspace=""), Req(task_type="t"))
    assert [f.WhichOneof("payload") for f in frames] == ["error"]
    assert frames[0].error.code == "ERR_INVALID_ARGUMENT"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"assignment_mode": aether_pb2.TARGETED}, "ERR_INVALID_IDENTIFIER"),
        (
            {"assignment_mode": aether_pb2.TARGETED, "target_agent_id": "ag::ws::worker"},
            "ERR_INVALID_IDENTIFIER",
        ),
        (
            {"assignment_mode": aether_pb2.TARGETED, "target_agent_id": "ag::ws::nobody::a"},
            "ERR_TASK_CREATE_FAILED",
        ),
        ({"assignment_mode": aether_pb2.POOL}, "ERR_INVALID_ARGUMENT"),
    ],
)
def test_bad_targets_are_refused(
    tasks: TaskStore, agents: AgentStore, fields: dict[str, object], code: str
) -> None:
    response = create(tasks, agents, FakeHub(), agent(), **fields)
    assert not response.success and response.error_code == code and response.error_message
    assert tasks.list_tasks("ws") == []


def test_the_workspace_acl_gates_creation(tasks: TaskStore, agents: AgentStore) -> None:
    acl = ACLStore(Database(":memory:"))
    request = Req(task_type="t", workspace="ws", request_id="r")
    denied = handle_create_task(tasks, agents, FakeHub(), service(), request, acl=acl)
    assert denied[0].error.code == "ERR_PERMISSION_DENIED"
    assert denied[1].create_task.error_code == "ERR_PERMISSION_DENIED"
    allowed = handle_create_task(tasks, agents, FakeHub(), agent(), request, acl=acl)
    assert allowed[0].create_task.success  # agent_workspace fallback is READWRITE
    acl.grant("service", "sv::worker::s1", "workspace", "ws", AccessLevel.READWRITE)
    granted = handle_create_task(tasks, agents, FakeHub(), service(), request, acl=acl)
    assert granted[0].create_task.success


# --------------------------------------------------------------------------------- TARGETED


def test_targeted_to_an_online_agent_pushes_the_assignment(
    tasks: TaskStore, agents: AgentStore
) -> None:
    target = agent("t1")
    hub = FakeHub(target)
    response = create(
        tasks,
        agents,
        hub,
        user(),
        assignment_mode=aether_pb2.TARGETED,
        target_agent_id=target.identity,
        payload=b"data",
        metadata={"k": "v"},
        task_class=aether_pb2.TASK_CLASS_BATCH,
    )
    assert response.success and response.status == "assigned"
    assert response.assigned_to == target.identity
    [(session_id, sent)] = hub.assignments()
    assert session_id == target.session_id and sent.task_id == response.task_id
    assert (sent.task_type, sent.assigned_to, sent.payload) == ("work", target.identity, b"data")
    assert dict(sent.metadata) == {"k": "v"} and sent.task_class == aether_pb2.TASK_CLASS_BATCH
    assert sent.assigned_at > 0


def test_targeted_to_an_offline_agent_queues_it_and_orders_a_startup(
    tasks: TaskStore, agents: AgentStore
) -> None:
    orc = orchestrator(agents, ["cpu", "gpu"])
    hub = FakeHub(orc)
    target = "ag::home::gpu-worker::g1"
    response = create(
        tasks,
        agents,
        hub,
        agent(),
        assignment_mode=aether_pb2.TARGETED,
        target_agent_id=target,
        launch_param_overrides={"image": "gpu:2"},
    )
    assert response.success and response.status == "orchestration_triggered"
    queued = stored(tasks, response.task_id)
    assert (queued.status, queued.assigned_to, queued.target_topic) == ("pending", "", target)
    [(session_id, order)] = hub.assignments()
    assert session_id == orc.session_id and order.task_type == "agent_startup"
    assert (order.assigned_to, order.profile, order.workspace) == (orc.identity, "gpu", "home")
    assert (order.target_implementation, order.specifier) == ("gpu-worker", "g1")
    assert dict(order.launch_params) == {"image": "gpu:2", "specifier": "x"}
    assert not order.payload and not order.metadata
    startup = stored(tasks, order.task_id)
    assert startup.status == "assigned" and startup.metadata["target_topic"] == target
    # A second task for the same agent reuses the order already under way.
    create(tasks, agents, hub, agent(), assignment_mode=aether_pb2.TARGETED, target_agent_id=target)
    assert len(hub.assignments()) == 1


def test_a_startup_order_waits_for_an_orchestrator_with_its_profile(
    tasks: TaskStore, agents: AgentStore
) -> None:
    cpu_only = orchestrator(agents, ["cpu"])
    hub = FakeHub(cpu_only)
    target = "ag::ws::gpu-worker::g1"
    create(tasks, agents, hub, agent(), assignment_mode=aether_pb2.TARGETED, target_agent_id=target)
    assert hub.sent == []
    assert on_orchestrator_connected(tasks, agents, cpu_only) == []
    fields = {"implementation": "k8s", "specifier": "o2"}
    gpu = Caller("s-gpu", PRINCIPALS["orchestrator"], "orc::k8s::o2", "", fields)
    agents.orchestrators.add(gpu.session_id, gpu.identity, ["gpu"], 0)
    [frame] = on_orchestrator_connected(tasks, agents, gpu)
    assert frame.task_assignment.task_type == "agent_startup"
    assert frame.task_assignment.assigned_to == gpu.identity
    assert on_orchestrator_connected(tasks, agents, gpu) == []  # already claimed
    unknown = Caller("s-x", PRINCIPALS["orchestrator"], "orc::k8s::x", "", fields)
    assert on_orchestrator_connected(tasks, agents, unknown) == []


def test_without_a_profile_the_task_just_waits(tasks: TaskStore, agents: AgentStore) -> None:
    hub = FakeHub(orchestrator(agents, ["gpu"]))
    target = "ag::ws::worker::w9"
    response = create(
        tasks, agents, hub, agent(), assignment_mode=aether_pb2.TARGETED, target_agent_id=target
    )
    assert response.status == "orchestration_triggered" and hub.sent == []
    assert [t.task_id for t in tasks.list_tasks("ws")] == [response.task_id]
    startup = create(
        tasks,
        agents,
        hub,
        agent(),
        task_type="agent_startup",
        assignment_mode=aether_pb2.TARGETED,
        target_agent_id=target,
    )
    assert not startup.success and startup.error_code == "ERR_TASK_CREATE_FAILED"


def test_an_agent_startup_request_creates_only_the_order(
    tasks: TaskStore, agents: AgentStore
) -> None:
    response = create(
        tasks,
        agents,
        FakeHub(),
        agent(),
        task_type="agent_startup",
        assignment_mode=aether_pb2.TARGETED,
        target_agent_id="ag::ws::gpu-worker::g1",
    )
    assert response.success and response.status == "orchestration_triggered"
    [only] = tasks.list_tasks("ws")
    assert only.task_id == response.task_id and only.task_type == "agent_startup"
    assert only.profile == "gpu"


# ------------------------------------------------------------------------------------- POOL


def pool(tasks: TaskStore, agents: AgentStore, hub: FakeHub) -> aether_pb2.CreateTaskResponse:
    return create(
        tasks, agents, hub, user(), assignment_mode=aether_pb2.POOL, target_implementation="worker"
    )


def test_a_pool_task_without_workers_stays_pending(tasks: TaskStore, agents: AgentStore) -> None:
    hub = FakeHub(agent("elsewhere", workspace="other"), service(no_pool_consumer="true"))
    response = pool(tasks, agents, hub)
    assert response.success and response.status == "pending_pool" and response.assigned_to == ""
    assert stored(tasks, response.task_id).status == "pending" and hub.sent == []


def test_a_pool_task_goes_to_a_live_agent_of_the_workspace(
    tasks: TaskStore, agents: AgentStore
) -> None:
    worker = agent("w1")
    hub = FakeHub(service(), worker, agent("w2", impl="other"))
    response = pool(tasks, agents, hub)
    assert response.status == "pending_pool" and response.assigned_to == worker.identity
    assert [sid for sid, _ in hub.assignments()] == [worker.session_id]
    assert hub.assignments()[0][1].target_implementation == "worker"


def test_services_take_pool_tasks_when_no_agent_can(tasks: TaskStore, agents: AgentStore) -> None:
    svc = service()
    hub = FakeHub(svc, service("s2", no_pool_consumer="true"))
    assert pool(tasks, agents, hub).assigned_to == svc.identity


def test_the_less_loaded_worker_gets_the_task(tasks: TaskStore, agents: AgentStore) -> None:
    busy, idle = agent("busy"), agent("idle")
    hub = FakeHub(busy)
    assert pool(tasks, agents, hub).assigned_to == busy.identity
    hub.live[idle.session_id] = idle
    assert pool(tasks, agents, hub).assigned_to == idle.identity


# ---------------------------------------------------------------------------- agent connect


def test_a_connecting_agent_receives_its_queued_then_pool_tasks(
    tasks: TaskStore, agents: AgentStore
) -> None:
    hub = FakeHub(orchestrator(agents, ["gpu"]))
    me = agent("g1", impl="gpu-worker")
    targeted = create(
        tasks, agents, hub, user(), assignment_mode=aether_pb2.TARGETED, target_agent_id=me.identity
    )
    pooled = create(
        tasks,
        agents,
        hub,
        user(),
        assignment_mode=aether_pb2.POOL,
        target_implementation="gpu-worker",
    )
    [(_, order)] = hub.assignments()
    frames = on_agent_connected(tasks, hub, me)
    assert [f.task_assignment.task_id for f in frames] == [targeted.task_id, pooled.task_id]
    assert all(f.task_assignment.assigned_to == me.identity for f in frames)
    assert stored(tasks, targeted.task_id).status == "assigned"
    # The agent's arrival completes the startup order that launched it, and says so.
    assert stored(tasks, order.task_id).status == "completed"
    [(topic, progress)] = hub.delivered
    assert topic == "pg::ws" and progress.progress_update.state == "completed"
    assert on_agent_connected(tasks, hub, me) == []


def test_only_agents_pull_tasks_on_connect(tasks: TaskStore, agents: AgentStore) -> None:
    pool(tasks, agents, FakeHub())
    assert on_agent_connected(tasks, FakeHub(), service()) == []
    assert on_agent_connected(tasks, FakeHub(), agent("x", workspace="other")) == []
    assert len(on_agent_connected(tasks, FakeHub(), agent("x"))) == 1


def test_queued_tasks_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "tasks.db"
    first = Database(path)
    agents = AgentStore(first)
    agents.register(aether_pb2.AgentRegistrationInfo(implementation="worker"))
    target = agent("t1")
    response = create(
        TaskStore(first),
        agents,
        FakeHub(),
        user(),
        assignment_mode=aether_pb2.TARGETED,
        target_agent_id=target.identity,
    )
    first.close()
    reopened = TaskStore(Database(path))
    [frame] = on_agent_connected(reopened, FakeHub(), target)
    assert frame.task_assignment.task_id == response.task_id


# ------------------------------------------------------------------------------- TaskQuery


def query(
    tasks: TaskStore, caller: Caller, q: aether_pb2.TaskQuery
) -> aether_pb2.TaskQueryResponse:
    frames = handle_task_query(tasks, caller, q)
    assert len(frames) == 1 and frames[0].task_query.request_id == q.request_id
    return frames[0].task_query


def test_get_is_limited_to_the_parties_of_a_task(tasks: TaskStore, agents: AgentStore) -> None:
    worker = agent("w1")
    task_id = pool(tasks, agents, FakeHub(worker)).task_id
    for party in (user(), worker, agent("boss")):
        if party.identity == "ag::ws::worker::boss":
            party.is_admin = True
        found = query(tasks, party, Query(op=Query.GET, task_id=task_id, request_id="g"))
        assert found.success and found.task.task_id == task_id
        assert found.task.status == aether_pb2.TASK_STATUS_QUEUED
        assert found.task.creator_actor_id == "us::alice::w"
    for q in (Query(op=Query.GET, task_id=task_id), Query(op=Query.GET, task_id="nope")):
        hidden = query(tasks, agent("stranger"), q)
        assert not hidden.success and hidden.error == "task not found"


def test_managers_of_the_workspace_may_see_any_task(tasks: TaskStore, agents: AgentStore) -> None:
    task_id = create(tasks, agents, FakeHub(), user()).task_id
    acl = ACLStore(Database(":memory:"))
    acl.grant("agent", "ag::ws::worker::m", "workspace", "ws", AccessLevel.MANAGE)
    frames = handle_task_query(tasks, agent("m"), Query(op=Query.GET, task_id=task_id), acl=acl)
    assert frames[0].task_query.success
    frames = handle_task_query(tasks, agent("n"), Query(op=Query.GET, task_id=task_id), acl=acl)
    assert frames[0].task_query.error == "task not found"


def test_list_filters_and_pages(tasks: TaskStore, agents: AgentStore) -> None:
    me = agent()
    ids = [create(tasks, agents, FakeHub(), me, task_type=t).task_id for t in ("a", "b", "a")]
    create(tasks, agents, FakeHub(), me, workspace="other")
    handle_task_op(tasks, FakeHub(), me, Op(op=Op.COMPLETE, task_id=ids[0]))

    def listed(**filter_fields: object) -> list[str]:
        f = aether_pb2.TaskFilter(**filter_fields)  # type: ignore[arg-type]
        response = query(tasks, me, Query(op=Query.LIST, filter=f, request_id="l"))
        assert response.success and response.total_count == len(response.tasks)
        return [t.task_id for t in response.tasks]

    assert listed() == ids[::-1]  # newest first, the caller's workspace only
    assert listed(task_type="a") == [ids[2], ids[0]]
    assert listed(status=aether_pb2.TASK_STATUS_QUEUED) == [ids[2], ids[1]]
    assert listed(statuses=[aether_pb2.TASK_STATUS_COMPLETED]) == [ids[0]]
    assert listed(statuses=[aether_pb2.TASK_STATUS_WAITING_INPUT]) == []
    assert listed(limit=1, offset=1) == [ids[1]]
    assert len(listed(workspace="other")) == 1


def test_list_needs_a_workspace_and_read_access(tasks: TaskStore) -> None:
    lost = query(tasks, user(workspace=""), Query(op=Query.LIST))
    assert not lost.success and lost.error == "workspace is required"
    acl = ACLStore(Database(":memory:"))
    [frame] = handle_task_query(
        tasks, service(), Query(op=Query.LIST, filter={"workspace": "ws"}), acl=acl
    )
    assert not frame.task_query.success and "access denied" in frame.task_query.error


# --------------------------------------------------------------------------- TaskOperation


def operate(
    tasks: TaskStore, hub: FakeHub, caller: Caller, op: int, task_id: str, reason: str = ""
) -> aether_pb2.TaskOperationResponse:
    request = Op(op=op, task_id=task_id, reason=reason, request_id="o")  # type: ignore[arg-type]
    frames = handle_task_op(tasks, hub, caller, request)
    assert len(frames) == 1 and frames[0].task_op.request_id == "o"
    return frames[0].task_op


@pytest.mark.parametrize(
    ("op", "status", "wire", "summary"),
    [
        (Op.COMPLETE, "completed", aether_pb2.TASK_STATUS_COMPLETED, "task completed"),
        (Op.FAIL, "failed", aether_pb2.TASK_STATUS_FAILED, "task failed: boom"),
        (Op.CANCEL, "cancelled", aether_pb2.TASK_STATUS_CANCELLED, "task cancelled: boom"),
    ],
)
def test_transitions_answer_and_publish_progress(
    tasks: TaskStore, agents: AgentStore, op: int, status: str, wire: int, summary: str
) -> None:
    worker, hub = agent("w1"), FakeHub()
    task_id = pool(tasks, agents, FakeHub(worker)).task_id
    response = operate(tasks, hub, worker, op, task_id, reason="boom")
    assert response.success and response.message == f"task {status}"
    assert response.task.status == wire and response.task.completed_at > 0
    [(topic, frame)] = hub.delivered
    update = frame.progress_update
    assert topic == "pg::ws" and update.task_id == task_id
    assert (update.state, update.summary, update.recipient) == (status, summary, "us::alice::w")
    assert update.kind == aether_pb2.PROGRESS_KIND_TASK and update.workspace == "ws"
    again = operate(tasks, hub, worker, op, task_id)
    assert not again.success and again.error.endswith(f"a task that is {status}")


def test_strangers_and_unsupported_operations_are_refused(
    tasks: TaskStore, agents: AgentStore
) -> None:
    task_id = create(tasks, agents, FakeHub(), user()).task_id
    assert operate(tasks, FakeHub(), agent("x"), Op.CANCEL, task_id).error == "task not found"
    assert operate(tasks, FakeHub(), user(), Op.CANCEL, "missing").error == "task not found"
    assert operate(tasks, FakeHub(), user(), Op.PAUSE, task_id).error == "not implemented"
    assert stored(tasks, task_id).status == "assigned"


def test_retry_hands_a_self_assigned_task_back_to_its_assignee(
    tasks: TaskStore, agents: AgentStore
) -> None:
    me = agent()
    task_id = create(tasks, agents, FakeHub(), me).task_id
    assert not operate(tasks, FakeHub(), me, Op.RETRY, task_id).success  # not failed yet
    operate(tasks, FakeHub(), me, Op.FAIL, task_id, reason="oops")
    retried = operate(tasks, FakeHub(), me, Op.RETRY, task_id)
    assert retried.success and retried.message == "task assigned"
    assert (retried.task.attempt, retried.task.error, retried.task.assigned_to) == (
        2,
        "",
        me.identity,
    )
    assert retried.task.completed_at == 0


def test_retry_offers_a_pool_task_again(tasks: TaskStore, agents: AgentStore) -> None:
    first, second = agent("w1"), agent("w2")
    task_id = pool(tasks, agents, FakeHub(first)).task_id
    operate(tasks, FakeHub(), first, Op.FAIL, task_id)
    hub = FakeHub(second)
    retried = operate(tasks, hub, user(), Op.RETRY, task_id)
    assert retried.success and retried.task.assigned_to == second.identity
    assert [sid for sid, _ in hub.assignments()] == [second.session_id]


def test_retry_of_a_targeted_task_waits_for_or_reaches_its_target(
    tasks: TaskStore, agents: AgentStore
) -> None:
    target = agent("t1")
    task_id = create(
        tasks,
        agents,
        FakeHub(target),
        user(),
        assignment_mode=aether_pb2.TARGETED,
        target_agent_id=target.identity,
    ).task_id
    operate(tasks, FakeHub(), target, Op.CANCEL, task_id)
    offline = operate(tasks, FakeHub(), user(), Op.RETRY, task_id)
    assert offline.task.status == aether_pb2.TASK_STATUS_QUEUED and offline.task.assigned_to == ""
    operate(tasks, FakeHub(), user(), Op.CANCEL, task_id)
    hub = FakeHub(target)
    online = operate(tasks, hub, user(), Op.RETRY, task_id)
    assert online.task.assigned_to == target.identity and len(hub.assignments()) == 1


def test_retry_stops_at_max_attempts(tasks: TaskStore, agents: AgentStore) -> None:
    me = agent()
    policy = aether_pb2.RetryPolicy(max_attempts=2)
    task_id = create(tasks, agents, FakeHub(), me, retry_policy=policy).task_id
    for _ in range(2):
        operate(tasks, FakeHub(), me, Op.FAIL, task_id)
        last = operate(tasks, FakeHub(), me, Op.RETRY, task_id)
    assert not last.success and last.error == "task has used all 2 attempts"
