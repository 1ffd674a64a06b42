"""The HTTP proxy's frames on one connection: who gets them, and the body chunking both sides share.

A connection can be a requester (proxy_http) and a terminator (serving HTTP) at once, so one
`ProxyFrames` per connection takes the three runtime arms and routes them: responses and response
chunks to the requester's exchange with that request_id; requests and request chunks to the
serving side. Everything here runs on the connection's event loop.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from typing import Protocol

from scitrera_aether_client._core.connection import Connection
from scitrera_aether_client.proto import aether_pb2

#: Bodies above this size travel as ProxyHttpBodyChunk frames of this size (both directions).
PROXY_BODY_CHUNK_SIZE = 256 * 1024

Up = aether_pb2.UpstreamMessage


class ChunkAssembler:
    """Collects body chunks in any order; complete once fin and every seq before it are in."""

    def __init__(self) -> None:
        self._parts: dict[int, bytes] = {}
        self._last: int | None = None
        self.size = 0

    def add(self, chunk: aether_pb2.ProxyHttpBodyChunk) -> bool:
        """Take one chunk (duplicates are ignored); True when the body is complete."""
        if chunk.seq not in self._parts:
            self._parts[chunk.seq] = chunk.data
            self.size += len(chunk.data)
        if chunk.fin:
            self._last = chunk.seq
        return self.complete

    @property
    def complete(self) -> bool:
        last = self._last
        return last is not None and all(seq in self._parts for seq in range(last + 1))

    def body(self) -> bytes:
        assert self._last is not None
        return b"".join(self._parts[seq] for seq in range(self._last + 1))


def split_body(body: bytes, size: int) -> Iterator[tuple[int, bytes, bool]]:
    """(seq, piece, fin) for a chunked body; an empty body is still one (empty) fin chunk."""
    count = max(1, -(-len(body) // size))
    view = memoryview(body)
    for seq in range(count):
        yield seq, bytes(view[seq * size : (seq + 1) * size]), seq == count - 1


def chunk_frames(request_id: str, body: bytes, *, is_request: bool, size: int) -> list[Up]:
    return [
        Up(
            proxy_http_body_chunk=aether_pb2.ProxyHttpBodyChunk(
                request_id=request_id, is_request=is_request, seq=seq, data=piece, fin=fin
            )
        )
        for seq, piece, fin in split_body(body, size)
    ]


class ExchangeSink(Protocol):
    """The requester's view of one request in flight."""

    def on_response(self, response: aether_pb2.ProxyHttpResponse) -> None: ...

    def on_chunk(self, chunk: aether_pb2.ProxyHttpBodyChunk) -> None: ...


class ServingSide(Protocol):
    """The terminator's view: requests, request chunks, and errors the gateway sends it."""

    def on_request(self, request: aether_pb2.ProxyHttpRequest) -> None: ...

    def on_chunk(self, chunk: aether_pb2.ProxyHttpBodyChunk) -> None: ...

    def on_response(self, response: aether_pb2.ProxyHttpResponse) -> None: ...


class ProxyFrames:
    """Routes one connection's proxy frames; create it with `proxy_frames(conn)`."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.exchanges: dict[str, ExchangeSink] = {}
        self.serving: ServingSide | None = None
        conn.add_runtime_handler("proxy_http_response", self._on_response)
        conn.add_runtime_handler("proxy_http_body_chunk", self._on_chunk)
        conn.add_runtime_handler("proxy_http_request", self._on_request)

    def _on_response(self, response: aether_pb2.ProxyHttpResponse) -> None:
        sink = self.exchanges.get(response.request_id)
        if sink is not None:
            sink.on_response(response)
        elif self.serving is not None:
            self.serving.on_response(response)  # e.g. "peer session ended" for a wire id

    def _on_chunk(self, chunk: aether_pb2.ProxyHttpBodyChunk) -> None:
        if chunk.is_request:
            if self.serving is not None:
                self.serving.on_chunk(chunk)
            return
        sink = self.exchanges.get(chunk.request_id)
        if sink is not None:
            sink.on_chunk(chunk)

    def _on_request(self, request: aether_pb2.ProxyHttpRequest) -> None:
        if self.serving is not None:
            self.serving.on_request(request)
        else:
            self.conn._refuse_http(request)


_BY_CONNECTION: weakref.WeakKeyDictionary[Connection, ProxyFrames] = weakref.WeakKeyDictionary()


def proxy_frames(conn: Connection) -> ProxyFrames:
    """The connection's ProxyFrames, created (and its runtime handlers registered) on first use."""
    frames = _BY_CONNECTION.get(conn)
    if frames is None:
        frames = _BY_CONNECTION[conn] = ProxyFrames(conn)
    return frames
