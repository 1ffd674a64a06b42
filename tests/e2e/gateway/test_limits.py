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
from typing import Any

import grpc
import pytest
from gateway_process import GatewayProcess

from aether_gateway.config import GatewayConfig
from aether_gateway.embedded import EmbeddedGateway
from scitrera_aether_client import AsyncAgentClient, Credentials
from scitrera_aether_client.proto import aether_pb2

from ._support import (
    WAIT,
    Inbox,
    RawStream,
    Up,
    agent_init,
    barrier,
    errors,
    eventually,
    messages,
    open_raw,
)

Raw = Callable[..., Awaitable[RawStream]]
Opened = Callable[..., Awaitable[Any]]
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


# ------------------------------------------------------------------------------ durable queues


def _keyed(gw: EmbeddedGateway, spec: str) -> AsyncAgentClient:
    _, key = gw.services.tokens.create("limits", "Agent", specifier_patterns=(spec,))
    return AsyncAgentClient("ws", "bot", spec, credentials=Credentials.api_key(key))


async def _sent(sender: AsyncAgentClient, failures: Inbox[Any], spec: str, payload: bytes) -> Any:
    """Send to ag::ws::bot::<spec>; the ErrorResponse it drew, or None when it was accepted."""
    before = len(failures.items)
    await sender.send_message_to_agent("ws", "bot", spec, payload)
    await barrier(sender)  # every answer to the send has arrived
    return failures.items[before] if len(failures.items) > before else None


async def test_offline_targets_that_cannot_exist_are_refused_and_nothing_is_stored(
    tmp_path: Path, opened: Opened
) -> None:
    config = GatewayConfig(data_path=str(tmp_path / "gateway.sqlite3"))  # not dev mode
    async with EmbeddedGateway(config) as gw:
        sender = await opened(_keyed(gw, "sender"), gw.target)
        failures = errors(sender)
        for i in range(5):  # made-up agents: never connected, implementation not registered
            refused = await _sent(sender, failures, f"ghost-{i}", b"x" * (MIB - 256))
            assert refused is not None and refused.code == "ERR_TARGET_UNKNOWN"
        assert gw.services.queue.depth() == 0
        # An identity a key admits, one that connected before (its key since revoked) and a
        # registered implementation get queued mail.
        _keyed(gw, "keyholder")
        assert await _sent(sender, failures, "keyholder", b"for a key's identity") is None
        _, back_key = gw.services.tokens.create("back", "Agent", specifier_patterns=("back",))
        back = AsyncAgentClient("ws", "bot", "back", credentials=Credentials.api_key(back_key))
        await opened(back, gw.target)
        await back.close()
        await eventually(lambda: gw.services.hub.session_by_identity("ag::ws::bot::back") is None)
        for record in gw.services.tokens.list_tokens()[0]:
            if record.name == "back":
                gw.services.tokens.revoke(record.id)
        gw.services.agents.register(aether_pb2.AgentRegistrationInfo(implementation="bot"))
        assert await _sent(sender, failures, "back", b"for back") is None
        assert await _sent(sender, failures, "fresh", b"for a registered bot") is None
        gw.services.agents.delete("bot")
        assert (await _sent(sender, failures, "ghost-9", b"again")).code == "ERR_TARGET_UNKNOWN"
        await sender.close()
    async with EmbeddedGateway(config) as gw:  # what was refused never reached the disk
        assert gw.services.queue.depth() == 3
        back = _keyed(gw, "back")
        inbox = messages(back)
        await opened(back, gw.target)
        assert (await inbox.wait_for()).payload == b"for back"


@pytest.mark.parametrize(
    ("config", "size"),
    [
        (GatewayConfig(dev_mode=True, queue_max_messages=5), 100),
        (GatewayConfig(dev_mode=True, queue_max_bytes=5 * 1100), 1000),
    ],
    ids=["messages", "bytes"],
)
async def test_a_full_queue_refuses_the_sender_and_keeps_what_it_accepted(
    opened: Opened, config: GatewayConfig, size: int
) -> None:
    async with EmbeddedGateway(config) as gw:
        sender = await opened(AsyncAgentClient("ws", "bot", "sender"), gw.target)
        failures = errors(sender)
        verdicts = [
            await _sent(sender, failures, "late", b"%05d" % i * (size // 5)) for i in range(8)
        ]
        accepted = [i for i, v in enumerate(verdicts) if v is None]
        refused = [v for v in verdicts if v is not None]
        assert accepted == [0, 1, 2, 3, 4] and len(refused) == 3
        assert all(v.code == "ERR_QUEUE_FULL" and v.retryable and v.retry_after_ms for v in refused)
        late = AsyncAgentClient("ws", "bot", "late")
        inbox = messages(late)
        await opened(late, gw.target)
        await _sent(sender, failures, "late", b"marker")  # live now: after the five, in order
        await inbox.wait_for(lambda m: m.payload == b"marker")
        assert [m.payload for m in inbox.items] == [
            *(b"%05d" % i * (size // 5) for i in range(5)),
            b"marker",
        ]
        # Delivered frames leave the queue: the sender is accepted again (after retry_after_ms).
        topic = "ag::ws::bot::late"
        await eventually(lambda: gw.services.queue.depth(topic) == 0, "queue drained")
        await late.close()
        deadline = asyncio.get_running_loop().time() + WAIT
        while (verdict := await _sent(sender, failures, "late", b"room again")) is not None:
            assert verdict.code == "ERR_QUEUE_FULL"
            assert asyncio.get_running_loop().time() < deadline, "queue never had room again"
            await asyncio.sleep(verdict.retry_after_ms / 1000)


async def test_queue_usage_is_counted_from_disk_after_a_restart(
    tmp_path: Path, opened: Opened
) -> None:
    config = GatewayConfig(
        dev_mode=True, data_path=str(tmp_path / "gateway.sqlite3"), queue_max_messages=3
    )
    async with EmbeddedGateway(config) as gw:
        sender = await opened(AsyncAgentClient("ws", "bot", "sender"), gw.target)
        failures = errors(sender)
        for i in range(3):
            assert await _sent(sender, failures, "away", b"m%d" % i) is None
        await sender.close()
    async with EmbeddedGateway(config) as gw:
        sender = await opened(AsyncAgentClient("ws", "bot", "sender"), gw.target)
        failures = errors(sender)
        assert (await _sent(sender, failures, "away", b"m3")).code == "ERR_QUEUE_FULL"


async def test_queued_messages_older_than_the_ttl_are_dropped(opened: Opened) -> None:
    async with EmbeddedGateway(GatewayConfig(dev_mode=True, queue_ttl_s=0.4)) as gw:
        sender = await opened(AsyncAgentClient("ws", "bot", "sender"), gw.target)
        failures = errors(sender)
        for i in range(3):
            assert await _sent(sender, failures, "sleeper", b"stale %d" % i) is None
        topic = "ag::ws::bot::sleeper"
        assert gw.services.queue.depth(topic) == 3
        await eventually(lambda: gw.services.queue.depth(topic) == 0, "expired frames deleted")
        sleeper = AsyncAgentClient("ws", "bot", "sleeper")
        inbox = messages(sleeper)
        await opened(sleeper, gw.target)
        await _sent(sender, failures, "sleeper", b"fresh")
        assert (await inbox.wait_for()).payload == b"fresh"  # nothing stale came first
        assert [m.payload for m in inbox.items] == [b"fresh"]


async def test_serve_flags_set_the_limits(tmp_path: Path, opened: Opened) -> None:
    proc = GatewayProcess(tmp_path / "data", extra=["--queue-max-messages", "2"]).start()
    try:
        sender = await opened(AsyncAgentClient("ws", "bot", "sender"), proc.target)
        failures = errors(sender)
        verdicts = [await _sent(sender, failures, "away", b"m%d" % i) for i in range(3)]
        assert verdicts[:2] == [None, None] and verdicts[2].code == "ERR_QUEUE_FULL"
    finally:
        proc.stop()
