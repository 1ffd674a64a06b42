"""The main job: start an embedded gateway, let two agents talk through it, print what happens.

Run with `make demo` (or `python examples/demo.py` inside the virtual environment).
"""

from __future__ import annotations

import asyncio
import logging

from aether_gateway.config import GatewayConfig
from aether_gateway.embedded import EmbeddedGateway
from scitrera_aether_client import CHAT, AsyncAgentClient
from scitrera_aether_client.proto import aether_pb2


async def main() -> None:
    logging.basicConfig(format="%(name)s %(levelname)s: %(message)s")
    async with EmbeddedGateway(GatewayConfig(dev_mode=True)) as gateway:
        print(f"gateway  listening on {gateway.target} (embedded, in-memory SQLite, dev mode)")
        alice = AsyncAgentClient("demo", "greeter", "alice")
        bob = AsyncAgentClient("demo", "greeter", "bob")
        done = asyncio.Event()

        async def bob_hears(msg: aether_pb2.IncomingMessage) -> None:
            print(f"bob      <- {msg.source_topic}: {msg.payload.decode()!r}")
            await bob.send_message_to_agent("demo", "greeter", "alice", b"hi alice, bob here", CHAT)

        def alice_hears(msg: aether_pb2.IncomingMessage) -> None:
            print(f"alice    <- {msg.source_topic}: {msg.payload.decode()!r}")
            done.set()

        bob.on_chat_message = bob_hears
        alice.on_chat_message = alice_hears
        await alice.connect(gateway.target)
        await bob.connect(gateway.target)
        print(f"alice    connected, session {alice.session_id}")
        print(f"bob      connected, session {bob.session_id}")

        await alice.kv_put("demo/greeting", b"hello", scope="global")
        got = await alice.kv_get("demo/greeting", scope="global")
        print(f"alice    kv global demo/greeting = {got.value.decode() if got else None!r}")

        await alice.send_message_to_agent("demo", "greeter", "bob", b"hello bob", CHAT)
        await asyncio.wait_for(done.wait(), timeout=10)
        await alice.close()
        await bob.close()
        print("gateway  stopping")
    print("demo     round trip complete")


if __name__ == "__main__":
    asyncio.run(main())
