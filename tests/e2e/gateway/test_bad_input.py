"""Issue 3 "Bad input": each gets its documented answer, and every other session keeps being served.

Each test keeps a pair of bystander agents exchanging messages across the bad input.
"""

from __future__ import annotations

import asyncio
import logging
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


# ------------------------------------------------------------------ issue 9 finding 7: no internals

A = aether_pb2.ACLOperation
W = aether_pb2.WorkspaceOperation
C = aether_pb2.CheckpointOperation
Q = aether_pb2.AdminQuery
Raw = Callable[..., Awaitable[RawStream]]
LOG_LINE_BOUND = 1_200  # the gateway clips a message to 1,000 characters; plus the prefix
INT64_MAX = 2**63 - 1


def assert_log_clean(caplog: pytest.LogCaptureFixture) -> None:
    """No traceback, no error record and no overlong line in everything the gateway logged."""
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert max((len(line) for line in caplog.text.splitlines()), default=0) <= LOG_LINE_BOUND


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO)
    return caplog


async def test_out_of_range_numbers_are_answered_not_internal_errors(
    gateway: EmbeddedGateway, raw: Raw, bystanders: Check, logs: pytest.LogCaptureFixture
) -> None:
    stream = await raw(gateway.target, agent_init(spec="numbers"))
    await stream.read_arm("config")
    await stream.send(Up(kv_op=KV(op=KV.PUT, key="k", value=b"v", ttl=INT64_MAX, request_id="kv")))
    assert (await stream.read_arm("kv")).success is False
    error = await stream.read_arm("error")
    assert error.code == "ERR_INVALID_ARGUMENT" and "ttl" in error.message
    save = C(op=C.SAVE, data=b"x", ttl=INT64_MAX, request_id="cp")
    await stream.send(Up(checkpoint_op=save))
    saved = await stream.read_arm("checkpoint")
    assert saved.success is False and saved.error.startswith("ERR_INVALID_ARGUMENT")
    assert "ttl" in saved.error
    await stream.send(Up(acl_op=A(op=A.GET_RULE, rule_id="1" * 23, request_id="acl")))
    rule = await stream.read_arm("acl")
    assert rule.success is False and rule.error == "rule not found" and rule.request_id == "acl"
    for op in (99, -1):
        query = Q(request_id=f"q{op}")
        query.op = op  # type: ignore[assignment]  # a number the schema does not name
        await stream.send(Up(admin_query=query))
        refused = await stream.read_arm("error")
        assert refused.code == "ERR_NOT_IMPLEMENTED" and refused.request_id == f"q{op}"
        assert str(op) in refused.message
    # Nothing was stored by the refused writes.
    await stream.send(Up(kv_op=KV(op=KV.GET, key="k", request_id="get")))
    assert (await stream.read_arm("kv")).value == b""
    await stream.send(Up(checkpoint_op=C(op=C.LIST, request_id="ls")))
    assert list((await stream.read_arm("checkpoint")).keys) == []
    assert_log_clean(logs)
    await bystanders()


async def test_admin_input_out_of_bounds_is_refused_and_not_stored(
    gateway: EmbeddedGateway, raw: Raw, bystanders: Check, logs: pytest.LogCaptureFixture
) -> None:
    stream = await raw(gateway.target, agent_init(spec="admin-input"))
    await stream.read_arm("config")
    huge = aether_pb2.WorkspaceInfo(workspace_id="w" * 100_000)
    await stream.send(Up(workspace_op=W(op=W.CREATE, workspace=huge, request_id="w")))
    created = await stream.read_arm("workspace")
    assert created.success is False and created.error.startswith("ERR_INVALID_ARGUMENT")
    assert len(created.error) < 300  # the id is not echoed back
    await stream.send(Up(workspace_op=W(op=W.LIST, request_id="wl")))
    assert list((await stream.read_arm("workspace")).workspaces) == []

    grant = aether_pb2.ACLGrantRequest(
        principal_type="agent",
        principal_id="ag::ws::bot::x",
        resource_type="admin",
        resource_id="*",
        access_level=2**31 - 1,
    )
    await stream.send(Up(acl_op=A(op=A.GRANT, grant_request=grant, request_id="g")))
    granted = await stream.read_arm("acl")
    assert granted.success is False and "access_level" in granted.error
    await stream.send(Up(acl_op=A(op=A.LIST_RULES, request_id="rules")))
    assert list((await stream.read_arm("acl")).rules) == []

    policy = aether_pb2.ACLSetFallbackRequest(
        rule_category="agent_workspace", fallback_access_level=-(2**31)
    )
    await stream.send(Up(acl_op=A(op=A.SET_FALLBACK_POLICY, fallback_request=policy)))
    refused = await stream.read_arm("acl")
    assert refused.success is False and "fallback_access_level" in refused.error
    await stream.send(Up(acl_op=A(op=A.GET_FALLBACK_POLICY, rule_category="agent_workspace")))
    assert (await stream.read_arm("acl")).fallback_policy.fallback_access_level == 20  # seeded
    assert_log_clean(logs)
    await bystanders()


def _undecodable_frames() -> dict[str, bytes]:
    init = agent_init(spec="utf8").SerializeToString()
    return {
        "random bytes": b"\xff\xff\xff\xff not a protobuf",
        "invalid utf-8 in a string": init.replace(b"utf8", b"\xff\xfe\xfd\xfc"),
        "nesting past the decoder's limit": b"\x12\x00" + b"\x0a\x02" * 150,
        "deep nesting": b"\x1a" + b"\x22" * 400,
    }


@pytest.mark.parametrize("after_handshake", [False, True], ids=["first frame", "later frame"])
async def test_undecodable_frames_are_invalid_argument_with_one_log_line(
    gateway: EmbeddedGateway,
    bystanders: Check,
    logs: pytest.LogCaptureFixture,
    after_handshake: bool,
) -> None:
    channel = grpc.aio.insecure_channel(gateway.target)
    connect = channel.stream_stream(
        "/aether.v1.AetherGateway/Connect",
        request_serializer=lambda raw_bytes: raw_bytes,
        response_deserializer=aether_pb2.DownstreamMessage.FromString,
    )
    try:
        for n, (what, data) in enumerate(_undecodable_frames().items()):
            logs.clear()
            call = connect()
            if after_handshake:
                await call.write(agent_init(spec=f"garbled-{n}").SerializeToString())
                ack = await call.read()
                assert isinstance(ack, aether_pb2.DownstreamMessage)
                assert ack.WhichOneof("payload") == "connection_ack"
            await call.write(data)
            with pytest.raises(grpc.RpcError) as ended:
                while await asyncio.wait_for(call.read(), WAIT) is not grpc.aio.EOF:
                    pass
            assert ended.value.code() == grpc.StatusCode.INVALID_ARGUMENT, what
            assert "UpstreamMessage" in (ended.value.details() or ""), what
            undecodable = [r for r in logs.records if "undecodable" in r.getMessage().split()]
            assert len(undecodable) == 1, what
            assert_log_clean(logs)
    finally:
        await channel.close(grace=None)
    await bystanders()


async def test_a_huge_identity_is_invalid_argument_with_a_short_detail_and_log_line(
    gateway: EmbeddedGateway, raw: Raw, bystanders: Check, logs: pytest.LogCaptureFixture
) -> None:
    stream = await raw(gateway.target)
    await stream.send(agent_init(impl="i" * (1 << 20)))
    code, details = await stream.status()
    assert code == grpc.StatusCode.INVALID_ARGUMENT  # not RESOURCE_EXHAUSTED from a huge trailer
    assert "implementation" in details and len(details) <= 600
    denied = [r for r in logs.records if "denied" in r.getMessage()]
    assert len(denied) == 1 and len(denied[0].getMessage()) <= 1_000
    assert_log_clean(logs)
    await bystanders()


async def test_client_text_cannot_forge_log_lines(
    gateway: EmbeddedGateway, raw: Raw, bystanders: Check, logs: pytest.LogCaptureFixture
) -> None:
    stream = await raw(gateway.target, agent_init(spec="forger"))
    await stream.read_arm("config")
    forged = "r1\nINFO aether_gateway connect ag::ws::bot::admin (forged)"
    request = aether_pb2.ProxyHttpRequest(request_id=forged, target_topic="", method="GET")
    await stream.send(Up(proxy_http_request=request))  # refused: the refusal is logged
    assert (await stream.read_arm("proxy_http_response")).request_id == forged
    logged = [r.getMessage() for r in logs.records if "r1" in r.getMessage()]
    assert len(logged) == 1 and "\n" not in logged[0]
    assert "r1\\nINFO" in logged[0]  # escaped, on the one line of the refusal
    assert_log_clean(logs)
    await bystanders()
