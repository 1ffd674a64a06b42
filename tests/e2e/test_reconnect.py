"""Reconnection against a gateway process that is killed and restarted (DESIGN §3.5)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from gateway_process import GatewayProcess

from scitrera_aether_client import AsyncAgentClient, AsyncUserClient, ReconnectionError
from scitrera_aether_client.proto import aether_pb2

FAST = {"initial_backoff": 0.05, "max_backoff": 0.3}


@pytest.fixture
def gw_proc(tmp_path: Path) -> Iterator[GatewayProcess]:
    proc = GatewayProcess(tmp_path / "data").start()
    yield proc
    proc.stop()


async def _eventually(predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.02)


async def test_sends_during_an_outage_are_buffered_and_delivered(gw_proc: GatewayProcess) -> None:
    sender = AsyncAgentClient("ws", "bot", "tx", max_retries=0, **FAST)
    receiver = AsyncAgentClient("ws", "bot", "rx", max_retries=0, **FAST)
    got: list[bytes] = []
    drops: list[str] = []
    connects: list[str] = []
    receiver.on_message = lambda m: got.append(m.payload)
    sender.on_disconnect = drops.append
    sender.on_connect = lambda: connects.append(sender.session_id)
    await sender.connect(gw_proc.target)
    await receiver.connect(gw_proc.target)
    first_session = sender.session_id
    gw_proc.kill9()
    await _eventually(lambda: not sender.is_connected and not receiver.is_connected)
    for i in range(20):  # the gateway is down: these wait in the client's buffer
        await sender.send_message_to_agent("ws", "bot", "rx", f"m{i}".encode())
    gw_proc.start()
    await _eventually(lambda: len(got) == 20)
    assert got == [f"m{i}".encode() for i in range(20)]
    assert len(drops) == 1, drops
    assert sender.session_id != first_session and len(connects) == 2
    await sender.close()
    await receiver.close()


async def test_on_disconnect_fires_once_when_retries_run_out(gw_proc: GatewayProcess) -> None:
    client = AsyncAgentClient("ws", "bot", "giveup", max_retries=3, **FAST)
    drops: list[str] = []
    client.on_disconnect = drops.append
    await client.connect(gw_proc.target)
    gw_proc.kill9()
    await asyncio.wait_for(client.wait_until_disconnected(), 15)
    assert len(drops) == 1
    assert isinstance(client.last_error, ReconnectionError)
    assert not client.is_running
    await client.close()
    assert len(drops) == 1  # close() after giving up does not fire it again


async def test_graceful_shutdown_signal_then_reconnect(gw_proc: GatewayProcess) -> None:
    client = AsyncAgentClient("ws", "bot", "graceful", max_retries=0, **FAST)
    signals: list[aether_pb2.Signal] = []
    client.on_signal = signals.append
    await client.connect(gw_proc.target)
    assert gw_proc.terminate() == 0
    await _eventually(lambda: bool(signals))
    assert signals[0].type == aether_pb2.Signal.GRACEFUL_DISCONNECT
    gw_proc.start()
    await _eventually(lambda: client.is_connected)
    await client.close()


async def test_switch_workspace_survives_a_reconnect(gw_proc: GatewayProcess) -> None:
    user = AsyncUserClient("alice", "w1", max_retries=0, **FAST)
    agent = AsyncAgentClient("team", "bot", "announcer", max_retries=0, **FAST)
    got: list[bytes] = []
    user.on_message = lambda m: got.append(m.payload)
    await user.connect(gw_proc.target)
    await user.switch_workspace("team")
    gw_proc.kill9()
    gw_proc.start()
    await _eventually(lambda: user.is_connected)
    await agent.connect(gw_proc.target)
    await asyncio.sleep(0.2)  # let the re-declared workspace subscription land
    await agent.send_broadcast_to_users("team", b"after restart")
    await _eventually(lambda: got == [b"after restart"])
    await user.close()
    await agent.close()


async def test_pending_call_fails_promptly_when_the_stream_dies(gw_proc: GatewayProcess) -> None:
    from scitrera_aether_client import ConnectionClosedError

    client = AsyncAgentClient("ws", "bot", "pending", max_retries=1, auto_reconnect=False, **FAST)
    await client.connect(gw_proc.target)
    gw_proc.kill9()
    started = asyncio.get_running_loop().time()
    with pytest.raises(ConnectionClosedError):
        # A PUT is not idempotent: it must fail at once rather than wait for its 30 s timeout.
        await client.kv_put("k", b"v", timeout=30)
    assert asyncio.get_running_loop().time() - started < 25
    await client.close()
