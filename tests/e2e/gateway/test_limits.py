"""Issue 9 finding 6: what one client can make the gateway hold is bounded (docs/gateway.md
"Limits"): a dead peer's identity, the lock history, the ConfigSnapshot and the durable queues.

Each test drives a real gateway over real gRPC; limits are lowered through GatewayConfig so that
a test reaches them with a few frames.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Awaitable, Callable
from pathlib import Path

import grpc

from aether_gateway.config import GatewayConfig
from aether_gateway.embedded import EmbeddedGateway
from scitrera_aether_client.proto import aether_pb2

from ._support import WAIT, RawStream, Up, agent_init, eventually, open_raw

Raw = Callable[..., Awaitable[RawStream]]
KV = aether_pb2.KVOperation

# ------------------------------------------------------------------------------ keepalive

FROZEN_CLIENT = textwrap.dedent(
    """
    import sys, threading, time
    import grpc
    from scitrera_aether_client.proto import aether_pb2, aether_pb2_grpc

    def frames():  # the init, then an upstream that stays open
        agent = aether_pb2.AgentIdentity(workspace="ws", implementation="bot", specifier="frozen")
        yield aether_pb2.UpstreamMessage(init=aether_pb2.InitConnection(agent=agent))
        threading.Event().wait()

    channel = grpc.insecure_channel(sys.argv[1])
    replies = aether_pb2_grpc.AetherGatewayStub(channel).Connect(frames())
    assert next(replies).WhichOneof("payload") == "connection_ack"
    print("connected", flush=True)
    time.sleep(3600)
    """
)


async def _connects(target: str, init: Up) -> bool:
    """True if `init` is admitted now (the stream is closed again at once)."""
    stream = RawStream(target)
    try:
        await stream.send(init)
        frame = await stream.call.read()
        return bool(frame is not grpc.aio.EOF and frame.WhichOneof("payload") == "connection_ack")
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.ALREADY_EXISTS, error
        return False
    finally:
        await stream.close()


async def test_a_stopped_client_loses_its_identity_to_keepalive() -> None:
    # Keepalive of 1 s + 1 s here; the default (20 s + 10 s) frees it within about 30 s.
    config = GatewayConfig(dev_mode=True, keepalive_time_s=1.0, keepalive_timeout_s=1.0)
    async with EmbeddedGateway(config) as gw:
        child = subprocess.Popen(
            [sys.executable, "-c", FROZEN_CLIENT, gw.target],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert child.stdout is not None
            line = await asyncio.wait_for(asyncio.to_thread(child.stdout.readline), WAIT)
            assert line.strip() == "connected"
            os.kill(child.pid, signal.SIGSTOP)  # alive for TCP, silent for HTTP/2
            init = agent_init(spec="frozen")
            assert not await _connects(gw.target, init)  # held right after the stop
            deadline = asyncio.get_running_loop().time() + 20
            while not await _connects(gw.target, init):
                assert asyncio.get_running_loop().time() < deadline, "identity still held"
                await asyncio.sleep(0.2)
        finally:
            child.kill()
            os.kill(child.pid, signal.SIGCONT)
            child.wait(10)
            if child.stdout is not None:
                child.stdout.close()


# ------------------------------------------------------------------------------ lock history


async def _session_of(target: str, spec: str, resume: str = "") -> aether_pb2.ConnectionAck:
    """Connect `spec` (resuming `resume`), wait until the gateway let go of it; its ack."""
    stream = await open_raw(target, agent_init(spec=spec, resume_session_id=resume))
    await stream.close()
    return stream.ack


async def test_the_lock_history_is_bounded_and_keeps_the_newest() -> None:
    async with EmbeddedGateway(GatewayConfig(dev_mode=True, lock_history_max=5)) as gw:
        hub = gw.services.hub

        async def gone(spec: str) -> None:
            await eventually(lambda: hub.session_by_identity(f"ag::ws::bot::{spec}") is None)

        oldest = await _session_of(gw.target, "oldest")
        await gone("oldest")
        for i in range(10):  # ten identities come and go: the history keeps five
            await _session_of(gw.target, f"churn-{i}")
            await gone(f"churn-{i}")
        newest = await _session_of(gw.target, "newest")
        await gone("newest")
        # A resume needs the history entry: the newest is still there, the oldest was dropped.
        assert (await _session_of(gw.target, "newest", newest.session_id)).resumed
        forgotten = await _session_of(gw.target, "oldest", oldest.session_id)
        assert not forgotten.resumed and forgotten.reconnection_count == 0


# ------------------------------------------------------------------------------ ConfigSnapshot

MIB = 1 << 20
VALUE = b"v" * (MIB - 64)  # under the 1 MiB value cap


async def _put(stream: RawStream, key: str, scope: int, rid: str) -> aether_pb2.DownstreamMessage:
    """PUT `VALUE`; the answer frame (a KVResponse, or the ErrorResponse of a refusal)."""
    await stream.send(Up(kv_op=KV(op=KV.PUT, scope=scope, key=key, value=VALUE, request_id=rid)))  # type: ignore[arg-type]
    return await stream.read()


async def test_exclusive_writes_past_the_snapshot_limit_are_refused_and_the_agent_reconnects(
    raw: Raw,
) -> None:
    async with EmbeddedGateway(GatewayConfig(dev_mode=True)) as gw:  # the default 3 MiB budget
        stream = await raw(gw.target, agent_init(spec="hoarder"))
        await stream.read_arm("config")
        answers = []
        for i in range(17):  # the 17 MiB of the report
            scope = KV.WORKSPACE_EXCLUSIVE if i % 2 else KV.GLOBAL_EXCLUSIVE
            answers.append(await _put(stream, f"k{i:02d}", scope, f"r{i}"))
        stored = [a.kv.request_id for a in answers if a.WhichOneof("payload") == "kv"]
        refused = [a.error for a in answers if a.WhichOneof("payload") == "error"]
        assert stored == ["r0", "r1", "r2"] and len(refused) == 14  # three fit in 3 MiB
        assert all(e.code == "ERR_QUOTA_001" and "ConfigSnapshot" in e.message for e in refused)
        await stream.close()
        await eventually(
            lambda: gw.services.hub.session_by_identity("ag::ws::bot::hoarder") is None
        )

        again = await raw(gw.target, agent_init(spec="hoarder"))  # not locked out
        snapshot = await again.read_arm("config")
        assert dict(snapshot.global_exclusive_kv) == {"k00": VALUE, "k02": VALUE}
        assert dict(snapshot.workspace_exclusive_kv) == {"k01": VALUE}
        # Shrinking makes room again: refused, then accepted after a delete.
        assert (await _put(again, "k03", KV.GLOBAL_EXCLUSIVE, "r")).error.code == "ERR_QUOTA_001"
        await again.send(Up(kv_op=KV(op=KV.DELETE, scope=KV.GLOBAL_EXCLUSIVE, key="k00")))
        assert (await again.read_arm("kv")).success
        assert (await _put(again, "k03", KV.GLOBAL_EXCLUSIVE, "r")).kv.success


async def test_a_stored_snapshot_over_the_limit_is_trimmed_and_the_rest_stays_readable(
    tmp_path: Path, raw: Raw
) -> None:
    data = str(tmp_path / "gateway.sqlite3")
    # Written under a budget large enough for 17 MiB (as before the limit existed) ...
    roomy = GatewayConfig(dev_mode=True, data_path=data, snapshot_max_bytes=64 * MIB)
    async with EmbeddedGateway(roomy) as gw:
        stream = await raw(gw.target, agent_init(spec="legacy"))
        await stream.read_arm("config")
        for i in range(17):
            assert (await _put(stream, f"k{i:02d}", KV.WORKSPACE_EXCLUSIVE, f"r{i}")).kv.success
        await stream.close()
    # ... then served under the default budget: the agent connects and reads the rest by GET.
    async with EmbeddedGateway(GatewayConfig(dev_mode=True, data_path=data)) as gw:
        stream = await raw(gw.target, agent_init(spec="legacy"))
        snapshot = await stream.read_arm("config")
        kept = dict(snapshot.workspace_exclusive_kv)
        assert 0 < len(kept) < 17 and snapshot.ByteSize() <= 3 * MIB
        assert set(kept) == {f"k{i:02d}" for i in range(len(kept))}  # in key order
        assert all(value == VALUE for value in kept.values())
        left_out = "k16"
        get = KV(op=KV.GET, scope=KV.WORKSPACE_EXCLUSIVE, key=left_out, request_id="g")
        await stream.send(Up(kv_op=get))
        assert (await stream.read_arm("kv")).value == VALUE
