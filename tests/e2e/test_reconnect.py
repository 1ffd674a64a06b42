"""Reconnection against a gateway process that is killed and restarted.

Every wait is a condition polled with a deadline: a kill or restart is followed by waiting for
what it must cause (the drop seen, a new session, a delivery), never by a fixed pause.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypedDict

import pytest
from gateway_process import GatewayProcess

from scitrera_aether_client import (
    AsyncAgentClient,
    AsyncUserClient,
    ConnectionClosedError,
    ReconnectionError,
)
from scitrera_aether_client.proto import aether_pb2


class _Backoff(TypedDict):
    initial_backoff: float
    max_backoff: float


FAST: _Backoff = {"initial_backoff": 0.05, "max_backoff": 0.3}
POLL_S = 0.02


@pytest.fixture
def gw_proc(tmp_path: Path) -> Iterator[GatewayProcess]:
    proc = GatewayProcess(tmp_path / "data").start()
    yield proc
    proc.stop()


async def _within(predicate: Callable[[], bool], timeout: float) -> bool:
    """Whether `predicate` holds within `timeout` seconds (polled)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            return False
        await asyncio.sleep(POLL_S)
    return True


async def _eventually(predicate: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    assert await _within(predicate, timeout), f"not reached within {timeout} s: {what}"


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
    await _eventually(
        lambda: not sender.is_connected and not receiver.is_connected, "both clients see the drop"
    )
    for i in range(20):  # the gateway is down: these wait in the client's buffer
        await sender.send_message_to_agent("ws", "bot", "rx", f"m{i}".encode())
    gw_proc.start()
    await _eventually(lambda: len(got) >= 20, "the 20 buffered messages are delivered")
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
    connects: list[str] = []
    client.on_signal = signals.append
    client.on_connect = lambda: connects.append(client.session_id)
    await client.connect(gw_proc.target)
    assert gw_proc.terminate() == 0
    await _eventually(lambda: bool(signals), "the GRACEFUL_DISCONNECT signal")
    assert [s.type for s in signals] == [aether_pb2.Signal.GRACEFUL_DISCONNECT]
    gw_proc.start()
    # is_connected alone may still describe the old stream; a second on_connect is the new one.
    await _eventually(lambda: len(connects) == 2 and client.is_connected, "a new session")
    assert connects[1] != connects[0]
    # The new session works end to end (the restarted gateway kept its data directory).
    put = await client.kv_put("after-restart", b"v")
    got = await client.kv_get("after-restart")
    assert put is not None and put.success, put
    assert got is not None and got.success and got.value == b"v", got
    await client.close()


async def _broadcast_until_seen(agent: AsyncAgentClient, got: list[bytes], probe: bytes) -> None:
    """Broadcast `probe` to workspace "team" until the user has received one.

    SwitchWorkspace has no answer and the broadcast topic is a live tail, so a user's workspace
    subscription is only observable by delivery.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while probe not in got:
        assert loop.time() < deadline, f"no {probe!r} broadcast to 'team' reached the user"
        await agent.send_broadcast_to_users("team", probe)
        await _within(lambda: probe in got, 0.25)


async def test_switch_workspace_survives_a_reconnect(gw_proc: GatewayProcess) -> None:
    user = AsyncUserClient("alice", "w1", max_retries=0, **FAST)
    agent = AsyncAgentClient("team", "bot", "announcer", max_retries=0, **FAST)
    got: list[bytes] = []
    connects: list[str] = []
    user.on_message = lambda m: got.append(m.payload)
    user.on_connect = lambda: connects.append(user.session_id)
    await user.connect(gw_proc.target)
    await agent.connect(gw_proc.target)
    await user.switch_workspace("team")
    # The switch must have reached the old gateway before the kill; otherwise it would merely
    # be flushed from the outbox onto the new stream and the replay would go untested.
    await _broadcast_until_seen(agent, got, b"before")
    gw_proc.kill9()
    gw_proc.start()
    await _eventually(lambda: len(connects) == 2 and user.is_connected, "the user reconnects")
    await _eventually(lambda: agent.is_connected, "the agent reconnects")
    await _broadcast_until_seen(agent, got, b"after")
    await agent.send_broadcast_to_users("team", b"after restart")
    await _eventually(lambda: b"after restart" in got, "the broadcast after the restart")
    # One sender's broadcasts arrive in order, and nothing else reaches the user.
    assert got[-1] == b"after restart" and set(got[:-1]) <= {b"before", b"after"}, got
    await user.close()
    await agent.close()


async def test_pending_call_fails_promptly_when_the_stream_dies(gw_proc: GatewayProcess) -> None:
    client = AsyncAgentClient("ws", "bot", "pending", max_retries=1, auto_reconnect=False, **FAST)
    await client.connect(gw_proc.target)
    gw_proc.kill9()
    # A PUT is not idempotent: it must fail with the stream, not wait out its own timeout. Its
    # timeout is an hour, so only the stream's death can end it inside the 20 s deadline (a
    # deadline hit raises TimeoutError, which is not ConnectionClosedError).
    with pytest.raises(ConnectionClosedError):
        await asyncio.wait_for(client.kv_put("k", b"v", timeout=3600), 20)
    await client.close()
