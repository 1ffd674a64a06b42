"""The proxy benchmark's application server: one small Starlette app, served one of two ways.

    python benchmarks/_proxy_app_server.py aether --target HOST:PORT   # ServiceClient sv::bench::a
    python benchmarks/_proxy_app_server.py uvicorn                     # HTTP on 127.0.0.1

Prints "READY <port or topic>" once it serves, then runs until SIGTERM. Its own process, so the
app never shares a GIL with the benchmark driver or the gateway.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

SERVICE = ("bench", "a")


async def ping(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


async def echo(request: Request) -> Response:
    return Response(await request.body(), media_type="application/octet-stream")


def build_app() -> Starlette:
    return Starlette(routes=[Route("/ping", ping), Route("/echo", echo, methods=["POST"])])


def serve_aether(target: str) -> None:
    from scitrera_aether_client import ServiceClient
    from scitrera_aether_client.proxy_asgi import serve_asgi

    client = ServiceClient(*SERVICE)
    client.connect(target)
    server = serve_asgi(client, build_app())
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    print(f"READY sv::{SERVICE[0]}::{SERVICE[1]}", flush=True)
    stop.wait()
    server.stop()
    client.close()


def serve_uvicorn() -> None:
    import socket

    import uvicorn

    with socket.socket() as probe:  # a free port; uvicorn binds it itself (and sets its options)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        build_app(), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        threading.Event().wait(0.01)
    print(f"READY {port}", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    server.should_exit = True
    thread.join(5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=("aether", "uvicorn"))
    parser.add_argument("--target", default="")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    if args.mode == "aether":
        serve_aether(args.target)
    else:
        serve_uvicorn()
    return 0


if __name__ == "__main__":
    sys.exit(main())
