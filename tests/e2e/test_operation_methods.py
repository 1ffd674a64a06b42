"""Every KV operation the gateway serves has a method in both client flavours (issue 11).

The methods are generated from schema/operations.yaml. These run the ones the sync client lacked
(fire-and-forget forms answered through on_kv_response, blocking *_sync forms) and the async
client's kv_compare_and_delete against the real gateway, and check the stored result each time.
"""

from __future__ import annotations

import asyncio
import os
import queue
import signal
from pathlib import Path

import pytest
from gateway_process import GatewayProcess

from aether_gateway.embedded import EmbeddedGateway
from scitrera_aether_client import AgentClient, AsyncAgentClient, ConnectionClosedError
from scitrera_aether_client.proto import aether_pb2

WAIT = 10.0


def _next(responses: queue.Queue[aether_pb2.KVResponse]) -> aether_pb2.KVResponse:
    try:
        return responses.get(timeout=WAIT)
    except queue.Empty:
        raise AssertionError(f"no KVResponse reached on_kv_response within {WAIT} s") from None


async def test_async_compare_and_delete_deletes_only_on_a_match(gateway: EmbeddedGateway) -> None:
    client = AsyncAgentClient("ws", "ops", "cad")
    await client.connect(gateway.target)
    try:
        assert (await client.kv_put("lock", b"mine")).success  # type: ignore[union-attr]
        miss = await client.kv_compare_and_delete("lock", b"theirs")
        assert miss is not None and miss.success
        assert miss.applied is False and miss.value == b"mine"  # the current value comes back
        assert (await client.kv_get("lock")).value == b"mine"  # type: ignore[union-attr]
        hit = await client.kv_compare_and_delete("lock", b"mine")
        assert hit is not None and hit.success and hit.applied is True
        listed = await client.kv_list("lock")
        assert listed is not None and list(listed.keys) == []
    finally:
        await client.close()


def test_sync_fire_and_forget_forms_answer_through_on_kv_response(
    sync_gateway: EmbeddedGateway,
) -> None:
    responses: queue.Queue[aether_pb2.KVResponse] = queue.Queue()
    client = AgentClient("ws", "ops", "ff")
    client.on_kv_response = responses.put
    client.connect(sync_gateway.target)
    try:
        # Frames of one client reach the gateway in order, so the responses come back in order.
        client.kv_set_nx("k", b"v1")
        client.kv_set_nx("k", b"v2")
        client.kv_compare_and_set("k", b"nope", b"v3")
        client.kv_compare_and_set("k", b"v1", b"v3")
        client.kv_compare_and_delete("k", b"v1")
        client.kv_compare_and_delete("k", b"v3")
        client.kv_increment("n", delta=5)
        client.kv_decrement("n", delta=2)
        first, second, stale, swapped, missed, deleted, up, down = (
            _next(responses) for _ in range(8)
        )
        assert first.success and first.applied is True
        assert second.success and second.applied is False
        assert stale.applied is False and stale.value == b"v1"
        assert swapped.applied is True
        assert missed.applied is False and missed.value == b"v3"
        assert deleted.applied is True
        assert up.counter_value == 5 and down.counter_value == 3
        assert client.kv_get_sync("k").value == b""  # type: ignore[union-attr]
    finally:
        client.close()


def test_sync_blocking_forms_return_the_response(sync_gateway: EmbeddedGateway) -> None:
    client = AgentClient("ws", "ops", "sync")
    client.connect(sync_gateway.target)
    try:
        assert client.kv_set_nx_sync("k", b"v1").applied is True  # type: ignore[union-attr]
        assert client.kv_set_nx_sync("k", b"v2").applied is False  # type: ignore[union-attr]
        stale = client.kv_compare_and_set_sync("k", b"nope", b"v3")
        assert stale is not None and stale.applied is False and stale.value == b"v1"
        assert client.kv_compare_and_set_sync("k", b"v1", b"v3").applied is True  # type: ignore[union-attr]
        assert client.kv_get_sync("k").value == b"v3"  # type: ignore[union-attr]
        missed = client.kv_compare_and_delete_sync("k", b"v1")
        assert missed is not None and missed.applied is False and missed.value == b"v3"
        assert client.kv_compare_and_delete_sync("k", b"v3").applied is True  # type: ignore[union-attr]
        assert client.kv_get_sync("k").value == b""  # type: ignore[union-attr]

        assert client.kv_increment_sync("n", delta=4).counter_value == 4  # type: ignore[union-attr]
        assert client.kv_decrement_sync("n").counter_value == 3  # type: ignore[union-attr]
        assert client.kv_increment_if_sync("n", delta=2, ceiling=5) == (5, True)
        assert client.kv_increment_if_sync("n", delta=1, ceiling=5) == (5, False)
        assert client.kv_decrement_if_sync("n", delta=5, floor=0) == (0, True)
        assert client.kv_decrement_if_sync("n", delta=1, floor=0) == (0, False)
        assert client.kv_get_sync("n").value == b"0"  # type: ignore[union-attr]
    finally:
        client.close()


async def test_only_the_tables_idempotent_calls_survive_a_lost_stream(tmp_path: Path) -> None:
    """A GET (idempotent in the table) pending when the stream dies is resent on the next stream
    and answered there; a PUT pending at the same moment fails with ConnectionClosedError."""
    proc = GatewayProcess(tmp_path / "data").start()
    client = AsyncAgentClient("ws", "ops", "resend", initial_backoff=0.05, max_backoff=0.3)
    try:
        await client.connect(proc.target)
        assert (await client.kv_put("k", b"kept")).success  # type: ignore[union-attr]
        # Frozen, the gateway reads nothing more, so both calls are still pending when it dies.
        os.kill(proc.proc.pid, signal.SIGSTOP)
        get = asyncio.ensure_future(client.kv_get("k", timeout=60))
        put = asyncio.ensure_future(client.kv_put("k", b"lost", timeout=60))
        # Sent or still queued, both are pending calls when the stream is lost.
        proc.kill9()
        proc.start()
        with pytest.raises(ConnectionClosedError):
            await asyncio.wait_for(put, WAIT * 2)
        got = await asyncio.wait_for(get, WAIT * 2)
        assert got is not None and got.success and got.value == b"kept"
    finally:
        await client.close()
        proc.stop()
