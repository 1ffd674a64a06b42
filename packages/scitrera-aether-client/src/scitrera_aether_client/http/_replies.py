"""The serving side's replies: a handler's result as a response proto, sent inline or chunked."""

from __future__ import annotations

import logging
from typing import Any

from scitrera_aether_client import exceptions as exc
from scitrera_aether_client._core.connection import Connection
from scitrera_aether_client.http._frames import chunk_frames
from scitrera_aether_client.http.proxy import merge_headers
from scitrera_aether_client.proto import aether_pb2

log = logging.getLogger("scitrera_aether_client.proxy")
Up = aether_pb2.UpstreamMessage


def send_error(conn: Connection, wire_id: str, kind: int, message: str) -> None:
    error = aether_pb2.ProxyError(kind=kind, message=message)  # type: ignore[arg-type]
    _enqueue(
        conn,
        [Up(proxy_http_response=aether_pb2.ProxyHttpResponse(request_id=wire_id, error=error))],
    )


def send_response(
    conn: Connection, wire_id: str, response: aether_pb2.ProxyHttpResponse, chunk_size: int
) -> None:
    """Inline when the body fits one chunk, else a body_chunked header then chunks with fin."""
    response.request_id = wire_id
    body = response.body
    if len(body) <= chunk_size:
        response.body_chunked = False
        _enqueue(conn, [Up(proxy_http_response=response)])
        return
    response.body = b""
    response.body_chunked = True
    frames = [Up(proxy_http_response=response)]
    frames += chunk_frames(wire_id, body, is_request=False, size=chunk_size)
    _enqueue(conn, frames)


def _enqueue(conn: Connection, frames: list[aether_pb2.UpstreamMessage]) -> None:
    """Send a reply; a client closed meanwhile has nobody left to answer."""
    try:
        for frame in frames:
            conn.enqueue(frame)
    except exc.ConnectionError as error:
        log.info("proxy reply dropped: %s", error)


def normalize_result(result: Any) -> aether_pb2.ProxyHttpResponse:
    """A handler's ProxyHttpResponse or (status, headers, body) as a response proto."""
    if isinstance(result, aether_pb2.ProxyHttpResponse):
        out = aether_pb2.ProxyHttpResponse()
        out.CopyFrom(result)
        return out
    if not isinstance(result, tuple) or len(result) != 3:
        raise TypeError("expected (status, headers, body) or a ProxyHttpResponse")
    status, headers, body = result
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 999:
        raise ValueError(f"invalid status {status!r}")
    if isinstance(body, str):
        body = body.encode()
    if not isinstance(body, bytes | bytearray | memoryview):
        raise TypeError(f"body must be bytes or str, got {type(body).__name__}")
    try:
        merged = merge_headers(headers)
    except exc.InvalidArgumentError as problem:
        raise TypeError(problem.message) from None
    return aether_pb2.ProxyHttpResponse(status_code=status, headers=merged, body=bytes(body))
