"""The ops HTTP endpoint: GET /metrics, /healthz and /readyz.

It runs on the gateway's own event loop (asyncio streams, no thread): a scrape reads the gateway's
state without locks, and a loop too busy to answer /healthz is exactly what liveness should see.
HTTP/1.1 with one request per connection; enough for Prometheus and Kubernetes probes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from prometheus_client.exposition import choose_encoder

from aether_gateway.observability.metrics import GatewayMetrics

log = logging.getLogger("aether_gateway")
MAX_HEAD_BYTES = 8192  # request line and headers; a probe sends a few hundred
READ_TIMEOUT_S = 5.0
Readiness = Callable[[], str | None]  # None when ready, else why not


class OpsServer:
    """Serves one gateway's metrics and probes on `host:port` (port 0 picks a free one)."""

    def __init__(
        self, metrics: GatewayMetrics, readiness: Readiness, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.metrics = metrics
        self.readiness = readiness
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> OpsServer:
        self._server = await asyncio.start_server(
            self._serve, self.host, self.port, limit=MAX_HEAD_BYTES
        )
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(READ_TIMEOUT_S):
                head = await reader.readuntil(b"\r\n\r\n")
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            writer.close()
            return
        try:
            status, content_type, body = self._answer(head)
            writer.write(
                f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode("latin-1")
            )
            if not head.startswith(b"HEAD "):
                writer.write(body)
            await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    def _answer(self, head: bytes) -> tuple[str, str, bytes]:
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3:
            return "400 Bad Request", "text/plain", b"bad request\n"
        method, target = parts[0], parts[1].split("?", 1)[0]
        if method not in ("GET", "HEAD"):
            return "405 Method Not Allowed", "text/plain", b"GET or HEAD only\n"
        if target == "/metrics":
            accept = ""
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "accept":
                    accept = value.strip()
            encoder, content_type = choose_encoder(accept)  # text or OpenMetrics, as asked
            return "200 OK", content_type, encoder(self.metrics.registry)
        if target == "/healthz":
            return "200 OK", "text/plain", b"ok\n"
        if target == "/readyz":
            problem = self.readiness()
            if problem is None:
                return "200 OK", "text/plain", b"ready\n"
            return "503 Service Unavailable", "text/plain", f"not ready: {problem}\n".encode()
        return "404 Not Found", "text/plain", b"not found: try /metrics, /healthz or /readyz\n"
