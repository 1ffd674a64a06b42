"""A toy Aether relay: the least a grpc.aio server must do to route agent messages.

    python benchmarks/_toy_relay.py [--port 0] [--style rw|iter]

It answers InitConnection(agent) with a ConnectionAck and forwards SendMessage to the live agent
whose topic it names, as IncomingMessage. No validation, permissions, persistence or limits. It
is the floor against which gateway_bench.py puts the real gateway ("gateway / toy relay"): both
pay for the same gRPC frames, so the ratio is what the gateway's own work costs.

--style rw (default) reads with context.read() and writes with context.write() from one task per
stream; --style iter uses the request iterator and yields responses (the gateway's style).
Prints "READY <port>" once it serves; stops on SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import AsyncIterator
from typing import Any

import grpc

from scitrera_aether_client.proto import aether_pb2, aether_pb2_grpc

Down = aether_pb2.DownstreamMessage


class ToyRelay(aether_pb2_grpc.AetherGatewayServicer):
    def __init__(self) -> None:
        self.queues: dict[str, asyncio.Queue[Down | None]] = {}

    def _open(self, init: aether_pb2.InitConnection) -> tuple[str, asyncio.Queue[Down | None]]:
        a = init.agent
        topic = f"ag::{a.workspace}::{a.implementation}::{a.specifier}"
        queue: asyncio.Queue[Down | None] = asyncio.Queue()
        self.queues[topic] = queue
        queue.put_nowait(Down(connection_ack=aether_pb2.ConnectionAck(session_id=topic)))
        return topic, queue

    def _route(self, source: str, frame: aether_pb2.UpstreamMessage) -> None:
        if frame.WhichOneof("payload") != "send":
            return
        send = frame.send
        queue = self.queues.get(send.target_topic)
        if queue is not None:
            msg = aether_pb2.IncomingMessage(
                source_topic=source, payload=send.payload, message_type=send.message_type
            )
            queue.put_nowait(Down(msg=msg))


class ReadWriteRelay(ToyRelay):
    async def Connect(self, request_iterator: Any, context: Any) -> None:
        first = await context.read()
        if first is grpc.aio.EOF:
            return
        topic, queue = self._open(first.init)

        async def pump() -> None:
            while True:
                frame = await context.read()
                if frame is grpc.aio.EOF:
                    break
                self._route(topic, frame)
            queue.put_nowait(None)

        reader = asyncio.get_running_loop().create_task(pump())
        try:
            while (item := await queue.get()) is not None:
                await context.write(item)
        finally:
            reader.cancel()
            self.queues.pop(topic, None)


class IteratorRelay(ToyRelay):
    async def Connect(self, frames: AsyncIterator[Any], context: Any) -> AsyncIterator[Down]:
        first = await anext(aiter(frames))
        topic, queue = self._open(first.init)

        async def pump() -> None:
            async for frame in frames:
                self._route(topic, frame)
            queue.put_nowait(None)

        reader = asyncio.get_running_loop().create_task(pump())
        try:
            while (item := await queue.get()) is not None:
                yield item
        finally:
            reader.cancel()
            self.queues.pop(topic, None)


async def serve(port: int, style: str) -> None:
    server = grpc.aio.server()
    relay = IteratorRelay() if style == "iter" else ReadWriteRelay()
    aether_pb2_grpc.add_AetherGatewayServicer_to_server(relay, server)
    port = server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"READY {port}", flush=True)
    await stop.wait()
    await server.stop(0.5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--style", choices=["rw", "iter"], default="rw")
    args = parser.parse_args(argv)
    asyncio.run(serve(args.port, args.style))
    return 0


if __name__ == "__main__":
    sys.exit(main())
