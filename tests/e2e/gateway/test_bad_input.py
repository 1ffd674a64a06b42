"""Issue 3 "Bad input": each gets its documented answer, and every other session keeps being served.

Each test keeps a pair of bystander agents exchanging messages across the bad input.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import grpc
import pytest

from aether_gateway.config import GatewayConfig
from aether_gateway.embedded import EmbeddedGateway
from scitrera_aether_client import AsyncAgentClient, InvalidArgumentError
from scitrera_aether_client.proto import aether_pb2

from ._support import WAIT, RawStream, Up, agent_init, errors, messages, wait_payload

KV = aether_pb2.KVOperation
Check = Callable[[], Awaitable[None]]


async def bystanders_on(target: str, opened) -> Check:
    """Two agents; the returned check proves a fresh message still goes from one to the other."""
    talker = await opened(AsyncAgentClient("calm", "bot", "talker"), target)
    listener = await opened(AsyncAgentClient("calm", "bot", "listener"), target)
    received = messages(listener)
    sent = 0

    async def check() -> None:
        nonlocal sent
        sent += 1
        payload = f"still served {sent}".encode()
        await talker.send_message_to_agent("calm", "bot", "listener", payload)
        await wait_payload(received, payload)

    await check()
    return check


@pytest.fixture
async def bystanders(gateway: EmbeddedGateway, opened) -> AsyncIterator[Check]:
    yield await bystanders_on(gateway.target, opened)


async def test_oversized_payload_is_refused_and_the_stream_stays_open(
    gateway: EmbeddedGateway, opened, bystanders: Check
) -> None:
    agent = await opened(AsyncAgentClient("ws", "bot", "big"), gateway.target)
    failures = errors(agent)
    await agent.send_message_to_agent("calm", "bot", "listener", b"x" * ((1 << 20) + 1))
    error = await failures.wait_for()
    assert error.code == "ERR_PAYLOAD_TOO_LARGE"
    assert (await agent.kv_put("after", b"ok")).success
    await bystanders()


async def test_a_frame_over_the_grpc_limit_ends_only_that_stream(
    gateway: EmbeddedGateway, raw, bystanders: Check
) -> None:
    stream = await raw(gateway.target, agent_init(spec="huge"))
    huge = aether_pb2.SendMessage(target_topic="ag::calm::bot::listener", payload=b"x" * (17 << 20))
    await stream.send(Up(send=huge))
    code, _ = await stream.status()
    assert code == grpc.StatusCode.RESOURCE_EXHAUSTED
    await bystanders()


async def test_unknown_scope_is_refused_client_side_naming_the_argument(
    gateway: EmbeddedGateway, opened, bystanders: Check
) -> None:
    never_connected = AsyncAgentClient("ws", "bot", "offline-scope")
    with pytest.raises(InvalidArgumentError) as refused:
        await never_connected.kv_get("k", scope="galaxy")  # raised before any wire I/O
    assert refused.value.argument == "scope" and "galaxy" in refused.value.message
    agent = await opened(AsyncAgentClient("ws", "bot", "scoped"), gateway.target)
    with pytest.raises(InvalidArgumentError) as again:
        await agent.kv_put("k", b"v", scope="Global")
    assert again.value.argument == "scope"
    assert (await agent.kv_get("k")).value == b""  # nothing was written
    await bystanders()


async def test_unknown_scope_on_the_wire_is_invalid_argument(
    gateway: EmbeddedGateway, raw, bystanders: Check
) -> None:
    stream = await raw(gateway.target, agent_init(spec="wire-scope"))
    await stream.read_arm("config")
    await stream.send(Up(kv_op=KV(op=KV.PUT, key="k", value=b"v", scope=99, request_id="s")))
    failed = await stream.read_arm("kv")
    error = await stream.read_arm("error")
    assert failed.success is False and failed.request_id == "s"
    assert error.code == "ERR_INVALID_ARGUMENT" and error.request_id == "s"
    await bystanders()


async def test_malformed_identity_is_refused_and_others_carry_on(
    gateway: EmbeddedGateway, raw, bystanders: Check
) -> None:
    for bad in ["two words", "x" * 200, "a::b"]:
        stream = await raw(gateway.target)
        await stream.send(agent_init(spec=bad))
        assert (await stream.status())[0] == grpc.StatusCode.INVALID_ARGUMENT
    await bystanders()


async def test_a_frame_without_an_arm_gets_err_not_implemented(
    gateway: EmbeddedGateway, raw, bystanders: Check
) -> None:
    stream = await raw(gateway.target, agent_init(spec="armless"))
    await stream.read_arm("config")
    await stream.send(Up())
    assert (await stream.read_arm("error")).code == "ERR_NOT_IMPLEMENTED"
    await stream.send(Up(checkpoint_op=aether_pb2.CheckpointOperation(op=3, request_id="c")))
    assert (await stream.read_arm("checkpoint")).request_id == "c"
    await bystanders()


async def test_a_workflow_response_from_a_non_engine_is_ignored(
    gateway: EmbeddedGateway, raw, bystanders: Check
) -> None:
    stream = await raw(gateway.target, agent_init(spec="not-engine"))
    await stream.read_arm("config")
    bogus = aether_pb2.WorkflowResponse(success=True, request_id="nobody-asked")
    await stream.send(Up(workflow_response=bogus))
    await stream.send(Up(checkpoint_op=aether_pb2.CheckpointOperation(op=3, request_id="c")))
    # The next frame answers the checkpoint call: the stray response got no reply at all.
    assert (await stream.read_arm("checkpoint")).request_id == "c"
    await bystanders()


async def test_undecodable_bytes_end_only_that_stream(
    gateway: EmbeddedGateway, bystanders: Check
) -> None:
    channel = grpc.aio.insecure_channel(gateway.target)
    try:
        connect = channel.stream_stream(
            "/aether.v1.AetherGateway/Connect",
            request_serializer=lambda raw_bytes: raw_bytes,
            response_deserializer=aether_pb2.DownstreamMessage.FromString,
        )
        call = connect()
        await call.write(b"\xff\xff\xff\xff not a protobuf")
        with pytest.raises(grpc.RpcError) as ended:
            await call.read()
        assert ended.value.code() != grpc.StatusCode.OK
    finally:
        await channel.close(grace=None)
    await bystanders()


async def test_a_flood_is_rate_limited_without_losing_anything_acknowledged(opened) -> None:
    config = GatewayConfig(dev_mode=True, rate_per_s=5.0, rate_burst=5.0)
    async with EmbeddedGateway(config) as gw:
        check = await bystanders_on(gw.target, opened)
        flooder = RawStream(gw.target)
        try:
            await flooder.send(agent_init(spec="flooder"))
            await flooder.read_arm("connection_ack")
            await flooder.read_arm("config")
            count = 40
            for i in range(count):
                put = KV(op=KV.PUT, scope=KV.GLOBAL, key=f"flood/{i:02d}", request_id=f"f{i}")
                await flooder.send(Up(kv_op=put))
            answers: dict[str, aether_pb2.DownstreamMessage] = {}
            while len(answers) < count:
                frame = await flooder.read()
                body = getattr(frame, frame.WhichOneof("payload"))
                assert body.request_id not in answers, "one answer per request"
                answers[body.request_id] = frame
        finally:
            await flooder.close()
        acked = {rid for rid, f in answers.items() if f.WhichOneof("payload") == "kv"}
        limited = [f.error for f in answers.values() if f.WhichOneof("payload") == "error"]
        assert acked and limited and len(acked) + len(limited) == count
        assert all(e.code == "ERR_RATE_LIMITED" and e.retryable for e in limited)
        assert all(e.retry_after_ms > 0 for e in limited)
        assert all(answers[rid].kv.success for rid in acked)
        await check()  # another session is still served (its own budget)
        reader = await opened(AsyncAgentClient("calm", "bot", "auditor"), gw.target)
        stored = await reader.kv_list("flood/", timeout=WAIT)
        assert {f"f{int(key.split('/')[1])}" for key in stored.keys} == acked
