"""Issue 3 item 9: every acknowledged write survives `kill -9` of a gateway process.

One gateway process (dev mode, so admin is open) takes every kind of write and acknowledges it;
it is then killed with SIGKILL and restarted on the same data directory *without* --dev, so the
API key minted before the crash is what lets the agents back in. Each test checks one kind.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from gateway_process import GatewayProcess

from scitrera_aether_client import (
    POOL,
    AsyncAgentClient,
    AuthenticationError,
    Credentials,
)
from scitrera_aether_client.proto import aether_pb2

from ._support import barrier, messages

WS = "persist"
QUEUED = [f"queued-{i}".encode() for i in range(10)]


@dataclass
class Before:
    """What the first gateway process acknowledged before it was killed."""

    key: str = ""
    admin_key: str = ""
    self_task: str = ""
    pool_task: str = ""
    rule_id: str = ""
    acks: list[str] = field(default_factory=list)


async def write_everything(target: str) -> Before:
    before = Before()
    writer = AsyncAgentClient(WS, "bot", "writer")
    await writer.connect(target)
    try:
        request = aether_pb2.TokenCreateRequest(
            name="survivor", principal_type="Agent", workspace_patterns=[WS]
        )
        token = await writer.token_op(
            aether_pb2.TokenOperation(op=aether_pb2.TokenOperation.CREATE, create_request=request)
        )
        assert token.success
        before.key = token.plaintext_token
        request = aether_pb2.TokenCreateRequest(
            name="operator", principal_type="Agent", scopes=["connect", "admin"]
        )
        admin_token = await writer.token_op(
            aether_pb2.TokenOperation(op=aether_pb2.TokenOperation.CREATE, create_request=request)
        )
        before.admin_key = admin_token.plaintext_token

        assert (await writer.kv_put("shared", b"global value")).success
        assert (await writer.kv_put("own", b"exclusive value", scope="workspace-exclusive")).success
        for _ in range(3):
            await writer.kv_increment("counter")

        checkpointer = AsyncAgentClient(WS, "bot", "checkpointer")
        await checkpointer.connect(target)
        assert (await checkpointer.checkpoint_save(b"checkpointed", key="progress")).success
        await checkpointer.close()

        before.self_task = (await writer.create_task_sync("persisted-job", WS)).task_id
        pool = await writer.create_task_sync(
            "pool-job", WS, target_implementation="late-worker", assignment_mode=POOL
        )
        assert pool.status == "pending_pool"
        before.pool_task = pool.task_id

        grant = aether_pb2.ACLGrantRequest(
            principal_type="agent",
            principal_id="ag::persist::bot::writer",
            resource_type="workspace",
            resource_id=WS,
            access_level=30,
        )
        rule = await writer.acl_op(
            aether_pb2.ACLOperation(op=aether_pb2.ACLOperation.GRANT, grant_request=grant)
        )
        before.rule_id = rule.rule.rule_id
        # Outside dev mode shared KV scopes need a grant: let every agent read the global scope.
        kv_grant = aether_pb2.ACLGrantRequest(
            principal_type="agent",
            principal_id="*",
            resource_type="kv_scope",
            resource_id="global",
            access_level=10,
        )
        kv_rule = await writer.acl_op(
            aether_pb2.ACLOperation(op=aether_pb2.ACLOperation.GRANT, grant_request=kv_grant)
        )
        assert kv_rule.success

        info = aether_pb2.WorkspaceInfo(workspace_id=WS, display_name="Persistent")
        created = await writer.workspace_op(
            aether_pb2.WorkspaceOperation(op=aether_pb2.WorkspaceOperation.CREATE, workspace=info)
        )
        assert created.success

        registration = aether_pb2.AgentRegistrationInfo(
            implementation="late-worker", description="registered before the crash"
        )
        registered = await writer.agent_op(
            aether_pb2.AgentOperation(op=aether_pb2.AgentOperation.REGISTER, agent=registration)
        )
        assert registered.success

        for payload in QUEUED:
            await writer.send_message_to_agent(WS, "bot", "offline", payload)
        await barrier(writer)  # every write above is acknowledged
    finally:
        await writer.close()
    return before


@dataclass
class Restarted:
    target: str
    before: Before


@pytest.fixture(scope="module")
def restarted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Restarted]:
    data: Path = tmp_path_factory.mktemp("persistence") / "data"
    proc = GatewayProcess(data).start()
    try:
        # Our own event loop on a worker thread: the module-scoped setup runs outside the tests'.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            before = pool.submit(asyncio.run, write_everything(proc.target)).result(60)
        proc.kill9()
        proc.dev = False  # from now on only the API key minted before the crash lets agents in
        proc.start()
        yield Restarted(proc.target, before)
    finally:
        proc.stop()


def keyed(restarted: Restarted, spec: str) -> AsyncAgentClient:
    return AsyncAgentClient(WS, "bot", spec, credentials=Credentials.api_key(restarted.before.key))


def operator(restarted: Restarted, spec: str) -> AsyncAgentClient:
    """An agent holding the admin-scoped key minted before the crash.

    Each test connects its own identities: one closed at a test's teardown may still be held by
    the gateway process for a moment.
    """
    key = restarted.before.admin_key
    return AsyncAgentClient("ops", "console", spec, credentials=Credentials.api_key(key))


async def test_a_token_created_before_still_authenticates(restarted: Restarted, opened) -> None:
    anonymous = AsyncAgentClient(WS, "bot", "anonymous")
    with pytest.raises(AuthenticationError):  # the restarted gateway is not in dev mode
        await anonymous.connect(restarted.target)
    await anonymous.close()
    agent = await opened(keyed(restarted, "token-check"), restarted.target)
    assert agent.is_connected


async def test_kv_values_survive(restarted: Restarted, opened) -> None:
    writer = await opened(keyed(restarted, "writer"), restarted.target)
    assert (await writer.kv_get("shared")).value == b"global value"
    assert (await writer.kv_get("own", scope="workspace-exclusive")).value == b"exclusive value"
    assert (await writer.kv_get("counter")).value == b"3"


async def test_checkpoints_survive(restarted: Restarted, opened) -> None:
    checkpointer = await opened(keyed(restarted, "checkpointer"), restarted.target)
    assert (await checkpointer.checkpoint_load("progress")).data == b"checkpointed"


async def test_tasks_survive(restarted: Restarted, opened) -> None:
    admin = await opened(operator(restarted, "tasks"), restarted.target)  # admins see every task
    task = (await admin.get_task(restarted.before.self_task)).task
    assert task.task_type == "persisted-job" and task.status == aether_pb2.TASK_STATUS_QUEUED
    assert task.assigned_to == "ag::persist::bot::writer"
    # The pending POOL task is still pending: a worker arriving now is handed it.
    worker = AsyncAgentClient(
        WS, "late-worker", "w1", credentials=Credentials.api_key(restarted.before.key)
    )
    assigned: asyncio.Queue[aether_pb2.TaskAssignment] = asyncio.Queue()
    worker.on_task_assignment = assigned.put_nowait
    await opened(worker, restarted.target)
    assignment = await asyncio.wait_for(assigned.get(), 10)
    assert assignment.task_id == restarted.before.pool_task


async def test_acl_rules_survive(restarted: Restarted, opened) -> None:
    admin = await opened(operator(restarted, "acl_rules_survive"), restarted.target)
    flt = aether_pb2.ACLRuleFilter(principal_id="ag::persist::bot::writer")
    listed = await admin.acl_op(
        aether_pb2.ACLOperation(op=aether_pb2.ACLOperation.LIST_RULES, rule_filter=flt)
    )
    assert [(r.rule_id, r.resource_id, r.access_level) for r in listed.rules] == [
        (restarted.before.rule_id, WS, 30)
    ]


async def test_workspaces_survive(restarted: Restarted, opened) -> None:
    admin = await opened(operator(restarted, "workspaces_survive"), restarted.target)
    got = await admin.workspace_op(
        aether_pb2.WorkspaceOperation(op=aether_pb2.WorkspaceOperation.GET, workspace_id=WS)
    )
    assert got.success and got.workspace.display_name == "Persistent"


async def test_agent_registrations_survive(restarted: Restarted, opened) -> None:
    admin = await opened(operator(restarted, "agent_registrations_survive"), restarted.target)
    got = await admin.agent_op(
        aether_pb2.AgentOperation(op=aether_pb2.AgentOperation.GET, implementation="late-worker")
    )
    assert got.success and got.agent.description == "registered before the crash"


async def test_messages_queued_for_an_offline_agent_survive(restarted: Restarted, opened) -> None:
    offline = keyed(restarted, "offline")
    received = messages(offline)
    await opened(offline, restarted.target)
    await received.wait_count(len(QUEUED))
    assert [m.payload for m in received.items] == QUEUED
    assert {m.source_topic for m in received.items} == {"ag::persist::bot::writer"}
