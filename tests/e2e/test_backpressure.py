"""A fast sender on a live stream is slowed down, never refused; close() sends what it queued."""

from __future__ import annotations

import asyncio
import queue

from aether_gateway.embedded import EmbeddedGateway
from scitrera_aether_client import AgentClient, AsyncAgentClient

BURST = 15_000  # above the 10,000-frame buffer


async def test_async_burst_beyond_the_buffer_is_delivered(gateway: EmbeddedGateway) -> None:
    sender = AsyncAgentClient("bp", "bot", "tx")
    receiver = AsyncAgentClient("bp", "bot", "rx")
    got: list[int] = []
    receiver.on_message = lambda m: got.append(int(m.payload))
    await sender.connect(gateway.target)
    await receiver.connect(gateway.target)
    for i in range(BURST):
        await sender.send_message_to_agent("bp", "bot", "rx", str(i).encode())
    await sender.close()  # everything queued before close() still goes out
    deadline = asyncio.get_running_loop().time() + 60
    while len(got) < BURST and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
    assert got == list(range(BURST))
    await receiver.close()


def test_sync_burst_beyond_the_buffer_is_delivered(sync_gateway: EmbeddedGateway) -> None:
    got: queue.SimpleQueue[bytes] = queue.SimpleQueue()
    with AgentClient("bp", "bot", "srx") as receiver:
        receiver.on_message = lambda m: got.put(m.payload)
        receiver.connect(sync_gateway.target)
        with AgentClient("bp", "bot", "stx") as sender:
            sender.connect(sync_gateway.target)
            for i in range(BURST):
                sender.send_message_to_agent("bp", "bot", "srx", str(i).encode())
        received = [int(got.get(timeout=30)) for _ in range(BURST)]
    assert received == list(range(BURST))
