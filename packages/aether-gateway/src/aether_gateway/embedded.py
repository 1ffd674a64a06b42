"""Run a gateway in-process: `async with EmbeddedGateway() as gw` or `with run_gateway() as gw`.

Both start on 127.0.0.1 with an ephemeral port and in-memory storage by default and expose
`gw.target` ("127.0.0.1:PORT") for clients, so a test starts a real gateway in one line.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

import grpc

from aether_gateway.config import GatewayConfig
from aether_gateway.limits import keepalive_options
from aether_gateway.observability.server import OpsServer
from aether_gateway.server import Gateway
from aether_gateway.services import Services
from aether_gateway.store.db import Database
from scitrera_aether_client.wire import aether_pb2_grpc

log = logging.getLogger("aether_gateway")


class EmbeddedGateway:
    """A gateway on the current event loop."""

    def __init__(
        self,
        config: GatewayConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        server_credentials: grpc.ServerCredentials | None = None,
        dev_mode: bool | None = None,
    ) -> None:
        config = config or GatewayConfig(dev_mode=True)
        if dev_mode is not None:
            config = dataclasses.replace(config, dev_mode=dev_mode)
        self.config = config
        self.host = host
        self.port = port
        self.server_credentials = server_credentials
        self.db: Database | None = None
        self.gateway: Gateway | None = None
        self._server: grpc.aio.Server | None = None
        self._credential_watch: asyncio.Task[None] | None = None
        self._queue_sweep: asyncio.Task[None] | None = None  # expires stored frames (TTL)
        self._ops: OpsServer | None = None
        self._stopping = False

    @property
    def ops_url(self) -> str | None:
        """`http://HOST:PORT` of the ops endpoint (config.ops_port), or None when it is off."""
        return self._ops.url if self._ops is not None else None

    def readiness(self) -> str | None:
        """None when the gateway serves (gRPC up, database answering), else why not (/readyz)."""
        if self._server is None or self._stopping or self.db is None:
            return "stopping" if self._stopping else "not started"
        try:
            self.db.conn.execute("SELECT 1").fetchone()
        except Exception as exc:  # any failure of the database means: do not send traffic here
            return f"database: {exc}"
        return None

    @property
    def target(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def services(self) -> Services:
        assert self.gateway is not None, "the gateway is not started"
        return self.gateway.services

    async def start(self) -> EmbeddedGateway:
        self._stopping = False
        if self.config.dev_mode:
            log.warning("dev mode: anonymous principals are admitted and admin is open to everyone")
        self.db = Database(self.config.data_path)
        self.gateway = Gateway(self.config, Services(self.config, self.db))
        limit = self.config.max_message_bytes
        server = grpc.aio.server(
            options=[
                ("grpc.max_receive_message_length", limit),
                ("grpc.max_send_message_length", limit),
                ("grpc.so_reuseport", 0),
                *keepalive_options(self.config),  # a silent peer's identity comes free
            ]
        )
        aether_pb2_grpc.add_AetherGatewayServicer_to_server(self.gateway, server)
        address = f"{self.host}:{self.port}"
        if self.server_credentials is not None:
            self.port = server.add_secure_port(address, self.server_credentials)
        else:
            self.port = server.add_insecure_port(address)
        await server.start()
        self._server = server
        self._credential_watch = asyncio.create_task(
            self.gateway.services.revocations.watch(self.config.credential_check_s)
        )
        self._queue_sweep = asyncio.create_task(self.gateway.services.queue_limits.sweep_forever())
        if self.config.ops_port is not None:
            ops = OpsServer(
                self.gateway.metrics, self.readiness, self.config.ops_host, self.config.ops_port
            )
            self._ops = await ops.start()
        return self

    async def stop(self, grace: float = 1.0) -> None:
        """Send GRACEFUL_DISCONNECT to every session, then stop serving and close the database."""
        if self._server is None:
            return
        assert self.gateway is not None and self.db is not None
        self._stopping = True  # /readyz answers 503 while sessions drain
        if self._credential_watch is not None:
            self._credential_watch.cancel()
            self._credential_watch = None
        if self._queue_sweep is not None:
            self._queue_sweep.cancel()
            self._queue_sweep = None
        await self.gateway.shutdown()
        await self._server.stop(grace)
        self._server = None
        self.gateway.hub.commit.close()
        self.db.close()
        if self._ops is not None:
            await self._ops.stop()
            self._ops = None

    async def wait(self) -> None:
        if self._server is not None:
            await self._server.wait_for_termination()

    async def __aenter__(self) -> EmbeddedGateway:
        return await self.start()

    async def __aexit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()


@contextmanager
def run_gateway(
    config: GatewayConfig | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    server_credentials: grpc.ServerCredentials | None = None,
    dev_mode: bool | None = None,
) -> Iterator[EmbeddedGateway]:
    """Run a gateway on a background thread for synchronous code and tests."""
    gateway = EmbeddedGateway(
        config, host=host, port=port, server_credentials=server_credentials, dev_mode=dev_mode
    )
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    failure: list[BaseException] = []

    def serve() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(gateway.start())
        except BaseException as exc:
            failure.append(exc)
            ready.set()
            return
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, name="aether-gateway", daemon=True)
    thread.start()
    ready.wait()
    if failure:
        raise failure[0]
    try:
        yield gateway
    finally:
        asyncio.run_coroutine_threadsafe(gateway.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
