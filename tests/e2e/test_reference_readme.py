"""Every code snippet of the reference client's README, run against our package and gateway.

Each test mirrors one snippet as written; only the gateway address is the embedded gateway's
instead of localhost:50051, and endless loops are bounded.
"""

from __future__ import annotations

import asyncio
import queue
import subprocess
import sys
from pathlib import Path

import pytest

from aether_gateway.embedded import EmbeddedGateway
from scitrera_aether_client.proto import aether_pb2

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_sync_quick_start(sync_gateway: EmbeddedGateway) -> None:
    from scitrera_aether_client import AgentClient

    got: queue.Queue[aether_pb2.IncomingMessage] = queue.Queue()
    other = AgentClient("default", "other-agent", "01")
    other.on_message = got.put
    other.connect(sync_gateway.target)

    client = AgentClient(workspace="default", implementation="my-agent", specifier="agent-01")

    def on_message(msg: aether_pb2.IncomingMessage) -> None:
        print(f"Received from {msg.source_topic}: {msg.payload.decode()}")

    client.on_message = on_message
    client.connect(sync_gateway.target)
    client.send_message_to_agent(
        workspace="default", implementation="other-agent", specifier="01", payload=b"Hello!"
    )
    try:
        assert got.get(timeout=5).payload == b"Hello!"
    finally:
        client.close()
        other.close()


async def test_async_quick_start(gateway: EmbeddedGateway) -> None:
    from scitrera_aether_client import AsyncAgentClient

    client = AsyncAgentClient(
        workspace="default", implementation="my-async-agent", specifier="agent-01"
    )
    received: list[bytes] = []

    async def on_message(msg: aether_pb2.IncomingMessage) -> None:
        received.append(msg.payload)
        await client.close()  # ends wait_until_disconnected below

    client.on_message = on_message
    await client.connect(gateway.target)
    await client.send_message_to_agent(
        workspace="default",
        implementation="my-async-agent",
        specifier="agent-01",
        payload=b"Hello from async!",
    )
    await asyncio.wait_for(client.wait_until_disconnected(), 10)
    assert received == [b"Hello from async!"]


async def test_async_context_manager(gateway: EmbeddedGateway) -> None:
    from scitrera_aether_client import AsyncAgentClient

    async with AsyncAgentClient("default", "my-agent", "01") as client:
        await client.connect(gateway.target)
        await client.send_message_to_agent("default", "other", "01", b"Hello!")
        await asyncio.sleep(0.1)
    assert not client.is_connected


def test_client_type_constructors() -> None:
    from scitrera_aether_client import (
        AgentClient,
        Credentials,
        MetricsBridgeClient,
        OrchestratorClient,
        ServiceClient,
        TaskClient,
        UserClient,
        WorkflowEngineClient,
    )

    api_key = "sk-example"
    AgentClient(workspace="default", implementation="python-worker", specifier="worker-01")
    unique_task = TaskClient(
        workspace="default", implementation="data-processor", unique_specifier="job-123"
    )
    pooled_task = TaskClient(workspace="default", implementation="worker")
    UserClient(user_id="user-123", window_id="window-abc")
    orchestrator = OrchestratorClient(
        implementation="kubernetes-orchestrator", supported_profiles=["docker", "kubernetes"]
    )
    WorkflowEngineClient()
    MetricsBridgeClient()
    service = ServiceClient(
        implementation="platform-server",
        specifier="pod-abc",
        credentials=Credentials.api_key(api_key),
    )
    assert unique_task.unique_specifier == "job-123" and pooled_task.unique_specifier == ""
    assert orchestrator.specifier and len(orchestrator.specifier) == 8
    assert service.implementation == "platform-server"


async def test_callbacks_sync_and_async_forms(gateway: EmbeddedGateway) -> None:
    from scitrera_aether_client import AsyncAgentClient

    seen: list[str] = []

    # Sync callback
    def on_message(msg: aether_pb2.IncomingMessage) -> None:
        seen.append(f"sync {msg.payload.decode()}")

    # Async callback
    async def on_message_async(msg: aether_pb2.IncomingMessage) -> None:
        await asyncio.sleep(0)
        seen.append(f"async {msg.payload.decode()}")

    sender = AsyncAgentClient("default", "cb", "tx")
    receiver = AsyncAgentClient("default", "cb", "rx")
    await sender.connect(gateway.target)
    await receiver.connect(gateway.target)
    for callback, text in ((on_message, "one"), (on_message_async, "two")):
        receiver.on_message = callback
        await sender.send_message_to_agent("default", "cb", "rx", text.encode())
        deadline = asyncio.get_running_loop().time() + 5
        while len(seen) < (1 if text == "one" else 2):
            assert asyncio.get_running_loop().time() < deadline, seen
            await asyncio.sleep(0.01)
    assert seen == ["sync one", "async two"]
    await sender.close()
    await receiver.close()


def test_message_types_and_sends(sync_gateway: EmbeddedGateway) -> None:
    from scitrera_aether_client import CHAT, CONTROL, EVENT, METRIC, TOOL_CALL, AgentClient

    assert (CHAT, CONTROL, TOOL_CALL, EVENT, METRIC) == (1, 2, 3, 4, 5)
    got: queue.Queue[aether_pb2.IncomingMessage] = queue.Queue()
    with AgentClient("default", "worker", "01") as worker:
        worker.on_message = got.put
        worker.connect(sync_gateway.target)
        client = AgentClient("default", "sender", "01")
        client.connect(sync_gateway.target)
        client.send_message_to_agent(
            workspace="default", implementation="worker", specifier="01", payload=b"Hello!"
        )
        client.send_message_to_agent("default", "worker", "01", b"chat", message_type=CHAT)
        client.send_message_to_agent("default", "worker", "01", b"ctl", message_type=CONTROL)
        client.send_message_to_task(
            workspace="default",
            implementation="processor",
            payload=b"Process this",
            unique_specifier="task-123",
        )
        client.send_message_to_user_session(
            user_id="user-123", window_id="window-abc", payload=b"Notification"
        )
        client.send_broadcast_to_agents(workspace="default", payload=b"Broadcast message")
        client.send_event(b'{"event": "completed"}')
        client.send_metric(b'{"metric": "latency", "value": 42}')
        payloads = [got.get(timeout=5).payload for _ in range(4)]
        client.close()
    assert payloads == [b"Hello!", b"chat", b"ctl", b"Broadcast message"]


def test_sync_kv(sync_gateway: EmbeddedGateway) -> None:
    from scitrera_aether_client import AgentClient

    responses: queue.Queue[aether_pb2.KVResponse] = queue.Queue()
    with AgentClient("default", "kv", "01") as client:
        client.on_kv_response = responses.put
        client.connect(sync_gateway.target)
        client.kv_put(key="config/setting", value=b"value", scope="global")
        client.kv_put(
            key="team/setting", value=b"team-value", scope="workspace", workspace="default"
        )
        client.kv_get(key="config/setting", scope="global")
        client.kv_list(key_prefix="config/", scope="global")
        client.kv_delete(key="config/old", scope="global")
        got = [responses.get(timeout=5) for _ in range(5)]
    assert [r.success for r in got] == [True] * 5
    assert got[2].value == b"value" and list(got[3].keys) == ["config/setting"]


async def test_async_kv(gateway: EmbeddedGateway) -> None:
    from scitrera_aether_client import AsyncAgentClient

    client = AsyncAgentClient("default", "kv-async", "01")
    await client.connect(gateway.target)
    await client.kv_put_nowait(key="setting", value=b"value", scope="global")
    response = await client.kv_get(key="setting", scope="global", timeout=5.0)
    assert response is not None and response.value == b"value"
    response = await client.kv_put(key="setting", value=b"new-value", scope="global", timeout=5.0)
    assert response is not None and response.success
    await client.close()


def test_task_creation(sync_gateway: EmbeddedGateway) -> None:
    from scitrera_aether_client import POOL, SELF_ASSIGN, TARGETED, AgentClient

    errors: queue.Queue[aether_pb2.ErrorResponse] = queue.Queue()
    with AgentClient("default", "tasker", "01") as client:
        client.on_error = errors.put
        client.connect(sync_gateway.target)
        client.create_task(
            task_type="data-processing",
            workspace="default",
            assignment_mode=SELF_ASSIGN,
            metadata={"priority": "high"},
        )
        client.create_task(
            task_type="specialized-work",
            workspace="default",
            assignment_mode=TARGETED,
            target_agent_id="ag.default.worker.specialist-01",
            launch_param_overrides={"memory": "4G"},
        )
        client.create_task(task_type="batch-job", workspace="default", assignment_mode=POOL)
        # The README's dotted target id and the POOL task without an implementation are
        # refused by the gateway; the snippet itself runs and the refusals arrive as errors.
        codes = {errors.get(timeout=5).code for _ in range(2)}
        listed = client.query_tasks(workspace="default", timeout=5)
    assert codes <= {"ERR_INVALID_IDENTIFIER", "ERR_INVALID_ARGUMENT", "ERR_TASK_CREATE_FAILED"}
    assert listed is not None and [t.task_type for t in listed.tasks] == ["data-processing"]


def test_sync_checkpoints(sync_gateway: EmbeddedGateway) -> None:
    from scitrera_aether_client import AgentClient

    with AgentClient("default", "ckpt", "01") as client:
        client.connect(sync_gateway.target)
        client.checkpoint_save(data=b"state data", key="my-checkpoint")
        response = client.checkpoint_save_sync(data=b"state data", key="my-checkpoint", timeout=5.0)
        assert response is not None and response.success
        response = client.checkpoint_load_sync(key="my-checkpoint", timeout=5.0)
        assert response and response.data == b"state data"
        response = client.checkpoint_list_sync(timeout=5.0)
        assert response and list(response.keys) == ["my-checkpoint"]
        client.checkpoint_delete_sync(key="my-checkpoint", timeout=5.0)
        assert client.checkpoint_list_sync(timeout=5.0).keys == []  # type: ignore[union-attr]


async def test_async_checkpoints(gateway: EmbeddedGateway) -> None:
    from scitrera_aether_client import AsyncAgentClient

    client = AsyncAgentClient("default", "ckpt-async", "01")
    await client.connect(gateway.target)
    response = await client.checkpoint_save(data=b"state data", key="my-checkpoint", timeout=5.0)
    assert response and response.success
    response = await client.checkpoint_load(key="my-checkpoint", timeout=5.0)
    assert response and response.data == b"state data"
    await client.checkpoint_save_nowait(data=b"state", key="quick-save")
    await client.checkpoint_delete_nowait(key="old-checkpoint")
    listed = await client.checkpoint_list(timeout=5.0)
    assert listed and sorted(listed.keys) == ["my-checkpoint", "quick-save"]
    await client.close()


def test_connection_configuration() -> None:
    from scitrera_aether_client import AgentClient

    client = AgentClient(
        workspace="default",
        implementation="worker",
        specifier="01",
        max_retries=5,
        initial_backoff=1.0,
        max_backoff=30.0,
        auto_reconnect=True,
    )
    assert (client.max_retries, client.initial_backoff, client.max_backoff) == (5, 1.0, 30.0)


def test_workspace_switching_on_an_agent(sync_gateway: EmbeddedGateway) -> None:
    from scitrera_aether_client import AgentClient

    errors: queue.Queue[aether_pb2.ErrorResponse] = queue.Queue()
    with AgentClient("default", "switcher", "01") as client:
        client.on_error = errors.put
        client.connect(sync_gateway.target)
        client.switch_workspace("new-workspace")
        # The README says agents can switch; the gateway only lets users, and says so.
        assert errors.get(timeout=5).code == "ERR_INVALID_PRINCIPAL"


def test_constants_import() -> None:
    from scitrera_aether_client import (  # noqa: F401
        CHAT,
        CONTROL,
        EVENT,
        KV_DELETE,
        KV_GET,
        KV_LIST,
        KV_PUT,
        KV_SCOPE_GLOBAL,
        KV_SCOPE_USER,
        KV_SCOPE_USER_WORKSPACE,
        KV_SCOPE_WORKSPACE,
        METRIC,
        POOL,
        SELF_ASSIGN,
        TARGETED,
        TOOL_CALL,
    )

    assert (KV_GET, KV_PUT, KV_LIST, KV_DELETE) == (0, 1, 2, 3)


def test_tls_configuration_constructors(tmp_path: Path) -> None:
    from scitrera_aether_client import AgentClient

    ca_cert_bytes = client_cert_bytes = client_key_bytes = b"-----BEGIN CERTIFICATE-----\n"
    AgentClient(workspace="default", implementation="worker", specifier="w1", tls_enabled=True)
    AgentClient(
        workspace="default",
        implementation="worker",
        specifier="w1",
        tls_enabled=True,
        tls_root_cert_path="/path/to/ca.pem",
    )
    AgentClient(
        workspace="default",
        implementation="worker",
        specifier="w1",
        tls_enabled=True,
        tls_root_cert_path="/path/to/ca.pem",
        tls_client_cert_path="/path/to/client.pem",
        tls_client_key_path="/path/to/client-key.pem",
    )
    AgentClient(
        workspace="default",
        implementation="worker",
        specifier="w1",
        tls_enabled=True,
        tls_root_cert=ca_cert_bytes,
        tls_client_cert=client_cert_bytes,
        tls_client_key=client_key_bytes,
    )


@pytest.mark.parametrize("scenario", ["agent", "orchestrator", "workflow", "metrics"])
def test_example_py(scenario: str) -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "example.py"), scenario],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("done")


@pytest.mark.parametrize("scenario", ["agent", "concurrent", "context"])
def test_example_async_py(scenario: str) -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "example_async.py"), scenario],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("done")
