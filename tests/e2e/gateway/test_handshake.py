"""Issue 3 item 2: the handshake, at the wire and through the SDK."""

from __future__ import annotations

import logging

import grpc
import pytest

from aether_gateway.config import GatewayConfig
from aether_gateway.embedded import EmbeddedGateway, run_gateway
from scitrera_aether_client import (
    AgentClient,
    AsyncAgentClient,
    AsyncMetricsBridgeClient,
    AsyncTaskClient,
    AsyncWorkflowEngineClient,
    DuplicateIdentityError,
)
from scitrera_aether_client.proto import aether_pb2

from ._support import (
    FAST,
    Inbox,
    RawStream,
    Up,
    agent_init,
    eventually,
    messages,
    open_raw,
    released,
    wait_payload,
)


async def test_every_connection_gets_a_fresh_session_id(gateway: EmbeddedGateway, raw) -> None:
    first = await raw(gateway.target, agent_init(spec="fresh"))
    other = await raw(gateway.target, agent_init(spec="other"))
    await first.close()
    await released(gateway, "ag::ws::bot::fresh")
    again = await raw(gateway.target, agent_init(spec="fresh"))
    ids = {first.ack.session_id, other.ack.session_id, again.ack.session_id}
    assert len(ids) == 3 and "" not in ids
    assert not again.ack.resumed and again.ack.reconnection_count == 0
    assert again.ack.server_version


async def test_duplicate_identity_is_already_exists(gateway: EmbeddedGateway, raw) -> None:
    await raw(gateway.target, agent_init(spec="dup"))
    second = await raw(gateway.target)
    await second.send(agent_init(spec="dup"))
    code, details = await second.status()
    assert code == grpc.StatusCode.ALREADY_EXISTS
    assert details == "DuplicateIdentityError: identity (ag::ws::bot::dup) already connected"


async def test_sdk_maps_a_duplicate_to_duplicate_identity_error(
    gateway: EmbeddedGateway, opened
) -> None:
    await opened(AsyncAgentClient("ws", "bot", "dup-sdk"), gateway.target)
    second = AsyncAgentClient("ws", "bot", "dup-sdk", max_retries=3, **FAST)
    with pytest.raises(DuplicateIdentityError, match="already connected"):
        await second.connect(gateway.target)


async def test_resume_session_id_takes_the_lock_over(gateway: EmbeddedGateway, raw) -> None:
    first = await raw(gateway.target, agent_init(spec="resumer"))
    resume = agent_init(spec="resumer")
    resume.init.resume_session_id = first.ack.session_id
    second = await raw(gateway.target, resume)
    ack = second.ack
    assert ack.resumed is True
    assert ack.reconnection_count == 1
    assert ack.initial_connection_unix_ms == first.ack.initial_connection_unix_ms
    assert ack.session_id not in ("", first.ack.session_id)
    code, _ = await first.status()  # the displaced stream is ended
    assert code != grpc.StatusCode.OK


async def test_a_wrong_resume_session_id_is_still_a_duplicate(
    gateway: EmbeddedGateway, raw
) -> None:
    await raw(gateway.target, agent_init(spec="held"))
    intruder = await raw(gateway.target)
    await intruder.send(agent_init(spec="held", resume_session_id="not-the-holder"))
    code, _ = await intruder.status()
    assert code == grpc.StatusCode.ALREADY_EXISTS


@pytest.mark.parametrize(
    "init",
    [
        agent_init(spec="snap"),
        Up(
            init=aether_pb2.InitConnection(
                task=aether_pb2.TaskIdentity(
                    workspace="ws", implementation="job", unique_specifier="u1"
                )
            )
        ),
    ],
    ids=["agent", "task"],
)
async def test_connection_ack_then_config_snapshot(gateway: EmbeddedGateway, raw, init) -> None:
    stream = await raw(gateway.target)
    await stream.send(init)
    assert (await stream.read()).WhichOneof("payload") == "connection_ack"
    assert (await stream.read()).WhichOneof("payload") == "config"


async def test_users_get_no_config_snapshot(gateway: EmbeddedGateway, raw) -> None:
    user = Up(
        init=aether_pb2.InitConnection(user=aether_pb2.UserIdentity(user_id="u", window_id="w"))
    )
    stream = await raw(gateway.target, user)
    list_op = aether_pb2.CheckpointOperation(op=aether_pb2.CheckpointOperation.LIST, request_id="r")
    await stream.send(Up(checkpoint_op=list_op))
    # The frame after the ack answers our request: no ConfigSnapshot came in between.
    reply = await stream.read()
    assert reply.WhichOneof("payload") == "checkpoint" and reply.checkpoint.request_id == "r"


async def test_pooled_task_learns_its_assigned_id(gateway: EmbeddedGateway, opened) -> None:
    pooled = await opened(AsyncTaskClient("ws", "crunch"), gateway.target)
    other = await opened(AsyncTaskClient("ws", "crunch"), gateway.target)
    sender = await opened(AsyncAgentClient("ws", "bot", "boss"), gateway.target)
    inbox = messages(pooled)
    assert pooled.assigned_id and other.assigned_id
    assert pooled.assigned_id != other.assigned_id
    assert pooled.connection_info.assigned_id == pooled.assigned_id
    # The id is the instance's real address: a message to ta::ws::crunch::<id> reaches it.
    await sender.send_message(f"ta::ws::crunch::{pooled.assigned_id}", b"just you")
    await wait_payload(inbox, b"just you")


async def test_unique_task_and_agent_have_no_assigned_id(gateway: EmbeddedGateway, opened) -> None:
    unique = await opened(AsyncTaskClient("ws", "crunch", "only"), gateway.target)
    agent = await opened(AsyncAgentClient("ws", "bot", "plain"), gateway.target)
    assert unique.assigned_id == "" and agent.assigned_id == ""


async def test_first_frame_must_be_init(gateway: EmbeddedGateway, raw) -> None:
    stream = await raw(gateway.target)
    await stream.send(Up(kv_op=aether_pb2.KVOperation(key="k")))
    code, details = await stream.status()
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert details == "first message must be InitConnection"


async def test_a_second_init_is_invalid_argument(gateway: EmbeddedGateway, raw) -> None:
    stream = await raw(gateway.target, agent_init(spec="twice"))
    await stream.send(agent_init(spec="twice"))
    code, details = await stream.status()
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert details == "InitConnection already sent"


@pytest.mark.parametrize(
    "specifier",
    ["has space", "star*", "a::b", "x" * 129, "gt>", "tab\there"],
    ids=["space", "star", "separator", "129-bytes", "gt", "control-char"],
)
async def test_invalid_identity_is_invalid_argument(
    gateway: EmbeddedGateway, raw, specifier: str
) -> None:
    stream = await raw(gateway.target)
    await stream.send(agent_init(spec=specifier))
    code, details = await stream.status()
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert details.startswith("invalid identity")


async def test_identity_of_128_bytes_with_dot_and_at_is_accepted(
    gateway: EmbeddedGateway, raw
) -> None:
    spec = "a.b@c" + "x" * 123
    assert len(spec.encode()) == 128
    stream = await raw(gateway.target, agent_init(spec=spec))
    assert stream.ack.session_id


async def test_init_without_identity_is_invalid_argument(gateway: EmbeddedGateway, raw) -> None:
    stream = await raw(gateway.target)
    await stream.send(Up(init=aether_pb2.InitConnection()))
    code, _ = await stream.status()
    assert code == grpc.StatusCode.INVALID_ARGUMENT


async def test_no_init_within_the_timeout_is_deadline_exceeded() -> None:
    async with EmbeddedGateway(GatewayConfig(dev_mode=True, init_timeout_s=0.5)) as gw:
        stream = RawStream(gw.target)
        try:
            code, details = await stream.status()  # we never send InitConnection
        finally:
            await stream.close()
    assert code == grpc.StatusCode.DEADLINE_EXCEEDED
    assert details == "timeout waiting for InitConnection"


async def test_unimplemented_arm_gets_err_not_implemented_and_the_stream_stays_open(
    gateway: EmbeddedGateway, raw
) -> None:
    # Our schema declares no tunnel arms; AdminQuery GET_INFO is the operation left unserved.
    stream = await raw(gateway.target, agent_init(spec="unimpl"))
    await stream.read_arm("config")
    query = aether_pb2.AdminQuery(op=aether_pb2.AdminQuery.GET_INFO, request_id="q1")
    await stream.send(Up(admin_query=query))
    error = await stream.read_arm("error")
    assert error.code == "ERR_NOT_IMPLEMENTED" and error.request_id == "q1"
    put = aether_pb2.KVOperation(op=aether_pb2.KVOperation.PUT, key="k", value=b"v", request_id="p")
    await stream.send(Up(kv_op=put))
    reply = await stream.read_arm("kv")
    assert reply.success and reply.request_id == "p"


async def test_connect_disconnect_and_denial_are_logged(
    gateway: EmbeddedGateway, raw, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="aether_gateway")
    stream = await open_raw(gateway.target, agent_init(spec="logged"))
    session_id = stream.ack.session_id
    await stream.close()
    denied = await raw(gateway.target)
    await denied.send(agent_init(spec="bad spec"))
    await denied.status()

    def lines(word: str) -> list[str]:
        return [r.getMessage() for r in caplog.records if r.getMessage().startswith(word)]

    await eventually(lambda: bool(lines("disconnect ag::ws::bot::logged")), "disconnect log")
    assert any(session_id in line for line in lines("connect ag::ws::bot::logged"))
    assert any(session_id in line for line in lines("disconnect ag::ws::bot::logged"))
    assert any("invalid identity" in line for line in lines("denied"))


def test_sync_in_process_gateway_serves_a_sync_client() -> None:
    with run_gateway(GatewayConfig(dev_mode=True)) as gw:
        client = AgentClient("ws", "bot", "sync")
        client.connect(gw.target)
        try:
            assert client.session_id and client.is_connected
        finally:
            client.close()


async def test_config_snapshot_carries_the_agents_exclusive_kv(
    gateway: EmbeddedGateway, opened
) -> None:
    first = await opened(AsyncAgentClient("ws", "bot", "snapshot"), gateway.target)
    await first.kv_put("g", b"global-own", scope="global-exclusive")
    await first.kv_put("w", b"workspace-own", scope="workspace-exclusive")
    await first.kv_put("shared", b"not in the snapshot")
    await first.close()
    await released(gateway, "ag::ws::bot::snapshot")
    again = AsyncAgentClient("ws", "bot", "snapshot")
    configs: Inbox[aether_pb2.ConfigSnapshot] = Inbox()
    again.on_config = configs
    await opened(again, gateway.target)
    snapshot = await configs.wait_for()
    assert dict(snapshot.global_exclusive_kv) == {"g": b"global-own"}
    assert dict(snapshot.workspace_exclusive_kv) == {"w": b"workspace-own"}
    assert not snapshot.kv and not snapshot.global_kv


@pytest.mark.parametrize(
    "make", [AsyncWorkflowEngineClient, AsyncMetricsBridgeClient], ids=["wfe", "metrics"]
)
async def test_singleton_principals_refuse_a_second_instance(
    gateway: EmbeddedGateway, opened, make
) -> None:
    await opened(make(), gateway.target)
    with pytest.raises(DuplicateIdentityError):
        await make().connect(gateway.target)


async def test_orchestrators_without_a_specifier_get_distinct_identities(
    gateway: EmbeddedGateway, raw, opened
) -> None:
    identity = aether_pb2.OrchestratorIdentity(implementation="orc", supported_profiles=["p"])
    init = Up(init=aether_pb2.InitConnection(orchestrator=identity))
    first = await raw(gateway.target, init)
    second = await raw(gateway.target, init)  # not a duplicate: each gets its own specifier
    assert first.ack.session_id != second.ack.session_id
    admin = await opened(AsyncAgentClient("ops", "console", "admin"), gateway.target)
    listed = await admin.list_sessions(principal_type="orchestrator")
    identities = {c.identity for c in listed.connections}
    assert len(identities) == 2 and all(i.startswith("orc::orc::") for i in identities)


async def test_a_shutting_down_gateway_refuses_new_sessions_with_unavailable(
    gateway: EmbeddedGateway, raw
) -> None:
    """After GRACEFUL_DISCONNECT a client that reconnects at once must not get a session on the
    gateway that is stopping (it would be ended again); UNAVAILABLE makes it retry later."""
    live = await raw(gateway.target, agent_init(spec="leaving"))
    assert gateway.gateway is not None
    await gateway.gateway.shutdown()
    frame = await live.read()
    while frame.WhichOneof("payload") != "signal":  # the config snapshot may come first
        frame = await live.read()
    assert frame.signal.type == aether_pb2.Signal.GRACEFUL_DISCONNECT
    again = await raw(gateway.target)
    await again.send(agent_init(spec="leaving"))
    code, details = await again.status()
    assert code == grpc.StatusCode.UNAVAILABLE
    assert details == "server shutting down"
