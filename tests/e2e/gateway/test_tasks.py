"""Issue 3 item 6: task creation and assignment, queries and operations."""

from __future__ import annotations

import pytest

from aether_gateway.config import GatewayConfig
from aether_gateway.embedded import EmbeddedGateway
from scitrera_aether_client import (
    POOL,
    SELF_ASSIGN,
    TARGETED,
    AetherError,
    AsyncAgentClient,
    AsyncOrchestratorClient,
    AsyncServiceClient,
    AsyncUserClient,
    Credentials,
)
from scitrera_aether_client.proto import aether_pb2

from ._support import Inbox, barrier

Q = aether_pb2


async def register(admin: AsyncAgentClient, implementation: str, **info: object) -> None:
    op = aether_pb2.AgentOperation(
        op=aether_pb2.AgentOperation.REGISTER,
        agent=aether_pb2.AgentRegistrationInfo(implementation=implementation, **info),
    )
    response = await admin.agent_op(op)
    assert response is not None and response.success, response


def assignments(client: AsyncAgentClient | AsyncOrchestratorClient | AsyncServiceClient) -> Inbox:
    inbox: Inbox[aether_pb2.TaskAssignment] = Inbox()
    client.on_task_assignment = inbox
    return inbox


async def test_self_assign_is_assigned_to_the_creator_without_a_push(
    gateway: EmbeddedGateway, opened
) -> None:
    agent = await opened(AsyncAgentClient("ws", "bot", "self"), gateway.target)
    pushed = assignments(agent)
    created = await agent.create_task_sync(
        "summarize", "ws", metadata={"doc": "7"}, assignment_mode=SELF_ASSIGN
    )
    assert created.success and created.task_id
    assert created.status == "assigned" and created.assigned_to == "ag::ws::bot::self"
    task = (await agent.get_task(created.task_id)).task
    assert task.status == aether_pb2.TASK_STATUS_QUEUED and task.task_type == "summarize"
    assert task.assigned_to == "ag::ws::bot::self" and dict(task.metadata) == {"doc": "7"}
    await barrier(agent)
    assert pushed.items == []


async def test_targeted_task_is_pushed_to_an_online_agent(gateway: EmbeddedGateway, opened) -> None:
    creator = await opened(AsyncAgentClient("ws", "boss", "one"), gateway.target)
    worker = await opened(AsyncAgentClient("ws", "worker", "w1"), gateway.target)
    pushed = assignments(worker)
    await register(creator, "worker")
    created = await creator.create_task_sync(
        "translate",
        "ws",
        target_agent_id="ag::ws::worker::w1",
        payload=b"bonjour",
        assignment_mode=TARGETED,
    )
    assert created.success and created.status == "assigned"
    assert created.assigned_to == "ag::ws::worker::w1"
    assignment = await pushed.wait_for()
    assert assignment.task_id == created.task_id and assignment.task_type == "translate"
    assert assignment.payload == b"bonjour" and assignment.assigned_to == "ag::ws::worker::w1"


async def test_targeted_task_for_an_unregistered_implementation_fails(
    gateway: EmbeddedGateway, opened
) -> None:
    creator = await opened(AsyncAgentClient("ws", "boss", "two"), gateway.target)
    with pytest.raises(AetherError) as failure:
        await creator.create_task_sync(
            "translate", "ws", target_agent_id="ag::ws::ghost::g1", assignment_mode=TARGETED
        )
    assert failure.value.code == "ERR_TASK_CREATE_FAILED"


async def test_pool_task_goes_to_an_online_pool_worker(gateway: EmbeddedGateway, opened) -> None:
    worker = await opened(AsyncAgentClient("ws", "crunch", "w1"), gateway.target)
    elsewhere = await opened(AsyncAgentClient("other", "crunch", "w1"), gateway.target)
    pushed, not_pushed = assignments(worker), assignments(elsewhere)
    creator = await opened(AsyncAgentClient("ws", "boss", "pool"), gateway.target)
    created = await creator.create_task_sync(
        "crunch-numbers", "ws", target_implementation="crunch", assignment_mode=POOL
    )
    assert created.success and created.status == "pending_pool"
    assignment = await pushed.wait_for()
    assert assignment.task_id == created.task_id
    assert assignment.assigned_to == "ag::ws::crunch::w1"
    await barrier(elsewhere)
    assert not_pushed.items == []


async def test_pool_task_waits_for_a_worker_that_connects_later(
    gateway: EmbeddedGateway, opened
) -> None:
    creator = await opened(AsyncAgentClient("ws", "boss", "later"), gateway.target)
    created = await creator.create_task_sync(
        "crunch-numbers", "ws", target_implementation="cruncher", assignment_mode=POOL
    )
    assert created.status == "pending_pool"
    queued = (await creator.get_task(created.task_id)).task
    assert queued.status == aether_pb2.TASK_STATUS_QUEUED and queued.assigned_to == ""
    worker = AsyncAgentClient("ws", "cruncher", "late")
    pushed = assignments(worker)
    await opened(worker, gateway.target)
    assignment = await pushed.wait_for()
    assert assignment.task_id == created.task_id
    claimed = (await creator.get_task(created.task_id)).task
    assert claimed.assigned_to == "ag::ws::cruncher::late"


async def test_pool_task_goes_to_a_service_of_that_implementation(
    gateway: EmbeddedGateway, opened
) -> None:
    service = await opened(AsyncServiceClient("ocr", "s1"), gateway.target)
    pushed = assignments(service)
    creator = await opened(AsyncAgentClient("ws", "boss", "svc"), gateway.target)
    created = await creator.create_task_sync(
        "read", "ws", target_implementation="ocr", assignment_mode=POOL
    )
    assert (await pushed.wait_for()).task_id == created.task_id


async def test_services_that_do_not_consume_pools_get_no_pool_task(
    gateway: EmbeddedGateway, opened
) -> None:
    service = await opened(
        AsyncServiceClient("ocr2", "s1", consumes_pool_tasks=False), gateway.target
    )
    pushed = assignments(service)
    creator = await opened(AsyncAgentClient("ws", "boss", "nopool"), gateway.target)
    created = await creator.create_task_sync(
        "read", "ws", target_implementation="ocr2", assignment_mode=POOL
    )
    await barrier(service)
    assert pushed.items == []
    assert (await creator.get_task(created.task_id)).task.assigned_to == ""


async def test_task_creation_refusals(gateway: EmbeddedGateway, opened) -> None:
    agent = await opened(AsyncAgentClient("ws", "boss", "refused"), gateway.target)
    with pytest.raises(AetherError) as too_big:
        await agent.create_task_sync("big", "ws", payload=b"x" * (512 * 1024 + 1))
    assert too_big.value.code == "TASK_PAYLOAD_TOO_LARGE"
    user = await opened(AsyncUserClient("pat", "w1"), gateway.target)
    with pytest.raises(AetherError) as no_workspace:
        await user.create_task_sync("homeless", "")  # a user has no workspace before switching
    assert no_workspace.value.code == "ERR_INVALID_ARGUMENT"
    await user.switch_workspace("ws")
    created = await user.create_task_sync("housed", "")
    assert created.success and (await user.get_task(created.task_id)).task.workspace == "ws"


async def test_targeted_task_for_an_offline_agent_triggers_the_orchestrator(
    gateway: EmbeddedGateway, opened
) -> None:
    orch = await opened(AsyncOrchestratorClient("k8s", ["gpu"]), gateway.target)
    other_orch = await opened(AsyncOrchestratorClient("k8s", ["cpu"]), gateway.target)
    startups, wrong_profile = assignments(orch), assignments(other_orch)
    creator = await opened(AsyncAgentClient("ws", "boss", "orch"), gateway.target)
    await register(creator, "painter", orchestrator_profile="gpu", launch_params={"image": "p:1"})
    created = await creator.create_task_sync(
        "paint", "ws", target_agent_id="ag::ws::painter::p1", assignment_mode=TARGETED
    )
    assert created.success and created.status == "orchestration_triggered"
    startup = await startups.wait_for()
    assert startup.task_type == "agent_startup" and startup.profile == "gpu"
    assert startup.target_implementation == "painter" and startup.workspace == "ws"
    assert startup.specifier == "p1" and startup.launch_params["image"] == "p:1"
    await barrier(other_orch)
    assert wrong_profile.items == []
    # The launched agent connects: it receives the queued task, and the startup order completes.
    agent = AsyncAgentClient("ws", "painter", "p1")
    pushed = assignments(agent)
    await opened(agent, gateway.target)
    assert (await pushed.wait_for()).task_id == created.task_id
    done = (await creator.get_task(startup.task_id)).task
    assert done.status == aether_pb2.TASK_STATUS_COMPLETED


async def test_one_startup_order_for_several_tasks_to_the_same_offline_agent(
    gateway: EmbeddedGateway, opened
) -> None:
    orch = await opened(AsyncOrchestratorClient("k8s", ["gpu"]), gateway.target)
    startups = assignments(orch)
    creator = await opened(AsyncAgentClient("ws", "boss", "twice"), gateway.target)
    await register(creator, "drawer", orchestrator_profile="gpu")
    first = await creator.create_task_sync(
        "sketch", "ws", target_agent_id="ag::ws::drawer::d1", assignment_mode=TARGETED
    )
    second = await creator.create_task_sync(
        "ink", "ws", target_agent_id="ag::ws::drawer::d1", assignment_mode=TARGETED
    )
    await startups.wait_for()
    ordered = await creator.query_tasks(task_type="agent_startup")
    assert len(ordered.tasks) == 1 and len(startups.items) == 1
    agent = AsyncAgentClient("ws", "drawer", "d1")
    pushed = assignments(agent)
    await opened(agent, gateway.target)
    await pushed.wait_count(2)
    assert [a.task_id for a in pushed.items] == [first.task_id, second.task_id]


async def test_a_launched_agent_finds_its_startup_order_in_the_config_snapshot(
    gateway: EmbeddedGateway, opened
) -> None:
    orch = await opened(AsyncOrchestratorClient("k8s", ["gpu"]), gateway.target)
    startups = assignments(orch)
    creator = await opened(AsyncAgentClient("ws", "boss", "ctx"), gateway.target)
    await register(creator, "launched", orchestrator_profile="gpu", launch_params={"size": "xl"})
    await creator.create_task_sync(
        "work", "ws", target_agent_id="ag::ws::launched::l1", assignment_mode=TARGETED
    )
    startup = await startups.wait_for()
    agent = AsyncAgentClient("ws", "launched", "l1")
    configs: Inbox[aether_pb2.ConfigSnapshot] = Inbox()
    agent.on_config = configs
    await opened(agent, gateway.target)
    context = dict((await configs.wait_for()).task_context)
    assert context["task_id"] == startup.task_id
    assert context["implementation"] == "launched" and context["specifier"] == "l1"
    assert context["workspace"] == "ws" and context["profile"] == "gpu"
    assert context["lp.size"] == "xl" and context["target_topic"] == "ag::ws::launched::l1"


async def test_an_orchestrator_connecting_later_gets_the_waiting_startup(
    gateway: EmbeddedGateway, opened
) -> None:
    creator = await opened(AsyncAgentClient("ws", "boss", "orch2"), gateway.target)
    await register(creator, "sculptor", launch_params={"profile": "arm"})
    created = await creator.create_task_sync(
        "carve", "ws", target_agent_id="ag::ws::sculptor::s1", assignment_mode=TARGETED
    )
    assert created.status == "orchestration_triggered"
    orch = AsyncOrchestratorClient("k8s", ["arm"])
    startups = assignments(orch)
    await opened(orch, gateway.target)
    startup = await startups.wait_for()
    assert startup.task_type == "agent_startup" and startup.target_implementation == "sculptor"


async def test_a_message_to_an_offline_registered_agent_triggers_the_orchestrator(
    gateway: EmbeddedGateway, opened
) -> None:
    orch = await opened(AsyncOrchestratorClient("k8s", ["gpu"]), gateway.target)
    startups = assignments(orch)
    sender = await opened(AsyncAgentClient("ws", "boss", "msg"), gateway.target)
    await register(sender, "sleeper", orchestrator_profile="gpu")
    await sender.send_message_to_agent("ws", "sleeper", "z1", b"wake up")
    await barrier(sender)
    ordered = await sender.query_tasks(task_type="agent_startup")
    assert len(ordered.tasks) == 1
    startup = await startups.wait_for()
    assert startup.task_type == "agent_startup" and startup.specifier == "z1"
    assert startup.profile == "gpu" and startup.target_implementation == "sleeper"


async def test_task_query_get_and_list_with_filters(gateway: EmbeddedGateway, opened) -> None:
    agent = await opened(AsyncAgentClient("qws", "bot", "query"), gateway.target)
    ids = []
    for task_type in ["alpha", "beta", "alpha"]:
        ids.append((await agent.create_task_sync(task_type, "qws")).task_id)
    await agent.complete_task(ids[0])
    everything = await agent.query_tasks()
    assert everything.success and {t.task_id for t in everything.tasks} == set(ids)
    alphas = await agent.query_tasks(task_type="alpha")
    assert {t.task_id for t in alphas.tasks} == {ids[0], ids[2]}
    completed = await agent.query_tasks(status="completed")
    assert [t.task_id for t in completed.tasks] == [ids[0]]
    queued_alpha = await agent.query_tasks(statuses=["queued"], task_type="alpha")
    assert [t.task_id for t in queued_alpha.tasks] == [ids[2]]
    page = await agent.query_tasks(limit=2)
    assert len(page.tasks) == 2 and page.total_count == 2
    other_ws = await agent.query_tasks(workspace="empty-ws")
    assert other_ws.success and list(other_ws.tasks) == []
    got = await agent.get_task(ids[1])
    assert got.success and got.task.task_id == ids[1] and got.task.task_type == "beta"
    missing = await agent.get_task("no-such-task")
    assert missing.success is False and missing.error == "task not found"


async def test_task_operations_move_the_persisted_status(gateway: EmbeddedGateway, opened) -> None:
    agent = await opened(AsyncAgentClient("ws", "bot", "ops"), gateway.target)

    async def new_task() -> str:
        return (await agent.create_task_sync("job", "ws")).task_id

    async def status(task_id: str) -> int:
        return (await agent.get_task(task_id)).task.status

    done = await new_task()
    response = await agent.complete_task(done)
    assert response.success and response.task.status == aether_pb2.TASK_STATUS_COMPLETED
    assert await status(done) == aether_pb2.TASK_STATUS_COMPLETED
    again = await agent.complete_task(done)
    assert again.success is False and "completed" in again.error

    cancelled = await new_task()
    assert (await agent.cancel_task(cancelled, reason="not needed")).success
    assert await status(cancelled) == aether_pb2.TASK_STATUS_CANCELLED

    failed = await new_task()
    response = await agent.fail_task(failed, reason="disk full")
    assert response.success and response.task.error == "disk full"
    assert await status(failed) == aether_pb2.TASK_STATUS_FAILED

    retried = await agent.retry_task(failed)
    assert retried.success and retried.task.attempt == 2
    assert await status(failed) == aether_pb2.TASK_STATUS_QUEUED
    assert (await agent.get_task(failed)).task.error == ""
    assert (await agent.complete_task(failed)).success
    assert (await agent.retry_task(done)).success is False  # only failed/cancelled retry

    missing = await agent.cancel_task("no-such-task")
    assert missing.success is False and missing.error == "task not found"


async def test_a_retried_pool_task_is_offered_to_a_worker_again(
    gateway: EmbeddedGateway, opened
) -> None:
    worker = await opened(AsyncAgentClient("ws", "redo", "w1"), gateway.target)
    pushed = assignments(worker)
    creator = await opened(AsyncAgentClient("ws", "boss", "redo"), gateway.target)
    created = await creator.create_task_sync(
        "flaky", "ws", target_implementation="redo", assignment_mode=POOL
    )
    await pushed.wait_for()
    assert (await worker.fail_task(created.task_id, reason="crashed")).success
    retried = await creator.retry_task(created.task_id)
    assert retried.success and retried.task.attempt == 2
    await pushed.wait_count(2)
    assert [a.task_id for a in pushed.items] == [created.task_id] * 2
    again = (await creator.get_task(created.task_id)).task
    assert again.assigned_to == "ag::ws::redo::w1" and again.status == aether_pb2.TASK_STATUS_QUEUED


async def test_a_transition_reaches_the_progress_lane(gateway: EmbeddedGateway, opened) -> None:
    agent = await opened(AsyncAgentClient("pws", "bot", "progress"), gateway.target)
    updates: Inbox[aether_pb2.ProgressUpdate] = Inbox()
    agent.on_progress = updates
    task_id = (await agent.create_task_sync("job", "pws")).task_id
    await agent.complete_task(task_id)
    update = await updates.wait_for(lambda u: u.task_id == task_id)
    assert update.state == "completed" and update.kind == aether_pb2.PROGRESS_KIND_TASK
    assert update.recipient == "ag::pws::bot::progress"


async def test_outside_dev_mode_only_task_parties_see_a_task(opened) -> None:
    async with EmbeddedGateway(GatewayConfig(dev_mode=False)) as gw:
        _, key = gw.services.tokens.create("agents", "Agent")
        owner = AsyncAgentClient("ws", "bot", "owner", credentials=Credentials.api_key(key))
        stranger = AsyncAgentClient("ws", "bot", "stranger", credentials=Credentials.api_key(key))
        await opened(owner, gw.target)
        await opened(stranger, gw.target)
        task_id = (await owner.create_task_sync("private", "ws")).task_id
        assert (await owner.get_task(task_id)).success
        hidden = await stranger.get_task(task_id)
        assert hidden.success is False and hidden.error == "task not found"
        refused = await stranger.cancel_task(task_id)
        assert refused.success is False and refused.error == "task not found"
        assert (await owner.get_task(task_id)).task.status == aether_pb2.TASK_STATUS_QUEUED
        await owner.close()
        await stranger.close()
