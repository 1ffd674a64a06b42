"""Task tokens: an orchestrator's startup order carries a token that admits exactly the agent it
launches, outside dev mode."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from aether_gateway.config import GatewayConfig
from aether_gateway.embedded import EmbeddedGateway
from scitrera_aether_client import (
    AsyncAgentClient,
    AsyncOrchestratorClient,
    AuthenticationError,
    Credentials,
    PermissionDeniedError,
)
from scitrera_aether_client.proto import aether_pb2


@pytest.fixture
async def secure() -> AsyncIterator[EmbeddedGateway]:
    async with EmbeddedGateway(GatewayConfig(dev_mode=False)) as gw:
        gw.services.agents.register(
            aether_pb2.AgentRegistrationInfo(implementation="worker", orchestrator_profile="local")
        )
        yield gw


async def _startup_token(gw: EmbeddedGateway) -> str:
    orders: asyncio.Queue[aether_pb2.TaskAssignment] = asyncio.Queue()
    _record, orc_key = gw.services.tokens.create("launcher", "Orchestrator")
    orchestrator = AsyncOrchestratorClient(
        "launcher", ["local"], credentials=Credentials.api_key(orc_key)
    )
    orchestrator.on_task_assignment = orders.put_nowait
    await orchestrator.connect(gw.target)
    _record, key = gw.services.tokens.create("sender", "Agent", workspace_patterns=("ws",))
    sender = AsyncAgentClient("ws", "boss", "b1", credentials=Credentials.api_key(key))
    await sender.connect(gw.target)
    await sender.send_message_to_agent("ws", "worker", "w1", b"wake up")  # offline: triggers it
    order = await asyncio.wait_for(orders.get(), 5)
    await sender.close()
    await orchestrator.close()
    assert order.task_type == "agent_startup" and order.specifier == "w1"
    return order.launch_params["auth_token"]


async def test_the_launched_agent_connects_with_its_task_token(secure: EmbeddedGateway) -> None:
    token = await _startup_token(secure)
    worker = AsyncAgentClient("ws", "worker", "w1", credentials=Credentials.task_token(token))
    got: asyncio.Queue[bytes] = asyncio.Queue()
    worker.on_message = lambda m: got.put_nowait(m.payload)
    await worker.connect(secure.target)
    assert await asyncio.wait_for(got.get(), 5) == b"wake up"  # the message that woke it
    await worker.close()


async def test_a_task_token_admits_no_other_identity(secure: EmbeddedGateway) -> None:
    token = await _startup_token(secure)
    impostor = AsyncAgentClient("ws", "worker", "w2", credentials=Credentials.task_token(token))
    with pytest.raises(PermissionDeniedError, match="token issued for ag::ws::worker::w1"):
        await impostor.connect(secure.target)
    as_key = AsyncAgentClient("ws", "worker", "w3", credentials=Credentials.api_key(token))
    with pytest.raises(AuthenticationError):  # nor does it work as a general API key
        await as_key.connect(secure.target)


async def test_an_unknown_task_token_is_unauthenticated(secure: EmbeddedGateway) -> None:
    client = AsyncAgentClient("ws", "worker", "w1", credentials=Credentials.task_token("nope"))
    with pytest.raises(AuthenticationError, match="invalid or revoked token"):
        await client.connect(secure.target)
