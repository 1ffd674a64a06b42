"""Helpers for the gateway end-to-end tests: callback inboxes, raw wire streams, barriers.

Everything here talks to a real gateway over real gRPC on 127.0.0.1. "Not delivered" is never
inferred from a pause: a test sends a marker after the frame that must not arrive, on the same
path, and waits for the marker (the gateway keeps per-session order).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import grpc

from aether_gateway.embedded import EmbeddedGateway
from scitrera_aether_client.client_async import BaseAsyncAetherClient
from scitrera_aether_client.proto import aether_pb2, aether_pb2_grpc

T = TypeVar("T")
Up = aether_pb2.UpstreamMessage
Down = aether_pb2.DownstreamMessage

WAIT = 10.0  # generous: how long a test waits for something that must happen
FAST = {"initial_backoff": 0.05, "max_backoff": 0.3}


class Inbox(Generic[T]):
    """A callback that records what it receives; tests await what they expect in it."""

    def __init__(self) -> None:
        self.items: list[T] = []
        self._changed = asyncio.Event()

    def __call__(self, item: T) -> None:
        self.items.append(item)
        self._changed.set()

    async def wait_for(self, predicate: Callable[[T], bool] = lambda _: True) -> T:
        """The first recorded item matching `predicate` (waits for it)."""
        async with asyncio.timeout(WAIT):
            while True:
                for item in self.items:
                    if predicate(item):
                        return item
                self._changed.clear()
                await self._changed.wait()

    async def wait_count(self, count: int) -> list[T]:
        async with asyncio.timeout(WAIT):
            while len(self.items) < count:
                self._changed.clear()
                await self._changed.wait()
        return list(self.items)


def payloads(inbox: Inbox[aether_pb2.IncomingMessage]) -> list[bytes]:
    return [m.payload for m in inbox.items]


async def wait_payload(inbox: Inbox[aether_pb2.IncomingMessage], payload: bytes) -> None:
    await inbox.wait_for(lambda m: m.payload == payload)


async def eventually(predicate: Callable[[], bool], what: str = "condition") -> None:
    deadline = asyncio.get_running_loop().time() + WAIT
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what} not reached")
        await asyncio.sleep(0.02)


async def poll(fetch: Callable[[], Awaitable[T]], done: Callable[[T], bool]) -> T:
    """Call `fetch` until its result satisfies `done` (a TTL runs out, ...); that result."""
    async with asyncio.timeout(WAIT):
        while not done(result := await fetch()):
            await asyncio.sleep(0.05)
    return result


async def released(gateway: EmbeddedGateway, identity: str) -> None:
    """Wait until the in-process gateway has let go of `identity` after its client closed."""
    hub = gateway.services.hub
    await eventually(lambda: hub.session_by_identity(identity) is None, f"{identity} released")


async def barrier(client: BaseAsyncAetherClient) -> None:
    """Return once the gateway has processed every frame `client` sent before this call."""
    response = await client.checkpoint_list(timeout=WAIT)
    assert response is not None and response.success


def messages(client: BaseAsyncAetherClient) -> Inbox[aether_pb2.IncomingMessage]:
    inbox: Inbox[aether_pb2.IncomingMessage] = Inbox()
    client.on_message = inbox
    return inbox


def errors(client: BaseAsyncAetherClient) -> Inbox[aether_pb2.ErrorResponse]:
    inbox: Inbox[aether_pb2.ErrorResponse] = Inbox()
    client.on_error = inbox
    return inbox


# ---------------------------------------------------------------------------------- raw wire


def agent_init(ws: str = "ws", impl: str = "bot", spec: str = "raw", **extra: Any) -> Up:
    identity = aether_pb2.AgentIdentity(workspace=ws, implementation=impl, specifier=spec)
    return Up(init=aether_pb2.InitConnection(agent=identity, **extra))


class RawStream:
    """One Connect RPC driven frame by frame, for checks the SDK would hide."""

    def __init__(self, target: str, channel: grpc.aio.Channel | None = None) -> None:
        self.channel = channel or grpc.aio.insecure_channel(target)
        self.call: Any = aether_pb2_grpc.AetherGatewayStub(self.channel).Connect()
        self.ack = aether_pb2.ConnectionAck()  # filled by open_raw

    async def send(self, frame: Up) -> None:
        await self.call.write(frame)

    async def read(self) -> Down:
        frame = await asyncio.wait_for(self.call.read(), WAIT)
        assert frame is not grpc.aio.EOF, "the stream ended"
        return frame  # type: ignore[no-any-return]

    async def read_arm(self, arm: str) -> Any:
        """The next frame, which must be of `arm`; returns its body."""
        frame = await self.read()
        assert frame.WhichOneof("payload") == arm, frame
        return getattr(frame, arm)

    async def status(self) -> tuple[grpc.StatusCode, str]:
        """Read to the end of the RPC; its final status code and details."""
        try:
            async with asyncio.timeout(WAIT):
                while await self.call.read() is not grpc.aio.EOF:
                    pass
        except grpc.RpcError as error:
            return error.code(), error.details() or ""
        return await self.call.code(), await self.call.details()

    async def close(self) -> None:
        self.call.cancel()
        await self.channel.close(grace=None)


async def open_raw(target: str, init: Up) -> RawStream:
    """A raw stream past its handshake; the ConnectionAck is in `.ack`."""
    stream = RawStream(target)
    await stream.send(init)
    stream.ack.CopyFrom(await stream.read_arm("connection_ack"))
    return stream
