"""httpx (sync and async transports) and requests, through our SDK and gateway, to a real
Starlette app served by a ServiceClient: status, headers and bodies (5 MiB both ways) intact."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import requests
from _proxy_app import FIVE_MIB, build_app, pattern

from aether_gateway.embedded import EmbeddedGateway
from scitrera_aether_client import (
    AgentClient,
    AsyncAgentClient,
    AsyncServiceClient,
    ServiceClient,
)
from scitrera_aether_client.http.asgi import serve_asgi, serve_asgi_async
from scitrera_aether_client.http.httpx_transport import (
    AetherAsyncHTTPXTransport,
    AetherHTTPXTransport,
)
from scitrera_aether_client.http.requests_adapter import AetherRequestsAdapter

BIG = pattern(FIVE_MIB)
BIG_SHA = hashlib.sha256(BIG).hexdigest()


@pytest.fixture
def sync_pair(sync_gateway: EmbeddedGateway) -> Iterator[AgentClient]:
    """A Starlette app served by ServiceClient sv::echo::a, and a connected agent to call it."""
    service = ServiceClient("echo", "a")
    service.connect(sync_gateway.target)
    server = serve_asgi(service, build_app())
    caller = AgentClient("ws", "caller", "one")
    caller.connect(sync_gateway.target)
    try:
        yield caller
    finally:
        caller.close()
        server.stop()
        service.close()


@pytest.fixture
async def async_pair(gateway: EmbeddedGateway) -> AsyncIterator[AsyncAgentClient]:
    service = AsyncServiceClient("echo", "a")
    await service.connect(gateway.target)
    server = await serve_asgi_async(service, build_app())
    caller = AsyncAgentClient("ws", "caller", "one")
    await caller.connect(gateway.target)
    try:
        yield caller
    finally:
        await caller.close()
        await server.stop()
        await service.close()


# ---------------------------------------------------------------------- httpx, sync


def test_httpx_sync_get_and_headers(sync_pair: AgentClient) -> None:
    transport = AetherHTTPXTransport(sync_pair, "sv::echo::a")
    with httpx.Client(transport=transport, base_url="http://echo") as http:
        response = http.get(
            "/echo/some/where", params={"q": "1 2", "r": "x"}, headers={"X-Custom": "v"}
        )
    assert response.status_code == 200
    assert response.headers["x-method"] == "GET"
    assert response.headers["x-path"] == "/echo/some/where"
    assert response.headers["x-query"] == "q=1+2&r=x"
    assert response.headers["x-custom-in"] == "v"
    assert response.content == b""


def test_httpx_sync_5mib_both_ways(sync_pair: AgentClient) -> None:
    transport = AetherHTTPXTransport(sync_pair, "sv::echo")  # the wildcard picks sv::echo::a
    with httpx.Client(transport=transport, base_url="http://echo") as http:
        posted = http.post("/echo", content=BIG, headers={"content-type": "application/x-test"})
        fetched = http.get("/blob")
    assert posted.status_code == 201
    assert posted.headers["x-body-sha256"] == BIG_SHA
    assert posted.headers["content-type"] == "application/x-test"
    assert posted.content == BIG
    assert fetched.status_code == 200 and fetched.content == BIG
    assert fetched.headers["content-length"] == str(FIVE_MIB)


def test_lifespan_ran(sync_pair: AgentClient) -> None:
    with httpx.Client(transport=AetherHTTPXTransport(sync_pair, "sv::echo::a")) as http:
        assert http.get("http://x/state").json() == {"started": True}


# ---------------------------------------------------------------------- requests


def test_requests_session_get_post_5mib(sync_pair: AgentClient) -> None:
    with requests.Session() as session:
        session.mount("aether+sv://", AetherRequestsAdapter(sync_pair))
        got = session.get("aether+sv://echo--a/echo/p?x=1", headers={"X-Custom": "r"})
        posted = session.post("aether+sv://echo/echo", data=BIG)
        blob = session.get("aether+sv://sv::echo::a/blob")
    assert got.status_code == 200 and got.reason == "OK"
    assert got.headers["X-Method"] == "GET"
    assert got.headers["x-path"] == "/echo/p" and got.headers["x-query"] == "x=1"
    assert got.headers["x-custom-in"] == "r"
    assert posted.status_code == 201 and posted.headers["x-body-sha256"] == BIG_SHA
    assert posted.content == BIG
    assert blob.status_code == 200 and blob.content == BIG
    assert b"".join(blob.iter_content(65536)) == BIG


# ---------------------------------------------------------------------- httpx, async


async def test_httpx_async_get_post_5mib(async_pair: AsyncAgentClient) -> None:
    transport = AetherAsyncHTTPXTransport(async_pair, "sv::echo::a")
    async with httpx.AsyncClient(transport=transport, base_url="http://echo") as http:
        got = await http.get("/echo", headers={"x-custom": "async"})
        posted = await http.post("/echo", content=BIG)
        fetched = await http.get("/blob", params={"size": str(FIVE_MIB)})
        put = await http.put("/echo", json={"a": 1})
    assert got.status_code == 200 and got.headers["x-custom-in"] == "async"
    assert posted.status_code == 201 and posted.headers["x-body-sha256"] == BIG_SHA
    assert posted.content == BIG
    assert fetched.content == BIG
    assert put.json() == {"a": 1} and put.headers["content-type"] == "application/json"


def test_httpx_async_transport_over_a_sync_client(sync_pair: AgentClient) -> None:
    import asyncio

    async def main() -> httpx.Response:
        transport = AetherAsyncHTTPXTransport(sync_pair, "sv::echo::a")
        async with httpx.AsyncClient(transport=transport) as http:
            return await http.post("http://echo/echo", content=b"from another loop")

    response = asyncio.run(main())
    assert response.status_code == 201 and response.content == b"from another loop"


# ---------------------------------------------------------------------- identity headers


async def test_identity_headers_minted_and_spoofs_stripped(
    async_pair: AsyncAgentClient,
) -> None:
    transport = AetherAsyncHTTPXTransport(async_pair, "sv::echo::a")
    spoofed = {
        "X-Auth-User-ID": "mallory",
        "x-auth-principal-type": "Admin",
        "X-AUTH-EXTRA": "1",
        "X-Aether-Caller-Topic": "sv::evil::one",
        "x-aether-anything": "1",
    }
    async with httpx.AsyncClient(transport=transport) as http:
        seen = (await http.get("http://echo/identity", headers=spoofed)).json()
    assert seen == {
        "x-aether-actor-topic": "ag::ws::caller::one",
        "x-aether-caller-topic": "ag::ws::caller::one",
        "x-auth-tenant-id": "ws",
        "x-auth-workspace-access": "20",  # the seeded agent_workspace fallback
        "x-auth-user-id": "ag::ws::caller::one",
        "x-auth-principal-type": "Agent",
        "x-auth-actor-type": "Agent",
        "x-auth-actor-id": "ag::ws::caller::one",
        "x-auth-authority-mode": "direct",
    }
