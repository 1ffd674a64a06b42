"""README snippets 25-27: "Proxy" (httpx sync transport, httpx async transport, requests
adapter). A ServiceClient sv::memorylayer::default serves a small ASGI app over Aether; the
snippet's `aether_client` is a connected agent. Each response must come from that app, for that
path, with the caller's identity as the gateway minted it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from aether_gateway.embedded import EmbeddedGateway
from scitrera_aether_client import AgentClient, AsyncAgentClient, AsyncServiceClient, ServiceClient
from scitrera_aether_client.proxy_asgi import serve_asgi, serve_asgi_async


async def memory(request: Request) -> JSONResponse:
    return JSONResponse(
        {
            "id": request.path_params["memory_id"],
            "path": request.url.path,
            "caller": request.headers.get("x-aether-actor-topic", ""),
        }
    )


APP = Starlette(routes=[Route("/v1/memories/{memory_id}", memory)])
EXPECTED = {"id": "abc", "path": "/v1/memories/abc", "caller": "ag::default::caller::01"}


@pytest.fixture
def sync_client(sync_gateway: EmbeddedGateway) -> Iterator[AgentClient]:
    service = ServiceClient("memorylayer", "default")
    service.connect(sync_gateway.target)
    server = serve_asgi(service, APP)
    caller = AgentClient("default", "caller", "01")
    caller.connect(sync_gateway.target)
    yield caller
    caller.close()
    server.stop()
    service.close()


@pytest.fixture
async def async_client(gateway: EmbeddedGateway) -> AsyncIterator[AsyncAgentClient]:
    service = AsyncServiceClient("memorylayer", "default")
    await service.connect(gateway.target)
    server = await serve_asgi_async(service, APP)
    caller = AsyncAgentClient("default", "caller", "01")
    await caller.connect(gateway.target)
    yield caller
    await caller.close()
    await server.stop()
    await service.close()


def test_25_httpx_sync_transport(sync_client: AgentClient) -> None:
    aether_client = sync_client

    # --- snippet 25 as written ---
    import httpx

    from scitrera_aether_client.httpx_transport import AetherHTTPXTransport

    transport = AetherHTTPXTransport(aether_client, "sv::memorylayer::default")
    with httpx.Client(transport=transport) as http:
        resp = http.get("http://ignored/v1/memories/abc")
    # --- end of snippet ---

    assert resp.status_code == 200
    assert resp.json() == EXPECTED


async def test_26_httpx_async_transport(async_client: AsyncAgentClient) -> None:
    aether_client = async_client

    # --- snippet 26 as written ---
    import httpx

    from scitrera_aether_client.httpx_transport import AetherAsyncHTTPXTransport

    transport = AetherAsyncHTTPXTransport(aether_client, "sv::memorylayer::default")
    async with httpx.AsyncClient(transport=transport) as http:
        resp = await http.get("http://ignored/v1/memories/abc")
    # --- end of snippet ---

    assert resp.status_code == 200
    assert resp.json() == EXPECTED


def test_27_requests_adapter(sync_client: AgentClient) -> None:
    aether_client = sync_client

    # --- snippet 27 as written ---
    import requests

    from scitrera_aether_client.requests_adapter import AetherRequestsAdapter

    session = requests.Session()
    session.mount("aether+sv://", AetherRequestsAdapter(aether_client))
    resp = session.get("aether+sv://memorylayer--default/v1/memories/abc")  # (result kept)
    # --- end of snippet ---

    session.close()
    assert resp.status_code == 200
    assert json.loads(resp.content) == EXPECTED
