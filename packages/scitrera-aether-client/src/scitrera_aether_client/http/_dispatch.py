"""The serving side of one connection: picks the terminator for each proxied request, reassembles
chunked bodies, runs the handler as a task, and cancels it when the gateway gives up on it."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Protocol

from scitrera_aether_client._core.connection import Connection
from scitrera_aether_client.http._frames import ChunkAssembler, proxy_frames
from scitrera_aether_client.http._replies import send_error
from scitrera_aether_client.proto import aether_pb2

log = logging.getLogger("scitrera_aether_client.proxy")
Kind = aether_pb2.ProxyError


class Terminator(Protocol):
    """What the dispatch needs of a `server.ProxyHttpTerminator`."""

    max_body_bytes: int

    def allows(self, path: str) -> bool: ...

    async def respond(
        self, conn: Connection, request: aether_pb2.ProxyHttpRequest, body: bytes
    ) -> None: ...


@dataclass
class _Inbound:
    request: aether_pb2.ProxyHttpRequest
    terminator: Terminator
    body: ChunkAssembler = field(default_factory=ChunkAssembler)


class _Serving:
    """The serving side of one connection: picks a terminator, reassembles, runs, cancels."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.terminators: list[Terminator] = []
        self.inbound: dict[str, _Inbound] = {}
        self.running: dict[str, asyncio.Task[None]] = {}

    def on_request(self, request: aether_pb2.ProxyHttpRequest) -> None:
        wire_id = request.request_id
        if request.stream_response_indefinitely:
            send_error(self.conn, wire_id, Kind.UNKNOWN, "not supported")
            return
        path = request.path.partition("?")[0] or "/"
        terminator = next((t for t in self.terminators if t.allows(path)), None)
        if terminator is None:
            send_error(self.conn, wire_id, Kind.ACL_DENIED, f"path {path} is not served here")
            return
        if request.body_chunked:
            self.inbound[wire_id] = _Inbound(request, terminator)
        else:
            self._run(terminator, request, request.body)

    def on_chunk(self, chunk: aether_pb2.ProxyHttpBodyChunk) -> None:
        state = self.inbound.get(chunk.request_id)
        if state is None:
            return
        complete = state.body.add(chunk)
        if state.body.size > state.terminator.max_body_bytes:
            del self.inbound[chunk.request_id]
            limit = state.terminator.max_body_bytes
            send_error(
                self.conn,
                chunk.request_id,
                Kind.PAYLOAD_TOO_LARGE,
                f"request body exceeds {limit} bytes",
            )
        elif complete:
            del self.inbound[chunk.request_id]
            self._run(state.terminator, state.request, state.body.body())

    def on_response(self, response: aether_pb2.ProxyHttpResponse) -> None:
        """The gateway gave up on a request (its caller left): drop it, stop its handler."""
        if not response.HasField("error"):
            return
        self.inbound.pop(response.request_id, None)
        task = self.running.pop(response.request_id, None)
        if task is not None:
            task.cancel()

    def _run(
        self, terminator: Terminator, request: aether_pb2.ProxyHttpRequest, body: bytes
    ) -> None:
        wire_id = request.request_id
        task = asyncio.get_running_loop().create_task(
            terminator.respond(self.conn, request, body), name=f"aether-proxy {wire_id}"
        )
        self.running[wire_id] = task
        task.add_done_callback(lambda t: self._done(wire_id, t))

    def _done(self, wire_id: str, task: asyncio.Task[None]) -> None:
        if self.running.get(wire_id) is task:
            del self.running[wire_id]
        if not task.cancelled() and task.exception() is not None:
            log.error("proxy request %s failed", wire_id, exc_info=task.exception())


def serving(conn: Connection) -> _Serving:
    """The connection's serving side, created (and hooked into its proxy frames) on first use."""
    frames = proxy_frames(conn)
    if not isinstance(frames.serving, _Serving):
        frames.serving = _Serving(conn)
    return frames.serving
