"""Admin calls take their idempotency from the operation table, as KV and task queries do.

schema/operations.yaml marks the admin reads (LIST, GET, health, ...) idempotent: one pending
when the stream dies is resent on the next stream and answered there, in both client flavours.
An admin write pending at the same moment fails with ConnectionClosedError, because resending it
could apply it twice.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from gateway_process import GatewayProcess

from scitrera_aether_client import AgentClient, AsyncAgentClient, ConnectionClosedError
from scitrera_aether_client.proto import aether_pb2

WAIT = 20.0
W = aether_pb2.WorkspaceOperation


def _pending(client: Any) -> int:
    """Calls the client is waiting on (the connection's correlation table)."""
    return len(client._conn.pending)


def _create(workspace_id: str) -> aether_pb2.WorkspaceOperation:
    return W(op=W.CREATE, workspace=aether_pb2.WorkspaceInfo(workspace_id=workspace_id))


async def test_async_admin_read_is_resent_and_write_fails(tmp_path: Path) -> None:
    proc = GatewayProcess(tmp_path / "data").start()  # dev mode: admin is open
    client = AsyncAgentClient(
        "ws", "ops", "admin", initial_backoff=0.05, max_backoff=0.3, max_retries=200
    )
    try:
        await client.connect(proc.target)
        assert (await client.workspace_op(_create("kept"))).success  # type: ignore[union-attr]
        # Frozen, the gateway reads nothing more, so both calls are still pending when it dies.
        os.kill(proc.proc.pid, signal.SIGSTOP)  # type: ignore[union-attr]
        read = asyncio.ensure_future(client.workspace_op(W(op=W.GET, workspace_id="kept"), 60))
        write = asyncio.ensure_future(client.workspace_op(_create("lost"), 60))
        deadline = time.monotonic() + WAIT
        while _pending(client) < 2:  # both calls are waiting for an answer before it dies
            assert time.monotonic() < deadline, "the two calls never became pending"
            await asyncio.sleep(0.01)
        proc.kill9()
        proc.start()
        with pytest.raises(ConnectionClosedError):
            await asyncio.wait_for(write, WAIT)
        got = await asyncio.wait_for(read, WAIT)
        assert got is not None and got.success and got.workspace.workspace_id == "kept"
    finally:
        await client.close()
        proc.stop()


def test_sync_admin_read_is_resent(tmp_path: Path) -> None:
    proc = GatewayProcess(tmp_path / "data").start()
    client = AgentClient(
        "ws", "ops", "sync-admin", initial_backoff=0.05, max_backoff=0.3, max_retries=200
    )
    outcome: dict[str, Any] = {}

    def call() -> None:
        try:
            outcome["health"] = client.admin_query(
                aether_pb2.AdminQuery(op=aether_pb2.AdminQuery.GET_HEALTH), 60
            )
        except Exception as exc:  # reported below, with what it was
            outcome["error"] = exc

    try:
        client.connect(proc.target)
        os.kill(proc.proc.pid, signal.SIGSTOP)  # type: ignore[union-attr]
        caller = threading.Thread(target=call)
        caller.start()
        deadline = time.monotonic() + WAIT
        while _pending(client) < 1:  # the query waits for an answer before the gateway dies
            assert time.monotonic() < deadline, "the health query never became pending"
            time.sleep(0.01)
        proc.kill9()
        proc.start()
        caller.join(WAIT)
        assert not caller.is_alive(), "the health query was not answered after the reconnect"
        assert "error" not in outcome, outcome
        assert outcome["health"] is not None and outcome["health"].success
    finally:
        client.close()
        proc.stop()
