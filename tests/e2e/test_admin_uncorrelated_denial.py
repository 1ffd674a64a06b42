"""Issue 14, seed example 3: a gateway that refuses an admin call with an ErrorResponse carrying no
request_id, as the Go gateway does for workspace, agent and token operations of an unprivileged
caller (reference aether-protocol.md §9). With exactly one such call pending the SDK fails it at
once with PermissionDeniedError instead of waiting out its timeout and returning None; with
several pending it cannot tell which was refused (docs/admin.md, "Refusals without a
request_id").

The gateway here is a tiny fake on real gRPC (127.0.0.1, grpc.aio), not our embedded gateway:
ours always echoes request_id on refusals, so it cannot produce the frame under test. The fake
answers the handshake and then only what each test scripts; it speaks aether.v1 frames built from
the same protos. The last test runs our real gateway (from the SDK's pytest plugin, not in dev
mode here) to show the guess is never made there, where uncorrelated refusals are someone else's.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import grpc
import pytest

from aether_gateway.config import GatewayConfig
from aether_gateway.embedded import EmbeddedGateway
from scitrera_aether_client import (
    AdminClient,
    AgentClient,
    AsyncAdminClient,
    AsyncAgentClient,
    AsyncUserClient,
    Credentials,
    PermissionDeniedError,
)
from scitrera_aether_client.proto import aether_pb2, aether_pb2_grpc
from scitrera_aether_client.testing.pytest_plugin import AsyncClientFactory

Up = aether_pb2.UpstreamMessage
Down = aether_pb2.DownstreamMessage
ADMIN_ARMS = ("workspace_op", "agent_op", "token_op")
LONG = 20.0  # a timeout no passing test waits out: the refusal must come first
DENIAL = aether_pb2.ErrorResponse(
    code="ERR_PERMISSION_DENIED", message="permission denied: admin/workspaces required"
)

# What the fake sends for the admin frames it has received so far (None: nothing yet).
Script = Callable[[list[Up]], list[Down] | None]


class FakeGoGateway(aether_pb2_grpc.AetherGatewayServicer):
    """Acks any InitConnection; answers admin frames as `script` says, once it returns frames."""

    def __init__(self, script: Script) -> None:
        self.script = script

    async def Connect(
        self, request_iterator: AsyncIterator[Up], context: Any
    ) -> AsyncIterator[Down]:
        first = await anext(aiter(request_iterator))
        assert first.WhichOneof("payload") == "init"
        yield Down(connection_ack=aether_pb2.ConnectionAck(session_id="fake-session"))
        admin: list[Up] = []
        async for frame in request_iterator:
            if frame.WhichOneof("payload") in ADMIN_ARMS:
                admin.append(frame)
                for reply in self.script(admin) or []:
                    yield reply


def deny_each(frames: list[Up]) -> list[Down]:
    """The Go gateway's answer to an unprivileged admin call: a refusal without request_id."""
    return [Down(error=DENIAL)]


def deny_when_two(frames: list[Up]) -> list[Down] | None:
    """Both refusals, once both calls are pending: the SDK cannot tell whose is whose."""
    return [Down(error=DENIAL), Down(error=DENIAL)] if len(frames) == 2 else None


def other_error_then_answer(frames: list[Up]) -> list[Down]:
    """An uncorrelated error that is no permission refusal, then the real (uncorrelated) answer."""
    return [
        Down(error=aether_pb2.ErrorResponse(code="ERR_QUEUE_FULL", message="queue full")),
        Down(workspace=aether_pb2.WorkspaceResponse(success=True, total_count=7)),
    ]


async def until(done: Callable[[], bool]) -> None:
    async with asyncio.timeout(10):
        while not done():
            await asyncio.sleep(0.01)


@pytest.fixture
def fake_gateway(request: pytest.FixtureRequest) -> Iterator[str]:
    """A FakeGoGateway on its own loop and thread (sync and async clients can both reach it)."""
    script: Script = request.param
    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder: dict[str, Any] = {}

    async def start() -> None:
        server = grpc.aio.server()
        aether_pb2_grpc.add_AetherGatewayServicer_to_server(FakeGoGateway(script), server)
        holder["port"] = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        holder["server"] = server

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, name="fake-go-gateway", daemon=True)
    thread.start()
    assert started.wait(10)
    try:
        yield f"127.0.0.1:{holder['port']}"
    finally:
        asyncio.run_coroutine_threadsafe(holder["server"].stop(None), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@pytest.mark.parametrize("fake_gateway", [deny_each], indirect=True)
def test_the_one_pending_admin_call_is_refused_at_once_sync(fake_gateway: str) -> None:
    errors: list[aether_pb2.ErrorResponse] = []
    with AgentClient("default", "ops", "1") as agent:
        agent.on_error = errors.append
        agent.connect(fake_gateway)
        admin = AdminClient(agent)
        with pytest.raises(PermissionDeniedError, match="admin/workspaces") as raised:
            admin.list_workspaces(timeout=LONG)  # before issue 14: None, after LONG seconds
        assert raised.value.code == "ERR_PERMISSION_DENIED"
        with pytest.raises(PermissionDeniedError):
            admin.create_token(name="ci", principal_type="Agent", timeout=LONG)
        with pytest.raises(PermissionDeniedError):
            admin.list_agents(timeout=LONG)
    assert errors == []  # each refusal answered its call; none was left for on_error


@pytest.mark.parametrize("fake_gateway", [deny_each], indirect=True)
async def test_the_one_pending_admin_call_is_refused_at_once_async(fake_gateway: str) -> None:
    agent = AsyncAgentClient("default", "ops", "2")
    try:
        await agent.connect(fake_gateway)
        with pytest.raises(PermissionDeniedError, match="admin/workspaces"):
            await AsyncAdminClient(agent).create_workspace("ws-1", timeout=LONG)
    finally:
        await agent.close()


@pytest.mark.parametrize("fake_gateway", [deny_when_two], indirect=True)
async def test_with_several_pending_no_call_is_failed_and_the_refusals_go_to_on_error(
    fake_gateway: str,
) -> None:
    agent = AsyncAgentClient("default", "ops", "3")
    errors: list[aether_pb2.ErrorResponse] = []
    agent.on_error = errors.append
    try:
        await agent.connect(fake_gateway)
        admin = AsyncAdminClient(agent)
        # Short timeouts: with two calls pending, waiting them out is the documented outcome.
        results = await asyncio.gather(
            admin.list_workspaces(timeout=1.0), admin.list_tokens(timeout=1.0)
        )
        assert results == [None, None]
        await until(lambda: len(errors) == 2)
        assert [(e.code, e.request_id) for e in errors] == [("ERR_PERMISSION_DENIED", "")] * 2
    finally:
        await agent.close()


@pytest.mark.parametrize("fake_gateway", [other_error_then_answer], indirect=True)
async def test_an_uncorrelated_error_that_is_no_refusal_leaves_the_call_pending(
    fake_gateway: str,
) -> None:
    agent = AsyncAgentClient("default", "ops", "4")
    errors: list[aether_pb2.ErrorResponse] = []
    agent.on_error = errors.append
    try:
        await agent.connect(fake_gateway)
        response = await AsyncAdminClient(agent).list_workspaces(timeout=LONG)
        assert response is not None and response.total_count == 7
        await until(lambda: bool(errors))  # on_error runs in the client's callback task
        assert [e.code for e in errors] == ["ERR_QUEUE_FULL"]
    finally:
        await agent.close()


@pytest.fixture(scope="session")
def aether_gateway_config() -> GatewayConfig:
    """The plugin's gateways in this module check credentials (GatewayConfig's default)."""
    return GatewayConfig(dev_mode=False)


async def test_on_our_gateway_a_refusal_of_something_else_never_fails_an_admin_call(
    async_aether_gateway: EmbeddedGateway, async_aether_client: AsyncClientFactory
) -> None:
    gw = async_aether_gateway
    _record, key = gw.services.tokens.create(
        "alice", "User", workspace_patterns=("ws-a",), created_by="alice"
    )
    gw.services.acl.grant("user", "alice", "admin", "workspaces", 40)  # admin, but not of ws-b
    user = AsyncUserClient("alice", "w1", credentials=Credentials.api_key(key))
    errors: list[aether_pb2.ErrorResponse] = []
    user.on_error = errors.append
    await async_aether_client(user)
    # Refused without a request_id while the admin call below is the only one pending.
    await user.switch_workspace("ws-b")
    response = await AsyncAdminClient(user).list_workspaces(timeout=LONG)
    assert response is not None and response.success
    await until(lambda: bool(errors))
    assert [(e.code, e.request_id) for e in errors] == [("ERR_PERMISSION_DENIED", "")]
