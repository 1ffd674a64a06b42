"""A small Starlette application the proxy tests serve over Aether."""

from __future__ import annotations

import asyncio
import hashlib

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

FIVE_MIB = 5 * 1024 * 1024


def pattern(size: int) -> bytes:
    """Deterministic, non-repeating-per-chunk bytes, so a misordered chunk changes the digest."""
    block = bytes(range(256)) * 4096  # 1 MiB
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += counter.to_bytes(4, "big") + block[: size - len(out) - 4]
        counter += 1
    return bytes(out[:size])


async def echo(request: Request) -> Response:
    body = await request.body()
    return Response(
        body,
        status_code=201 if request.method == "POST" else 200,
        headers={
            "x-method": request.method,
            "x-path": request.url.path,
            "x-query": request.url.query,
            "x-body-sha256": hashlib.sha256(body).hexdigest(),
            "x-custom-in": request.headers.get("x-custom", ""),
        },
        media_type=request.headers.get("content-type", "application/octet-stream"),
    )


async def blob(request: Request) -> Response:
    size = int(request.query_params.get("size", str(FIVE_MIB)))
    return Response(pattern(size), media_type="application/octet-stream")


async def identity(request: Request) -> JSONResponse:
    seen = {k: v for k, v in request.headers.items() if k.startswith(("x-auth-", "x-aether-"))}
    return JSONResponse(seen)


async def state(request: Request) -> JSONResponse:
    return JSONResponse({"started": bool(getattr(request.app.state, "started", False))})


async def boom(request: Request) -> Response:
    raise RuntimeError("boom")


async def slow(request: Request) -> PlainTextResponse:
    await asyncio.sleep(float(request.query_params.get("s", "5")))
    return PlainTextResponse("late")


def build_app() -> Starlette:
    from collections.abc import AsyncIterator
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.started = True
        yield
        app.state.started = False

    return Starlette(
        routes=[
            Route("/echo", echo, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
            Route("/echo/{rest:path}", echo, methods=["GET", "POST"]),
            Route("/blob", blob),
            Route("/identity", identity),
            Route("/state", state),
            Route("/boom", boom),
            Route("/slow", slow),
        ],
        lifespan=lifespan,
    )
