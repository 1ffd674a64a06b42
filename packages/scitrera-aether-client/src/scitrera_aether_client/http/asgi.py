"""Serve any ASGI application (FastAPI, Starlette, ...) over Aether.

    app = Starlette(routes=[...])
    server = serve_asgi(service_client, app)              # sync ServiceClient
    server = await serve_asgi_async(async_service, app)   # AsyncServiceClient
    ...
    server.stop()                                         # runs the lifespan shutdown

Each proxied request becomes one ASGI `http` scope: method, path (decoded) and raw_path, query
string, headers (lowercased names), the whole body in one `http.request` message. The app's
`http.response.*` messages are collected and sent back as one response (chunked over the stream
when large). The app runs on the client's event loop: for a sync client that is the SDK's
background loop, so blocking work belongs in the app's thread pool (Starlette and FastAPI already
run plain `def` endpoints there). The lifespan protocol runs when the app supports it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any, TypeAlias
from urllib.parse import unquote

from scitrera_aether_client import exceptions as exc
from scitrera_aether_client._core.loop_thread import run_sync
from scitrera_aether_client.client import BaseAetherClient
from scitrera_aether_client.client_async import BaseAsyncAetherClient
from scitrera_aether_client.http._frames import PROXY_BODY_CHUNK_SIZE
from scitrera_aether_client.http.server import (
    DEFAULT_MAX_BODY_BYTES,
    MintedRequest,
    ProxyHttpTerminator,
    serving_terminator,
)

__all__ = ["ASGIHandler", "AsgiServer", "AsyncAsgiServer", "serve_asgi", "serve_asgi_async"]

log = logging.getLogger("scitrera_aether_client.proxy")
Scope: TypeAlias = MutableMapping[str, Any]
Message: TypeAlias = MutableMapping[str, Any]
Receive: TypeAlias = Callable[[], Awaitable[Message]]
Send: TypeAlias = Callable[[Message], Awaitable[None]]
ASGIApp: TypeAlias = Callable[[Scope, Receive, Send], Awaitable[None]]
LIFESPAN_MODES = ("auto", "on", "off")
_ASGI = {"version": "3.0", "spec_version": "2.3"}


def _latin1(text: str) -> bytes:
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


class ASGIHandler:
    """A proxy handler that runs each request through an ASGI application."""

    def __init__(self, app: ASGIApp, *, root_path: str = "") -> None:
        self.app = app
        self.root_path = root_path
        self.state: dict[str, Any] = {}  # filled by the lifespan startup, copied into each scope

    def scope(self, req: MintedRequest) -> Scope:
        caller = req.headers.get("x-aether-actor-topic", "")
        raw_path = req.path
        return {
            "type": "http",
            "asgi": dict(_ASGI),
            "http_version": "1.1",
            "method": req.method.upper(),
            "scheme": "http",
            "path": unquote(raw_path),
            "raw_path": raw_path.encode("utf-8"),
            "query_string": req.query.encode("utf-8"),
            "root_path": self.root_path,
            "headers": [(k.lower().encode("latin-1"), _latin1(v)) for k, v in req.headers.items()],
            "client": (caller, 0) if caller else None,
            "server": None,
            "extensions": {},
            "state": dict(self.state),
        }

    async def __call__(self, req: MintedRequest) -> tuple[int, list[tuple[str, str]], bytes]:
        status: int | None = None
        headers: list[tuple[str, str]] = []
        body: list[bytes] = []
        finished = asyncio.Event()
        body_given = False

        async def receive() -> Message:
            nonlocal body_given
            if not body_given:
                body_given = True
                return {"type": "http.request", "body": req.body, "more_body": False}
            await finished.wait()  # the "client" stays until the response is complete
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            nonlocal status
            kind = message["type"]
            if kind == "http.response.start":
                status = int(message["status"])
                headers.extend(
                    (bytes(k).decode("latin-1"), bytes(v).decode("latin-1"))
                    for k, v in message.get("headers", ())
                )
            elif kind == "http.response.body" and not finished.is_set():
                body.append(bytes(message.get("body", b"")))
                if not message.get("more_body", False):
                    finished.set()

        try:
            await self.app(self.scope(req), receive, send)
        except Exception:
            if not finished.is_set():
                raise  # the terminator answers 500 "internal server error"
            log.exception("ASGI app raised after completing its response to %s", req.path)
        finally:
            finished.set()
        if status is None:
            raise RuntimeError("the ASGI app returned without starting a response")
        return status, headers, b"".join(body)


class Lifespan:
    """The ASGI lifespan protocol: startup before serving, shutdown after."""

    def __init__(self, app: ASGIApp, state: dict[str, Any], mode: str) -> None:
        self.app = app
        self.state = state
        self.mode = mode
        self._to_app: asyncio.Queue[Message] = asyncio.Queue()
        self._from_app: asyncio.Queue[Message] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.supported = False

    async def startup(self) -> None:
        if self.mode == "off":
            return
        scope = {"type": "lifespan", "asgi": dict(_ASGI), "state": self.state}

        async def run() -> None:
            await self.app(scope, self._to_app.get, self._from_app.put)

        self._task = asyncio.get_running_loop().create_task(run())
        await self._to_app.put({"type": "lifespan.startup"})
        reply = await self._reply()
        if reply is None:  # the app does not speak lifespan
            if self.mode == "on":
                raise RuntimeError("the ASGI app does not support the lifespan protocol")
            return
        if reply["type"] == "lifespan.startup.failed":
            raise RuntimeError(f"ASGI lifespan startup failed: {reply.get('message', '')}")
        self.supported = True

    async def shutdown(self) -> None:
        if not self.supported or self._task is None:
            return
        await self._to_app.put({"type": "lifespan.shutdown"})
        reply = await self._reply()
        if reply is not None and reply["type"] == "lifespan.shutdown.failed":
            log.error("ASGI lifespan shutdown failed: %s", reply.get("message", ""))
        self.supported = False

    async def _reply(self) -> Message | None:
        """The app's next lifespan message, or None once the lifespan task has ended."""
        assert self._task is not None
        getter = asyncio.ensure_future(self._from_app.get())
        await asyncio.wait({getter, self._task}, return_when=asyncio.FIRST_COMPLETED)
        if getter.done():
            return getter.result()
        getter.cancel()
        if not self._task.cancelled() and self._task.exception() is not None:
            log.debug("ASGI lifespan ended: %r", self._task.exception())
        return None


class AsyncAsgiServer:
    """An ASGI app served from an async client; `await stop()` ends serving and the lifespan."""

    def __init__(self, terminator: ProxyHttpTerminator, lifespan: Lifespan) -> None:
        self.terminator = terminator
        self.lifespan = lifespan

    async def stop(self) -> None:
        await self.terminator.stop()
        await self.lifespan.shutdown()


class AsgiServer:
    """An ASGI app served from a sync client; `stop()` ends serving and the lifespan."""

    def __init__(self, inner: AsyncAsgiServer) -> None:
        self._inner = inner
        self.terminator = inner.terminator

    def stop(self) -> None:
        run_sync(self._inner.stop())

    def __enter__(self) -> AsgiServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


async def _start(
    client: BaseAetherClient | BaseAsyncAetherClient,
    app: ASGIApp,
    allow_paths: Sequence[str] | None,
    lifespan: str,
    root_path: str,
    header_mode: str,
    body_chunk_size: int,
    max_body_bytes: int,
    tenant_id: str | None,
) -> AsyncAsgiServer:
    if lifespan not in LIFESPAN_MODES:
        raise exc.InvalidArgumentError(
            f"lifespan must be one of {LIFESPAN_MODES}, got {lifespan!r}", "lifespan"
        )
    if not callable(app):
        raise exc.InvalidArgumentError("app must be an ASGI application", "app")
    handler = ASGIHandler(app, root_path=root_path)
    terminator = serving_terminator(
        client, handler, allow_paths, header_mode, body_chunk_size, max_body_bytes, tenant_id
    )
    manager = Lifespan(app, handler.state, lifespan)
    await manager.startup()
    await terminator.start()
    return AsyncAsgiServer(terminator, manager)


def serve_asgi(
    client: BaseAetherClient,
    app: ASGIApp,
    *,
    allow_paths: Sequence[str] | None = None,
    lifespan: str = "auto",
    root_path: str = "",
    header_mode: str = "passthrough",
    body_chunk_size: int = PROXY_BODY_CHUNK_SIZE,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    tenant_id: str | None = None,
) -> AsgiServer:
    """Serve `app` from a sync client; returns once the lifespan startup is done."""
    if not isinstance(client, BaseAetherClient):
        raise exc.InvalidArgumentError(
            "serve_asgi needs a sync client; use serve_asgi_async", "client"
        )
    inner = run_sync(
        _start(
            client,
            app,
            allow_paths,
            lifespan,
            root_path,
            header_mode,
            body_chunk_size,
            max_body_bytes,
            tenant_id,
        )
    )
    return AsgiServer(inner)


async def serve_asgi_async(
    client: BaseAsyncAetherClient,
    app: ASGIApp,
    *,
    allow_paths: Sequence[str] | None = None,
    lifespan: str = "auto",
    root_path: str = "",
    header_mode: str = "passthrough",
    body_chunk_size: int = PROXY_BODY_CHUNK_SIZE,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    tenant_id: str | None = None,
) -> AsyncAsgiServer:
    """Serve `app` from an async client; returns once the lifespan startup is done."""
    if not isinstance(client, BaseAsyncAetherClient):
        raise exc.InvalidArgumentError("serve_asgi_async needs an async client", "client")
    return await _start(
        client,
        app,
        allow_paths,
        lifespan,
        root_path,
        header_mode,
        body_chunk_size,
        max_body_bytes,
        tenant_id,
    )
