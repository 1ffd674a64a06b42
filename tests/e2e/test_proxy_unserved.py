"""A proxied request to a live client that serves no HTTP fails at once, not at its timeout."""

from __future__ import annotations

import time

import pytest

from aether_gateway.embedded import EmbeddedGateway
from scitrera_aether_client import AsyncAgentClient, AsyncServiceClient
from scitrera_aether_client.http.proxy import ProxyError, proxy_http_async
from scitrera_aether_client.proto import aether_pb2


async def test_request_to_a_service_that_serves_nothing_is_refused(
    gateway: EmbeddedGateway,
) -> None:
    service = AsyncServiceClient("quiet", "one")  # connected, but never called serve()
    caller = AsyncAgentClient("ws", "caller", "c1")
    await service.connect(gateway.target)
    await caller.connect(gateway.target)
    started = time.monotonic()
    with pytest.raises(ProxyError) as info:
        await proxy_http_async(caller, "sv::quiet::one", "GET", "/", timeout=30.0)
    assert info.value.kind == aether_pb2.ProxyError.DIAL_FAILED
    assert time.monotonic() - started < 25  # answered, not timed out
    await caller.close()
    await service.close()
