"""HTTP over Aether, serving side: answer proxied HTTP requests from a handler on this client.

(Also importable as `scitrera_aether_client.proxy_server`, its original path.)

    def handler(req: MintedRequest) -> tuple[int, dict[str, str], bytes]:
        return 200, {"content-type": "text/plain"}, b"hello " + req.body

    server = serve(service_client, handler)            # sync client: returns at once
    server = await serve_async(async_service, handler)  # async client

The handler may be sync (run in a worker thread) or async (a task on the client's loop); it returns
`(status, headers, body)` or a ProxyHttpResponse. Each request runs as its own task, so a handler
may make SDK calls on the same client. Chunked request bodies are reassembled before it runs and
large responses are chunked for it. A handler that raises answers 500 "internal server error".
For any ASGI application (FastAPI, Starlette, ...) see `http.asgi.serve_asgi`.

`ProxyHttpTerminator` is the reference client's name for the same thing (`await start()`,
`await stop()`); its header_mode defaults to "strict" as there, `serve` to "passthrough".
"""

from __future__ import annotations

import asyncio
import fnmatch
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeAlias

from scitrera_aether_client import exceptions as exc
from scitrera_aether_client._core.connection import Connection
from scitrera_aether_client._core.loop_thread import run_sync
from scitrera_aether_client._facade.connection import connection_of
from scitrera_aether_client.client import BaseAetherClient
from scitrera_aether_client.client_async import BaseAsyncAetherClient
from scitrera_aether_client.http._dispatch import serving
from scitrera_aether_client.http._frames import PROXY_BODY_CHUNK_SIZE
from scitrera_aether_client.http._headers import (
    HEADER_MODES,
    OBO_POLICIES,
    HeaderMinter,
    ProxyRefusal,
)
from scitrera_aether_client.http._replies import normalize_result, send_error, send_response
from scitrera_aether_client.proto import aether_pb2

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "HandlerResult",
    "MintedRequest",
    "ProxyHttpTerminator",
    "SyncServer",
    "serve",
    "serve_async",
]

log = logging.getLogger("scitrera_aether_client.proxy")
Up = aether_pb2.UpstreamMessage
Kind = aether_pb2.ProxyError
AnyClient: TypeAlias = BaseAetherClient | BaseAsyncAetherClient

#: Largest request body a terminator accepts (the Go terminator backend's max_body_bytes).
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class MintedRequest:
    """One proxied HTTP request as a handler sees it."""

    method: str
    path: str  # without the query string
    query: str  # after "?", still percent-encoded ("" if none)
    headers: dict[str, str]
    body: bytes
    request_id: str  # the gateway's wire id: what the reply must carry
    authorization: aether_pb2.AuthorizationContext | None = None
    app_workspace: str = ""
    access_receipt: Any = None  # not in this SDK's aether.v1 subset: always None
    target_topic: str = ""
    timeout_ms: int = 0
    follow_redirects: bool = False


HandlerResult: TypeAlias = (
    aether_pb2.ProxyHttpResponse
    | tuple[int, Mapping[str, str] | Iterable[tuple[str, str]], bytes | str]
)
Handler: TypeAlias = Callable[[MintedRequest], HandlerResult | Awaitable[HandlerResult]]


def minted_request(request: aether_pb2.ProxyHttpRequest, body: bytes) -> MintedRequest:
    path, _, query = request.path.partition("?")
    return MintedRequest(
        method=request.method,
        path=path or "/",
        query=query,
        headers=dict(request.headers),
        body=body,
        request_id=request.request_id,
        authorization=request.authorization if request.HasField("authorization") else None,
        app_workspace=request.app_workspace,
        target_topic=request.target_topic,
        timeout_ms=request.timeout_ms,
        follow_redirects=request.follow_redirects,
    )


class ProxyHttpTerminator:
    """Serves proxied HTTP requests whose path matches `allow_paths` with `handler`."""

    def __init__(
        self,
        client: AnyClient,
        handler: Handler,
        allow_paths: Sequence[str] | None = None,
        header_mode: str = "strict",
        body_chunk_size: int = PROXY_BODY_CHUNK_SIZE,
        resolver: Callable[..., Any] | None = None,
        obo_policy: str = "require_resolver",
        tenant_id: str | None = None,
        *,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        if header_mode not in HEADER_MODES:
            raise ValueError(f"header_mode must be one of {HEADER_MODES}, got {header_mode!r}")
        if obo_policy not in OBO_POLICIES:
            raise ValueError(f"obo_policy must be one of {OBO_POLICIES}, got {obo_policy!r}")
        if isinstance(body_chunk_size, bool) or not isinstance(body_chunk_size, int):
            raise ValueError("body_chunk_size must be an int")
        if body_chunk_size <= 0:
            raise ValueError(f"body_chunk_size must be positive, got {body_chunk_size}")
        if not callable(handler):
            raise ValueError("handler must be callable")
        self.client = client
        self.handler = handler
        self.allow_paths = list(allow_paths) if allow_paths is not None else ["/*"]
        self.header_mode = header_mode
        self.body_chunk_size = body_chunk_size
        self.max_body_bytes = max_body_bytes
        self.minter = HeaderMinter(client, header_mode, resolver, obo_policy, tenant_id)
        self.started = False

    def allows(self, path: str) -> bool:
        return any(_path_matches(pattern, path) for pattern in self.allow_paths)

    async def start(self) -> None:
        """Begin serving (idempotent). Call it on the client's loop, as async clients do."""
        if not self.started:
            serving(connection_of(self.client)).terminators.append(self)
            self.started = True

    async def stop(self) -> None:
        """Stop taking new requests (idempotent); requests already running finish."""
        if self.started:
            terminators = serving(connection_of(self.client)).terminators
            if self in terminators:
                terminators.remove(self)
            self.started = False

    # ------------------------------------------------------------------ one request

    async def respond(
        self, conn: Connection, request: aether_pb2.ProxyHttpRequest, body: bytes
    ) -> None:
        """Run the handler for one request and send its answer (chunked when large)."""
        wire_id = request.request_id
        minted = minted_request(request, body)
        try:
            headers = await self.minter.mint(minted.headers, minted.authorization)
        except ProxyRefusal as refusal:
            send_error(conn, wire_id, refusal.kind, refusal.message)
            return
        minted = replace(minted, headers=headers)
        try:
            result = await self._call(minted)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("proxy handler failed for %s %s", request.method, request.path)
            result = (500, {"content-type": "text/plain; charset=utf-8"}, b"internal server error")
        try:
            response = normalize_result(result)
        except (TypeError, ValueError) as problem:
            send_error(conn, wire_id, Kind.UPSTREAM_RESET, f"invalid handler result: {problem}")
            return
        limit = request.max_response_body_bytes
        if limit and len(response.body) > limit:
            message = f"response body of {len(response.body)} bytes exceeds {limit}"
            send_error(conn, wire_id, Kind.PAYLOAD_TOO_LARGE, message)
            return
        send_response(conn, wire_id, response, self.body_chunk_size)

    async def _call(self, minted: MintedRequest) -> Any:
        if inspect.iscoroutinefunction(self.handler) or inspect.iscoroutinefunction(
            getattr(self.handler, "__call__", None)  # noqa: B004 - async __call__ objects
        ):
            return await self.handler(minted)  # type: ignore[misc]
        result = await asyncio.get_running_loop().run_in_executor(None, self.handler, minted)
        if inspect.isawaitable(result):
            result = await result
        return result


def _path_matches(pattern: str, path: str) -> bool:
    if pattern == path or fnmatch.fnmatchcase(path, pattern):
        return True
    return pattern.endswith("/*") and path == pattern[:-2]


# ---------------------------------------------------------------------- entry points


def serving_terminator(
    client: AnyClient,
    handler: Handler,
    allow_paths: Sequence[str] | None,
    header_mode: str,
    body_chunk_size: int,
    max_body_bytes: int,
    tenant_id: str | None,
) -> ProxyHttpTerminator:
    """The terminator of serve, serve_async and the ASGI entry points (http.asgi)."""
    return ProxyHttpTerminator(
        client,
        handler,
        allow_paths,
        header_mode,
        body_chunk_size,
        tenant_id=tenant_id,
        max_body_bytes=max_body_bytes,
    )


def serve(
    client: BaseAetherClient,
    handler: Handler,
    *,
    allow_paths: Sequence[str] | None = None,
    header_mode: str = "passthrough",
    body_chunk_size: int = PROXY_BODY_CHUNK_SIZE,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    tenant_id: str | None = None,
) -> SyncServer:
    """Serve proxied HTTP from a sync client (e.g. ServiceClient); returns at once."""
    if not isinstance(client, BaseAetherClient):
        raise exc.InvalidArgumentError("serve needs a sync client; use serve_async", "client")
    terminator = serving_terminator(
        client, handler, allow_paths, header_mode, body_chunk_size, max_body_bytes, tenant_id
    )
    run_sync(terminator.start())
    return SyncServer(terminator)


async def serve_async(
    client: BaseAsyncAetherClient,
    handler: Handler,
    *,
    allow_paths: Sequence[str] | None = None,
    header_mode: str = "passthrough",
    body_chunk_size: int = PROXY_BODY_CHUNK_SIZE,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    tenant_id: str | None = None,
) -> ProxyHttpTerminator:
    """Serve proxied HTTP from an async client (e.g. AsyncServiceClient); returns at once."""
    if not isinstance(client, BaseAsyncAetherClient):
        raise exc.InvalidArgumentError("serve_async needs an async client; use serve", "client")
    terminator = serving_terminator(
        client, handler, allow_paths, header_mode, body_chunk_size, max_body_bytes, tenant_id
    )
    await terminator.start()
    return terminator


class SyncServer:
    """What `serve` returns: `stop()` (blocking) ends serving."""

    def __init__(self, terminator: ProxyHttpTerminator) -> None:
        self.terminator = terminator

    def stop(self) -> None:
        run_sync(self.terminator.stop())

    def __enter__(self) -> SyncServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
