"""The delivery extension on the wire, against the in-process gateway: negotiation, refusals,
hostile acknowledgements, and the fallback a peer without the extension gets."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import grpc
import pytest

from aether_gateway.config import GatewayConfig
from aether_gateway.delivery import PREFETCH
from aether_gateway.embedded import EmbeddedGateway
from scitrera_aether_client import AetherError, AsyncAgentClient
from scitrera_aether_client._core.delivery import DELIVERY_URI, declaration
from scitrera_aether_client.proto import aether_pb2

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gateway"))
from _support import RawStream, agent_init, open_raw

Up = aether_pb2.UpstreamMessage


def _client(spec: str) -> AsyncAgentClient:
    return AsyncAgentClient("dlv", "peer", spec, max_retries=0)


async def test_the_sdk_negotiates_acknowledged_delivery(gateway: EmbeddedGateway) -> None:
    client = _client("a")
    try:
        await client.connect(gateway.target)
        assert client.delivery_mode == "acknowledged"
        (ext,) = client.negotiated_extensions()
        assert (ext.uri, ext.supported) == (DELIVERY_URI, True)
    finally:
        await client.close()


async def test_switched_off_on_either_side_means_best_effort() -> None:
    config = GatewayConfig(dev_mode=True, delivery_extension=False)
    async with EmbeddedGateway(config) as off:
        client = _client("a")
        try:
            await client.connect(off.target)
            assert client.delivery_mode == "best-effort"
            assert client.negotiated_extensions()[0].supported is False
        finally:
            await client.close()
    async with EmbeddedGateway(GatewayConfig(dev_mode=True)) as on:
        client = _client("b")
        client.acknowledged_delivery = False
        try:
            await client.connect(on.target)
            assert client.delivery_mode == "best-effort"
            assert client.negotiated_extensions() == []
        finally:
            await client.close()


async def test_a_refused_committed_send_raises_and_is_not_retried(
    gateway: EmbeddedGateway,
) -> None:
    client = _client("a")
    errors: list[aether_pb2.ErrorResponse] = []
    client.on_error = errors.append
    try:
        await client.connect(gateway.target)
        with pytest.raises(AetherError) as refused:
            await client.send_message("not-a-topic", b"x", wait_for_commit=True)
        assert refused.value.code == "ERR_INVALID_TOPIC"
        assert client._conn._unconfirmed.frames == {}  # nothing left to resend
        await client.send_message_to_agent("dlv", "peer", "b", b"ok", wait_for_commit=True)
    finally:
        await client.close()


async def test_a_peer_without_the_extension_never_sees_its_fields(
    gateway: EmbeddedGateway,
) -> None:
    raw = await open_raw(gateway.target, agent_init("dlv", "peer", "plain"))
    sender = _client("a")
    try:
        assert not raw.ack.negotiated_extensions
        await sender.connect(gateway.target)
        await sender.send_message_to_agent("dlv", "peer", "plain", b"hi", wait_for_commit=True)
        await raw.read_arm("config")  # the agent's ConfigSnapshot follows the ack
        msg = await raw.read_arm("msg")
        assert msg.payload == b"hi"
        assert (msg.message_id, msg.delivery_tag, msg.redelivered) == ("", 0, False)
    finally:
        await sender.close()
        await raw.close()


async def test_acks_for_someone_elses_messages_delete_nothing(gateway: EmbeddedGateway) -> None:
    """A hostile client acknowledges every tag it can guess: the victim still gets its mail."""
    sender = _client("a")
    await sender.connect(gateway.target)
    try:
        for i in range(20):  # queued for the offline victim
            await sender.send_message_to_agent("dlv", "peer", "victim", str(i).encode())
        await sender.send_message_to_agent("dlv", "peer", "victim", b"last", wait_for_commit=True)
        init = agent_init("dlv", "peer", "attacker")
        init.init.extensions.append(declaration())
        attacker = await open_raw(gateway.target, init)
        assert attacker.ack.negotiated_extensions[0].supported
        await attacker.send(Up(delivery_ack=aether_pb2.DeliveryAck(delivery_tags=range(1, 5000))))
        await attacker.send(Up(delivery_ack=aether_pb2.DeliveryAck(delivery_tags=[2**64 - 1])))
        await asyncio.sleep(0.2)  # past the gateway's lazy commit of acknowledged rows
        gateway.gateway.hub.commit.flush()  # type: ignore[union-attr]
        await attacker.close()
        victim = _client("victim")
        got: list[bytes] = []
        victim.on_message = lambda m: got.append(m.payload)
        await victim.connect(gateway.target)
        try:
            deadline = asyncio.get_running_loop().time() + 10
            while len(got) < 21 and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.02)
        finally:
            await victim.close()
        assert got == [str(i).encode() for i in range(20)] + [b"last"]
    finally:
        await sender.close()


async def test_a_required_extension_the_gateway_lacks_ends_the_handshake(
    gateway: EmbeddedGateway,
) -> None:
    init = agent_init("dlv", "peer", "needy")
    init.init.extensions.append(
        aether_pb2.ExtensionDeclaration(uri="urn:example:other", version="1", required=True)
    )
    raw = await open_raw(gateway.target, init)
    try:
        assert raw.ack.negotiated_extensions[0].supported is False
        code, details = await raw.status()
        assert code == grpc.StatusCode.FAILED_PRECONDITION
        assert "ERR_EXTENSION_UNSUPPORTED" in details
    finally:
        await raw.close()


class _Reader:
    """Collects a raw stream's msg frames in a task (cancelling a pending read would cancel the
    whole RPC, so a read cannot simply time out)."""

    def __init__(self, raw: RawStream) -> None:
        self.msgs: list[aether_pb2.IncomingMessage] = []
        self.task = asyncio.ensure_future(self._run(raw))

    async def _run(self, raw: RawStream) -> None:
        while (frame := await raw.call.read()) is not grpc.aio.EOF:
            if frame.WhichOneof("payload") == "msg":
                self.msgs.append(frame.msg)

    async def settled(self, quiet_s: float = 0.5) -> int:
        """The count once no new message arrived for `quiet_s`."""
        while True:
            before = len(self.msgs)
            await asyncio.sleep(quiet_s)
            if len(self.msgs) == before:
                return before


async def test_an_unacknowledging_client_holds_at_most_the_prefetch_window(
    gateway: EmbeddedGateway,
) -> None:
    init = agent_init("dlv", "peer", "hoarder")
    init.init.extensions.append(declaration())
    raw = await open_raw(gateway.target, init)
    reader = _Reader(raw)
    sender = _client("a")
    try:
        await sender.connect(gateway.target)
        for i in range(PREFETCH + 100):
            await sender.send_message_to_agent("dlv", "peer", "hoarder", str(i).encode())
        assert await reader.settled() == PREFETCH, "the gateway sent past the window"
        tags = [m.delivery_tag for m in reader.msgs[:50]]
        await raw.send(Up(delivery_ack=aether_pb2.DeliveryAck(delivery_tags=tags)))
        assert await reader.settled() == PREFETCH + 50
        expected = [str(i).encode() for i in range(PREFETCH + 50)]
        assert [m.payload for m in reader.msgs] == expected
    finally:
        reader.task.cancel()
        await sender.close()
        await raw.close()


async def test_an_overlong_message_id_is_refused(gateway: EmbeddedGateway) -> None:
    init = agent_init("dlv", "peer", "long-ids")
    init.init.extensions.append(declaration())
    raw = await open_raw(gateway.target, init)
    try:
        send = aether_pb2.SendMessage(
            target_topic="ag::dlv::peer::b", payload=b"x", message_id="i" * 1000
        )
        await raw.send(Up(send=send))
        while (frame := await raw.read()).WhichOneof("payload") != "send_confirm":
            pass
        (refusal,) = frame.send_confirm.refused
        assert refusal.code == "ERR_INVALID_ARGUMENT"
        assert len(refusal.message_id) == 128
        assert not frame.send_confirm.committed
    finally:
        await raw.close()
