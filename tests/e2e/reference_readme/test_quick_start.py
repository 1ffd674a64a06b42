"""README snippets 1-3: "Quick Start" (sync client, async client, async context manager)."""

from __future__ import annotations

import asyncio
import time

import pytest

from aether_gateway.embedded import EmbeddedGateway
from scitrera_aether_client import AsyncAdminClient
from scitrera_aether_client.proto import aether_pb2

from ._support import WAIT, AsyncInbox, Inbox, Printed

Msg = aether_pb2.IncomingMessage


def test_01_sync_client(sync_gateway: EmbeddedGateway, capsys: pytest.CaptureFixture[str]) -> None:
    from scitrera_aether_client import CHAT, AgentClient  # noqa: F401  (imported as written)

    # The snippet's peer: records what it gets and answers, so the snippet's callback has work.
    peer_got: Inbox[Msg] = Inbox()
    peer = AgentClient("default", "other-agent", "01")

    def answer(msg: Msg) -> None:
        peer_got(msg)
        peer.send_message_to_agent("default", "my-agent", "agent-01", b"Hi back")

    peer.on_message = answer
    peer.connect(sync_gateway.target)
    printed = Printed(capsys)

    # --- snippet 1 as written (gateway address replaced) ---
    client = AgentClient(workspace="default", implementation="my-agent", specifier="agent-01")

    def on_message(msg: Msg) -> None:
        print(f"Received from {msg.source_topic}: {msg.payload.decode()}")

    client.on_message = on_message
    client.connect(sync_gateway.target)
    client.send_message_to_agent(
        workspace="default", implementation="other-agent", specifier="01", payload=b"Hello!"
    )
    # "Keep running until interrupted", bounded: run until the peer's answer was printed.
    try:
        printed.wait_sync("Received from ag::default::other-agent::01: Hi back")
    finally:
        client.close()
    # --- end of snippet ---

    got = peer_got.get()
    peer.close()
    assert (got.payload, got.source_topic) == (b"Hello!", "ag::default::my-agent::agent-01")
    assert not client.is_connected


async def test_02_async_client(
    gateway: EmbeddedGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    printed = Printed(capsys)

    # --- snippet 2 as written (gateway address replaced; asyncio.run(main()) awaited instead,
    # since pytest already runs an event loop) ---
    from scitrera_aether_client import AsyncAgentClient

    clients: list[AsyncAgentClient] = []

    async def main() -> None:
        client = AsyncAgentClient(
            workspace="default", implementation="my-async-agent", specifier="agent-01"
        )
        clients.append(client)  # (added: so the test can end the endless wait below)

        async def on_message(msg: Msg) -> None:
            print(f"Received: {msg.payload.decode()}")

        client.on_message = on_message

        await client.connect(gateway.target)

        await client.send_message_to_agent(
            workspace="default",
            implementation="my-async-agent",
            specifier="agent-01",
            payload=b"Hello from async!",
        )

        # Wait until disconnected
        await client.wait_until_disconnected()

    # --- end of snippet ---

    # The snippet waits forever; it ends here once its own message came back and was printed.
    async def close_when_printed() -> None:
        await printed.wait("Received: Hello from async!")
        await clients[0].close()

    closer = asyncio.create_task(close_when_printed())
    await asyncio.wait_for(main(), WAIT)
    await closer
    assert printed.text.splitlines() == ["Received: Hello from async!"]


async def test_03_async_context_manager(gateway: EmbeddedGateway) -> None:
    from scitrera_aether_client import AsyncAgentClient

    other_got: AsyncInbox[Msg] = AsyncInbox()
    other = AsyncAgentClient("default", "other", "01")
    other.on_message = other_got
    await other.connect(gateway.target)

    # --- snippet 3 as written (gateway address replaced) ---
    async with AsyncAgentClient("default", "my-agent", "01") as client:
        await client.connect(gateway.target)
        await client.send_message_to_agent("default", "other", "01", b"Hello!")
        # The snippet's `await asyncio.sleep(1)`: wait for the delivery it stands for instead.
        got = await other_got.get()
    # Connection automatically closed
    # --- end of snippet ---

    assert (got.payload, got.source_topic) == (b"Hello!", "ag::default::my-agent::01")
    assert not client.is_connected
    # Closed on the gateway's side too: the session leaves its list of connections.
    admin = AsyncAdminClient(other)
    deadline = time.monotonic() + WAIT
    while "ag::default::my-agent::01" in await live_identities(admin):
        assert time.monotonic() < deadline, "the gateway still lists the closed session"
        await asyncio.sleep(0.02)
    assert "ag::default::other::01" in await live_identities(admin)  # so the name format holds
    await other.close()


async def live_identities(admin: AsyncAdminClient) -> set[str]:
    listed = await admin.list_connections()
    assert listed is not None
    return {c.identity for c in listed.connections}
