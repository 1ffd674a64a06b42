"""Callback semantics (issue 4 item 3): order, typed then catch-all, failures, nested calls."""

from __future__ import annotations

import asyncio
import logging
import queue
import random

import pytest

from aether_gateway.embedded import EmbeddedGateway
from scitrera_aether_client import CHAT, AgentClient, AsyncAgentClient
from scitrera_aether_client.proto import aether_pb2


async def _pair(gateway: EmbeddedGateway, name: str) -> tuple[AsyncAgentClient, AsyncAgentClient]:
    sender, receiver = AsyncAgentClient("cb", name, "tx"), AsyncAgentClient("cb", name, "rx")
    await sender.connect(gateway.target)
    await receiver.connect(gateway.target)
    return sender, receiver


async def test_typed_callback_runs_before_on_message(gateway: EmbeddedGateway) -> None:
    sender, receiver = await _pair(gateway, "typed")
    calls: list[str] = []
    done = asyncio.Event()
    receiver.on_chat_message = lambda m: calls.append("chat")

    async def catch_all(msg: aether_pb2.IncomingMessage) -> None:
        calls.append("message")
        done.set()

    receiver.on_message = catch_all
    await sender.send_message_to_agent("cb", "typed", "rx", b"x", CHAT)
    await asyncio.wait_for(done.wait(), 5)
    assert calls == ["chat", "message"]
    await sender.close()
    await receiver.close()


async def test_async_callbacks_keep_arrival_order(gateway: EmbeddedGateway) -> None:
    sender, receiver = await _pair(gateway, "order")
    seen: list[int] = []

    async def slow_then_fast(msg: aether_pb2.IncomingMessage) -> None:
        await asyncio.sleep(random.uniform(0, 0.003))  # later messages must still wait their turn
        seen.append(int(msg.payload))

    receiver.on_message = slow_then_fast
    for i in range(200):
        await sender.send_message_to_agent("cb", "order", "rx", str(i).encode())
    deadline = asyncio.get_running_loop().time() + 10
    while len(seen) < 200 and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.02)
    assert seen == list(range(200))
    await sender.close()
    await receiver.close()


async def test_a_raising_callback_is_logged_and_the_stream_lives(
    gateway: EmbeddedGateway, caplog: pytest.LogCaptureFixture
) -> None:
    sender, receiver = await _pair(gateway, "raise")
    got: asyncio.Queue[bytes] = asyncio.Queue()

    def explode_on_first(msg: aether_pb2.IncomingMessage) -> None:
        if msg.payload == b"boom":
            raise RuntimeError("callback failure")
        got.put_nowait(msg.payload)

    receiver.on_message = explode_on_first
    with caplog.at_level(logging.ERROR, logger="scitrera_aether_client"):
        await sender.send_message_to_agent("cb", "raise", "rx", b"boom")
        await sender.send_message_to_agent("cb", "raise", "rx", b"after")
        assert await asyncio.wait_for(got.get(), 5) == b"after"
    assert any("callback failure" in (r.exc_text or "") for r in caplog.records)
    assert receiver.is_connected
    await sender.close()
    await receiver.close()


async def test_async_callback_may_await_a_correlated_call(gateway: EmbeddedGateway) -> None:
    sender, receiver = await _pair(gateway, "await")
    results: asyncio.Queue[bytes] = asyncio.Queue()

    async def store_and_read(msg: aether_pb2.IncomingMessage) -> None:
        await receiver.kv_put("from-callback", msg.payload, timeout=5)
        response = await receiver.kv_get("from-callback", timeout=5)
        results.put_nowait(response.value if response else b"timeout")

    receiver.on_message = store_and_read
    await sender.send_message_to_agent("cb", "await", "rx", b"value")
    assert await asyncio.wait_for(results.get(), 5) == b"value"
    await sender.close()
    await receiver.close()


def test_blocking_sync_call_inside_a_sync_callback_does_not_deadlock(
    sync_gateway: EmbeddedGateway,
) -> None:
    results: queue.Queue[aether_pb2.CheckpointResponse | None] = queue.Queue()
    with AgentClient("cb", "sync", "tx") as sender, AgentClient("cb", "sync", "rx") as receiver:

        def save_in_callback(msg: aether_pb2.IncomingMessage) -> None:
            results.put(receiver.checkpoint_save_sync(msg.payload, key="cb", timeout=5))

        receiver.on_message = save_in_callback
        sender.connect(sync_gateway.target)
        receiver.connect(sync_gateway.target)
        sender.send_message_to_agent("cb", "sync", "rx", b"state")
        response = results.get(timeout=10)
    assert response is not None and response.success


def test_sync_callbacks_run_off_the_io_thread_in_order(sync_gateway: EmbeddedGateway) -> None:
    import threading

    seen: queue.Queue[tuple[str, bytes]] = queue.Queue()
    with AgentClient("cb", "thread", "tx") as sender, AgentClient("cb", "thread", "rx") as receiver:
        receiver.on_message = lambda m: seen.put((threading.current_thread().name, m.payload))
        sender.connect(sync_gateway.target)
        receiver.connect(sync_gateway.target)
        for i in range(50):
            sender.send_message_to_agent("cb", "thread", "rx", str(i).encode())
        got = [seen.get(timeout=5) for _ in range(50)]
    assert [int(p) for _, p in got] == list(range(50))
    assert all(name.startswith("aether-callbacks") for name, _ in got)
