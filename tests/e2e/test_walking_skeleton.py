"""The walking skeleton: handshake and agent-to-agent messages over real gRPC."""

from __future__ import annotations

import asyncio
import queue

import pytest

from aether_gateway.embedded import EmbeddedGateway
from scitrera_aether_client import (
    CHAT,
    AgentClient,
    AsyncAgentClient,
    DuplicateIdentityError,
)
from scitrera_aether_client.proto import aether_pb2


async def test_async_agents_exchange_chat(gateway: EmbeddedGateway) -> None:
    alice = AsyncAgentClient("ws", "bot", "alice")
    bob = AsyncAgentClient("ws", "bot", "bob")
    chats: asyncio.Queue[aether_pb2.IncomingMessage] = asyncio.Queue()
    every: asyncio.Queue[aether_pb2.IncomingMessage] = asyncio.Queue()
    bob.on_chat_message = chats.put_nowait

    async def on_message(msg: aether_pb2.IncomingMessage) -> None:
        await every.put(msg)

    bob.on_message = on_message
    await alice.connect(gateway.target)
    await bob.connect(gateway.target)
    await alice.send_message_to_agent("ws", "bot", "bob", b"hello", message_type=CHAT)
    typed = await asyncio.wait_for(chats.get(), 5)
    catch_all = await asyncio.wait_for(every.get(), 5)
    assert typed.payload == b"hello" and typed.source_topic == "ag::ws::bot::alice"
    assert catch_all.message_type == CHAT
    assert alice.session_id and alice.session_id != bob.session_id
    await alice.close()
    await bob.close()


async def test_each_connection_gets_a_fresh_session_id(gateway: EmbeddedGateway) -> None:
    ids = []
    for _ in range(2):
        client = AsyncAgentClient("ws", "bot", "same")
        await client.connect(gateway.target)
        ids.append(client.session_id)
        await client.close()
    assert ids[0] != ids[1]


async def test_duplicate_identity_is_already_exists(gateway: EmbeddedGateway) -> None:
    first = AsyncAgentClient("ws", "bot", "dup")
    await first.connect(gateway.target)
    second = AsyncAgentClient("ws", "bot", "dup", max_retries=1)
    with pytest.raises(DuplicateIdentityError) as info:
        await second.connect(gateway.target)
    assert "already connected" in info.value.message
    await first.close()


def test_sync_agents_exchange_messages(sync_gateway: EmbeddedGateway) -> None:
    got: queue.Queue[aether_pb2.IncomingMessage] = queue.Queue()
    with AgentClient("ws", "bot", "s1") as sender, AgentClient("ws", "bot", "s2") as receiver:
        receiver.on_message = got.put
        sender.connect(sync_gateway.target)
        receiver.connect(sync_gateway.target)
        for i in range(3):
            sender.send_message_to_agent("ws", "bot", "s2", f"m{i}".encode())
        payloads = [got.get(timeout=5).payload for _ in range(3)]
    assert payloads == [b"m0", b"m1", b"m2"]
