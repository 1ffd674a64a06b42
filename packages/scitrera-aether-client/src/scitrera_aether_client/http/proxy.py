"""HTTP over Aether, requester side: send one HTTP request to a service over the client's stream.

    resp = proxy_http(client, "sv::memorylayer", "GET", "/v1/health")
    resp.status_code, dict(resp.headers), resp.body

The target is a topic: `sv::impl::spec` (one instance) or `sv::impl` (the gateway picks a live
instance). The result is the ProxyHttpResponse proto with the whole body, even when the
terminator sent it in chunks. Failures the gateway or the terminator report raise `ProxyError`;
no answer within `timeout` raises `exceptions.TimeoutError`. `proxy_http` needs a sync client,
`proxy_http_async` an async one (or a sync one, whose loop it then waits on).
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from scitrera_aether_client import exceptions as exc
from scitrera_aether_client._core.connection import Connection, Pending
from scitrera_aether_client._core.loop_thread import background_loop, run_sync
from scitrera_aether_client._core.validation import check_non_negative, check_timeout, check_topic
from scitrera_aether_client._facade.connection import connection_of
from scitrera_aether_client.client import BaseAetherClient
from scitrera_aether_client.client_async import BaseAsyncAetherClient
from scitrera_aether_client.http._frames import (
    PROXY_BODY_CHUNK_SIZE,
    ChunkAssembler,
    chunk_frames,
    proxy_frames,
)
from scitrera_aether_client.proto import aether_pb2

__all__ = [
    "PROXY_BODY_CHUNK_SIZE",
    "ProxyError",
    "build_authorization",
    "proxy_http",
    "proxy_http_async",
]

Kind = aether_pb2.ProxyError
HeadersLike = Mapping[str, str] | Iterable[tuple[str, str]]
# The core's correlation table fails this entry on an ErrorResponse with our request_id or a lost
# stream; no frame arm carries this name, so the proxy frames themselves reach our exchange.
_PENDING_ARM = "proxy_http"
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")  # an HTTP method is an RFC 9110 token


class ProxyError(exc.AetherError):
    """The gateway or the terminator answered with a ProxyError (its `code` is the kind name)."""

    def __init__(
        self, message: str, kind: int = Kind.UNKNOWN, request_id: str = "", code: str | None = None
    ) -> None:
        self.kind = int(kind)
        self.kind_name = _kind_name(self.kind)
        self.request_id = request_id
        super().__init__(message, code if code is not None else self.kind_name)

    @classmethod
    def from_proto(cls, error: aether_pb2.ProxyError, request_id: str = "") -> ProxyError:
        return cls(error.message or _kind_name(error.kind), error.kind, request_id)


def _kind_name(kind: int) -> str:
    try:
        return Kind.Kind.Name(kind)
    except ValueError:
        return f"KIND_{kind}"


# ---------------------------------------------------------------------- building the request


def build_authorization(
    authorization: aether_pb2.AuthorizationContext | None = None,
    authority_mode: str | None = None,
    subject_type: str | None = None,
    subject_id: str | None = None,
    grant_id: str | None = None,
) -> aether_pb2.AuthorizationContext | None:
    """An AuthorizationContext from a ready one and/or the OBO shorthand (shorthand wins)."""
    if authorization is not None and not isinstance(authorization, aether_pb2.AuthorizationContext):
        raise exc.InvalidArgumentError(
            "authorization must be an aether_pb2.AuthorizationContext", argument="authorization"
        )
    shorthand = (authority_mode, subject_type, subject_id, grant_id)
    if authorization is None and all(v is None for v in shorthand):
        return None
    out = aether_pb2.AuthorizationContext()
    if authorization is not None:
        out.CopyFrom(authorization)
    names = ("authority_mode", "subject_type", "subject_id", "grant_id")
    for name, value in zip(names, shorthand, strict=True):
        if value is not None and not isinstance(value, str):
            raise exc.InvalidArgumentError(f"{name} must be a str", argument=name)
    if authority_mode is not None:
        out.authority_mode = authority_mode
    if subject_type is not None:
        out.subject.principal_type = subject_type
    if subject_id is not None:
        out.subject.principal_id = subject_id
    if grant_id is not None:
        out.grant_id = grant_id
    return out


def merge_headers(headers: HeadersLike | None) -> dict[str, str]:
    """Headers as the proto's map: repeated names (compared without case) joined with ", "."""
    if headers is None:
        return {}
    items = headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, str] = {}
    by_lower: dict[str, str] = {}
    try:
        pairs = list(items)
    except TypeError:
        raise exc.InvalidArgumentError(
            "headers must be a mapping or pairs of str", argument="headers"
        ) from None
    for pair in pairs:
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise exc.InvalidArgumentError("headers must be pairs of str", argument="headers")
        name, value = pair
        if not isinstance(name, str) or not isinstance(value, str) or not name:
            raise exc.InvalidArgumentError(
                f"header {name!r} must be a non-empty str with a str value", argument="headers"
            )
        seen = by_lower.get(name.lower())
        if seen is None:
            by_lower[name.lower()] = name
            out[name] = value
        else:
            out[seen] = f"{out[seen]}, {value}"
    return out


def build_request(
    target_topic: str,
    method: str,
    path: str,
    headers: HeadersLike | None,
    body: object,
    *,
    timeout: float,
    follow_redirects: bool,
    app_workspace: str | None,
    request_id: str | None,
    authorization: aether_pb2.AuthorizationContext | None,
    backend: str | None,
    stream_idle_timeout_ms: int,
    max_response_body_bytes: int,
) -> tuple[aether_pb2.ProxyHttpRequest, bytes]:
    """Validate the arguments; the request header frame (body still attached) and the body."""
    check_topic("target_topic", target_topic)
    if not isinstance(method, str) or not _TOKEN.match(method):
        raise exc.InvalidArgumentError(f"invalid HTTP method {method!r}", argument="method")
    if not isinstance(path, str) or not path.startswith("/"):
        raise exc.InvalidArgumentError(f"path must start with '/', got {path!r}", argument="path")
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in path):
        raise exc.InvalidArgumentError(
            "path must not contain whitespace or control characters", argument="path"
        )
    if not isinstance(body, bytes | bytearray | memoryview):
        raise exc.InvalidPayloadTypeError(
            f"body must be bytes, got {type(body).__name__}", argument="body"
        )
    check_timeout("timeout", timeout)
    for name, value in (("app_workspace", app_workspace), ("backend", backend)):
        if value is not None and not isinstance(value, str):
            raise exc.InvalidArgumentError(f"{name} must be a str", argument=name)
    if request_id is not None and (not isinstance(request_id, str) or not request_id):
        raise exc.InvalidArgumentError("request_id must be a non-empty str", argument="request_id")
    check_non_negative("stream_idle_timeout_ms", stream_idle_timeout_ms)
    check_non_negative("max_response_body_bytes", max_response_body_bytes)
    request = aether_pb2.ProxyHttpRequest(
        request_id=request_id or uuid.uuid4().hex,
        target_topic=target_topic,
        method=method,
        path=path,
        headers=merge_headers(headers),
        app_workspace=app_workspace or "",
        timeout_ms=int(timeout * 1000),
        follow_redirects=bool(follow_redirects),
        backend_name=backend or "",
        stream_idle_timeout_ms=stream_idle_timeout_ms,
        max_response_body_bytes=max_response_body_bytes,
    )
    if authorization is not None:
        request.authorization.CopyFrom(authorization)
    return request, bytes(body)


# ---------------------------------------------------------------------- one request in flight


class _Exchange:
    """Turns the frames answering one request into the call's result (on the connection's loop)."""

    def __init__(self, request_id: str, future: asyncio.Future[Any], max_body: int) -> None:
        self.request_id = request_id
        self.future = future
        self.max_body = max_body
        self.header: aether_pb2.ProxyHttpResponse | None = None
        self.body = ChunkAssembler()

    def on_response(self, response: aether_pb2.ProxyHttpResponse) -> None:
        if self.future.done():
            return
        if response.HasField("error"):
            self.future.set_exception(ProxyError.from_proto(response.error, self.request_id))
        elif not response.body_chunked:
            self.future.set_result(response)
        elif self.header is None:
            self.header = response
            self._finish_if_complete()

    def on_chunk(self, chunk: aether_pb2.ProxyHttpBodyChunk) -> None:
        if self.future.done():
            return
        self.body.add(chunk)
        if self.max_body and self.body.size > self.max_body:
            message = f"response body exceeds max_response_body_bytes={self.max_body}"
            self.future.set_exception(ProxyError(message, Kind.PAYLOAD_TOO_LARGE, self.request_id))
            return
        self._finish_if_complete()

    def _finish_if_complete(self) -> None:
        if self.header is not None and self.body.complete:
            response = self.header
            response.body = self.body.body()
            response.body_chunked = False  # the body is whole now
            self.future.set_result(response)


async def exchange(
    conn: Connection, request: aether_pb2.ProxyHttpRequest, body: bytes, timeout: float
) -> aether_pb2.ProxyHttpResponse:
    """Send the request (chunking a large body) and wait for the whole response."""
    rid = request.request_id
    if rid in conn.pending:
        raise exc.InvalidArgumentError(f"request_id {rid!r} is already in flight", "request_id")
    frames = proxy_frames(conn)
    chunked = len(body) > PROXY_BODY_CHUNK_SIZE
    if chunked:
        request.body_chunked = True
    else:
        request.body = body
    header = aether_pb2.UpstreamMessage(proxy_http_request=request)
    future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    conn.pending[rid] = Pending(future, _PENDING_ARM, header, idempotent=False)
    frames.exchanges[rid] = _Exchange(rid, future, request.max_response_body_bytes)
    try:
        conn.enqueue(header)
        if chunked:
            for frame in chunk_frames(rid, body, is_request=True, size=PROXY_BODY_CHUNK_SIZE):
                conn.enqueue(frame)
        response: aether_pb2.ProxyHttpResponse = await asyncio.wait_for(future, timeout)
        return response
    except TimeoutError:
        raise exc.TimeoutError(
            f"no response to {request.method} {request.path} from {request.target_topic}",
            operation="proxy_http",
            timeout_seconds=timeout,
        ) from None
    finally:
        conn.pending.pop(rid, None)
        frames.exchanges.pop(rid, None)


# ---------------------------------------------------------------------- public entry points


def proxy_http(
    client: BaseAetherClient,
    target_topic: str,
    method: str,
    path: str,
    headers: HeadersLike | None = None,
    body: bytes = b"",
    *,
    timeout: float = 30.0,
    follow_redirects: bool = False,
    app_workspace: str | None = None,
    request_id: str | None = None,
    authorization: aether_pb2.AuthorizationContext | None = None,
    checked_access: object = None,
    authority_mode: str | None = None,
    subject_type: str | None = None,
    subject_id: str | None = None,
    grant_id: str | None = None,
    backend: str | None = None,
    stream_response: bool = False,
    stream_idle_timeout_ms: int = 0,
    max_response_body_bytes: int = 0,
) -> aether_pb2.ProxyHttpResponse:
    """Send an HTTP request to `target_topic` through a sync client and wait for the response.

    Raises ProxyError when the gateway or terminator reports a failure (`.kind`, `.kind_name`),
    exceptions.TimeoutError after `timeout` seconds, InvalidArgumentError for bad arguments.
    """
    if not isinstance(client, BaseAetherClient):
        raise exc.InvalidArgumentError(
            "proxy_http needs a sync client; use proxy_http_async with an async client", "client"
        )
    _unsupported(checked_access, stream_response)
    request, data = build_request(
        target_topic,
        method,
        path,
        headers,
        body,
        timeout=timeout,
        follow_redirects=follow_redirects,
        app_workspace=app_workspace,
        request_id=request_id,
        authorization=build_authorization(
            authorization, authority_mode, subject_type, subject_id, grant_id
        ),
        backend=backend,
        stream_idle_timeout_ms=stream_idle_timeout_ms,
        max_response_body_bytes=max_response_body_bytes,
    )
    return run_sync(exchange(connection_of(client), request, data, timeout))


async def proxy_http_async(
    client: BaseAsyncAetherClient | BaseAetherClient,
    target_topic: str,
    method: str,
    path: str,
    headers: HeadersLike | None = None,
    body: bytes = b"",
    *,
    timeout: float = 30.0,
    follow_redirects: bool = False,
    app_workspace: str | None = None,
    request_id: str | None = None,
    authorization: aether_pb2.AuthorizationContext | None = None,
    checked_access: object = None,
    authority_mode: str | None = None,
    subject_type: str | None = None,
    subject_id: str | None = None,
    grant_id: str | None = None,
    backend: str | None = None,
    stream_response: bool = False,
    stream_idle_timeout_ms: int = 0,
    max_response_body_bytes: int = 0,
) -> aether_pb2.ProxyHttpResponse:
    """proxy_http for async code: same arguments, same errors."""
    if not isinstance(client, BaseAsyncAetherClient | BaseAetherClient):
        raise exc.InvalidArgumentError("client must be an Aether client", "client")
    _unsupported(checked_access, stream_response)
    request, data = build_request(
        target_topic,
        method,
        path,
        headers,
        body,
        timeout=timeout,
        follow_redirects=follow_redirects,
        app_workspace=app_workspace,
        request_id=request_id,
        authorization=build_authorization(
            authorization, authority_mode, subject_type, subject_id, grant_id
        ),
        backend=backend,
        stream_idle_timeout_ms=stream_idle_timeout_ms,
        max_response_body_bytes=max_response_body_bytes,
    )
    if isinstance(client, BaseAsyncAetherClient):
        return await exchange(connection_of(client), request, data, timeout)
    # A sync client's core runs on the background loop: run the exchange there, await it here.
    running = asyncio.run_coroutine_threadsafe(
        exchange(connection_of(client), request, data, timeout), background_loop()
    )
    return await asyncio.wrap_future(running)


def _unsupported(checked_access: object, stream_response: bool) -> None:
    if checked_access is not None:
        raise exc.NotImplementedError(
            "checked_access needs ProxyHttpRequest fields this SDK's aether.v1 subset does not "
            "declare",
            operation="proxy_http",
        )
    if stream_response:
        raise exc.NotImplementedError(
            "stream_response is not supported: the response is returned whole",
            operation="proxy_http",
        )
