"""Bad input to public SDK entry points: a typed error naming the argument, nothing sent."""

from __future__ import annotations

import asyncio

import pytest

from aether_gateway.embedded import EmbeddedGateway
from scitrera_aether_client import (
    AgentClient,
    AsyncAgentClient,
    AsyncUserClient,
    BufferFullError,
    InvalidArgumentError,
    OrchestratorClient,
    ServiceClient,
)


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"workspace": "bad space"}, "workspace"),
        ({"implementation": "a::b"}, "implementation"),
        ({"specifier": "x" * 129}, "specifier"),
        ({"specifier": "star*"}, "specifier"),
        ({"workspace": ""}, "workspace"),
    ],
)
def test_invalid_identity_names_the_argument(kwargs: dict[str, str], argument: str) -> None:
    identity = {"workspace": "ws", "implementation": "impl", "specifier": "spec", **kwargs}
    with pytest.raises(InvalidArgumentError) as info:
        AgentClient(**identity)
    assert info.value.argument == argument


def test_orchestrator_and_service_need_their_identity() -> None:
    with pytest.raises(InvalidArgumentError) as info:
        OrchestratorClient("orc", [])
    assert info.value.argument == "supported_profiles"
    with pytest.raises(InvalidArgumentError):
        ServiceClient("", "spec")


def test_constructor_rejects_negative_retry_settings() -> None:
    with pytest.raises(InvalidArgumentError) as info:
        AgentClient("ws", "impl", "spec", max_retries=-1)
    assert info.value.argument == "max_retries"


async def test_sends_validate_before_anything_is_queued(gateway: EmbeddedGateway) -> None:
    client = AsyncAgentClient("ws", "impl", "validator")
    await client.connect(gateway.target)
    with pytest.raises(InvalidArgumentError) as info:
        await client.send_message_to_agent("ws", "impl", "peer", "not bytes")  # type: ignore[arg-type]
    assert info.value.argument == "payload" and isinstance(info.value, TypeError)
    with pytest.raises(InvalidArgumentError) as info:
        await client.send_message_to_agent("ws", "impl", "peer", b"x", message_type=99)
    assert info.value.argument == "message_type"
    with pytest.raises(InvalidArgumentError) as info:
        await client.send_message_to_agent("ws", "impl", "bad spec", b"x")
    assert info.value.argument == "specifier"
    with pytest.raises(InvalidArgumentError) as info:
        await client.kv_get("k", scope="galaxy")
    assert info.value.argument == "scope"
    with pytest.raises(InvalidArgumentError) as info:
        await client.kv_get("k", timeout=-1)
    assert info.value.argument == "timeout"
    with pytest.raises(InvalidArgumentError) as info:
        await client.checkpoint_save(b"x", ttl=-5)
    assert info.value.argument == "ttl"
    with pytest.raises(InvalidArgumentError) as info:
        await client.switch_workspace("")
    assert info.value.argument == "new_workspace"
    assert len(client._conn.outbox) == 0  # nothing was queued by the refused calls
    await client.close()


def test_sync_timeouts_are_checked(sync_gateway: EmbeddedGateway) -> None:
    with AgentClient("ws", "impl", "sync-validator") as client:
        client.connect(sync_gateway.target)
        with pytest.raises(InvalidArgumentError) as info:
            client.checkpoint_load_sync(timeout=0)
        assert info.value.argument == "timeout"


async def test_the_outage_buffer_is_bounded_and_says_so() -> None:
    client = AsyncUserClient("alice", "w1")
    client._conn.outbox.capacity = 3  # a small buffer; sends before connect() are buffered too
    for _ in range(3):
        await client.send_message_to_agent("ws", "impl", "spec", b"queued")
    with pytest.raises(BufferFullError):
        await client.send_message_to_agent("ws", "impl", "spec", b"one too many")
    assert len(client._conn.outbox) == 3


async def test_buffered_sends_before_connect_are_delivered(gateway: EmbeddedGateway) -> None:
    receiver = AsyncAgentClient("ws", "impl", "early-rx")
    got: asyncio.Queue[bytes] = asyncio.Queue()
    receiver.on_message = lambda m: got.put_nowait(m.payload)
    await receiver.connect(gateway.target)
    sender = AsyncAgentClient("ws", "impl", "early-tx")
    await sender.send_message_to_agent("ws", "impl", "early-rx", b"before connect")
    await sender.connect(gateway.target)
    assert await asyncio.wait_for(got.get(), 5) == b"before connect"
    await sender.close()
    await receiver.close()
