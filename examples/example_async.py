"""Asynchronous examples: `python examples/example_async.py agent|concurrent|context`.

Each scenario runs against `--target HOST:PORT`, or an embedded gateway started for the run.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _target import gateway_target, parse

from scitrera_aether_client import CHAT, AsyncAgentClient
from scitrera_aether_client.proto import aether_pb2


async def agent(target: str) -> None:
    """Messaging plus awaitable KV and checkpoints."""
    inbox: asyncio.Queue[aether_pb2.IncomingMessage] = asyncio.Queue()
    worker = AsyncAgentClient("default", "async-worker", "01")
    peer = AsyncAgentClient("default", "async-peer", "01")

    async def on_message(msg: aether_pb2.IncomingMessage) -> None:
        await inbox.put(msg)

    peer.on_message = on_message
    await worker.connect(target)
    await peer.connect(target)
    await worker.send_message_to_agent("default", "async-peer", "01", b"hello async", CHAT)
    print(f"peer got {(await asyncio.wait_for(inbox.get(), 5)).payload!r}")
    await worker.kv_put("setting", b"new-value", scope="global", timeout=5.0)
    got = await worker.kv_get("setting", scope="global", timeout=5.0)
    print(f"kv value={got and got.value!r}")
    await worker.checkpoint_save(b"state data", key="my-checkpoint", timeout=5.0)
    loaded = await worker.checkpoint_load(key="my-checkpoint", timeout=5.0)
    print(f"checkpoint={loaded and loaded.data!r}")
    await worker.close()
    await peer.close()


async def concurrent(target: str) -> None:
    """Ten agents connect at once and each greets the next one."""
    clients = [AsyncAgentClient("default", "swarm", f"{i:02}") for i in range(10)]
    received: asyncio.Queue[str] = asyncio.Queue()
    for client in clients:
        client.on_message = lambda msg: received.put_nowait(msg.source_topic)
    await asyncio.gather(*(c.connect(target) for c in clients))
    await asyncio.gather(
        *(
            c.send_message_to_agent("default", "swarm", f"{(i + 1) % 10:02}", b"hi")
            for i, c in enumerate(clients)
        )
    )
    senders = sorted([await asyncio.wait_for(received.get(), 5) for _ in clients])
    print(f"{len(senders)} greetings delivered, first from {senders[0]}")
    await asyncio.gather(*(c.close() for c in clients))


async def context(target: str) -> None:
    """The async context manager closes the connection on exit."""
    async with AsyncAgentClient("default", "ctx-agent", "01") as client:
        await client.connect(target)
        await client.send_message_to_agent("default", "other", "01", b"Hello!")
        print(f"connected={client.is_connected} session={client.session_id}")
    print(f"after the block connected={client.is_connected}")


SCENARIOS = {"agent": agent, "concurrent": concurrent, "context": context}

if __name__ == "__main__":
    args = parse(list(SCENARIOS))
    with gateway_target(args.target) as address:
        asyncio.run(SCENARIOS[args.scenario](address))
    print("done")
