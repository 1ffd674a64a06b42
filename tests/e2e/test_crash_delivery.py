"""kill -9 the gateway while 1,000 messages flow; restart it on the same port and data; count.

Reports delivered / duplicated / lost. aether.v1 has no send acknowledgement; the SDK resends
what it wrote in the last 0.25 s before a stream died and the gateway keeps sent frames until they
settled, so the frames in flight at the crash come back as duplicates instead of being lost.
Asserted: everything sent after the client saw the outage is delivered, every frame the gateway
had persisted is delivered after the restart, and nothing sent long before the crash is lost.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from pathlib import Path

from gateway_process import GatewayProcess

from scitrera_aether_client import AsyncAgentClient
from scitrera_aether_client.proto import aether_pb2

TOTAL, KILL_AT, RESTART_AT = 1000, 400, 700
FAST = {"max_retries": 0, "initial_backoff": 0.05, "max_backoff": 0.3}


def _persisted_for(db: Path, topic: str) -> set[int]:
    """What the killed gateway had committed for `topic` (read before it restarts)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT frame FROM message_queue WHERE topic = ?", (topic,)).fetchall()
    finally:
        conn.close()
    return {int(aether_pb2.DownstreamMessage.FromString(r[0]).msg.payload) for r in rows}


async def test_kill_9_during_a_1000_message_stream(tmp_path: Path) -> None:
    gateway = GatewayProcess(tmp_path / "data").start()
    sender = AsyncAgentClient("crash", "bot", "tx", **FAST)
    receiver = AsyncAgentClient("crash", "bot", "rx", **FAST)
    received: list[int] = []
    receiver.on_message = lambda m: received.append(int(m.payload))
    try:
        await sender.connect(gateway.target)
        await receiver.connect(gateway.target)
        persisted: set[int] = set()
        for i in range(TOTAL):
            if i == KILL_AT:
                gateway.kill9()
                while sender.is_connected:  # from here on the client knows the gateway is gone
                    await asyncio.sleep(0.001)
                persisted = _persisted_for(
                    tmp_path / "data" / "gateway.sqlite3", "ag::crash::bot::rx"
                )
            if i == RESTART_AT:
                await asyncio.to_thread(gateway.start)
            await sender.send_message_to_agent("crash", "bot", "rx", str(i).encode())
            await asyncio.sleep(0.0005)
        deadline = asyncio.get_running_loop().time() + 30
        while set(range(KILL_AT, TOTAL)) - set(received):
            assert asyncio.get_running_loop().time() < deadline, "buffered messages never arrived"
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # let late replays (duplicates) show up before counting
    finally:
        await sender.close()
        await receiver.close()
        gateway.stop()

    counts = Counter(received)
    delivered = len(counts)
    duplicated = sum(n - 1 for n in counts.values())
    lost = sorted(set(range(TOTAL)) - set(counts))
    print(
        f"\ncrash test: sent={TOTAL} delivered={delivered} duplicated={duplicated} "
        f"lost={len(lost)} {lost[:20]} persisted-at-crash={len(persisted)}"
    )
    assert set(range(KILL_AT, TOTAL)) <= set(counts), "a message sent during the outage was lost"
    assert persisted <= set(counts), "a message the gateway had persisted was not delivered"
    assert all(i < KILL_AT for i in lost), "only frames in flight at the crash may be lost"
