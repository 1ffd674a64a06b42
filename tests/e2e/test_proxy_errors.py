"""Proxy failures over real gRPC: unknown service, timeouts, the inline cap, chain depth, handler
errors, and peers that go away mid-request. Errors always arrive as ProxyHttpResponse.error."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import requests
from _proxy_app import build_app

from aether_gateway.embedded import EmbeddedGateway
from scitrera_aether_client import (
    AgentClient,
    AsyncAgentClient,
    AsyncServiceClient,
    InvalidArgumentError,
    ServiceClient,
    TimeoutError,
)
from scitrera_aether_client.exceptions import InvalidPayloadTypeError
from scitrera_aether_client.http.asgi import serve_asgi_async
from scitrera_aether_client.http.httpx_transport import (
    AetherAsyncHTTPXTransport,
    AetherHTTPXTransport,
)
from scitrera_aether_client.http.proxy import ProxyError, proxy_http, proxy_http_async
from scitrera_aether_client.http.requests_adapter import AetherRequestsAdapter
from scitrera_aether_client.http.server import MintedRequest, serve, serve_async
from scitrera_aether_client.proto import aether_pb2

Kind = aether_pb2.ProxyError
Up = aether_pb2.UpstreamMessage


@pytest.fixture
async def caller(gateway: EmbeddedGateway) -> AsyncIterator[AsyncAgentClient]:
    client = AsyncAgentClient("ws", "caller", "one")
    await client.connect(gateway.target)
    yield client
    await client.close()


async def _service(gateway: EmbeddedGateway, spec: str = "a") -> AsyncServiceClient:
    service = AsyncServiceClient("svc", spec)
    await service.connect(gateway.target)
    return service


async def _raw(client: AsyncAgentClient, frame: Up) -> aether_pb2.ProxyHttpResponse:
    """Send a hand-built frame and wait for the ProxyHttpResponse with its request_id."""
    response: aether_pb2.ProxyHttpResponse = await client._conn.request(
        frame, aether_pb2.ProxyHttpResponse, 10.0
    )
    assert response is not None
    return response


# ---------------------------------------------------------------------- unknown services


async def test_unknown_service_is_sidecar_unavailable(caller: AsyncAgentClient) -> None:
    with pytest.raises(ProxyError) as info:
        await proxy_http_async(caller, "sv::nobody", "GET", "/")
    assert info.value.kind == Kind.SIDECAR_UNAVAILABLE
    assert info.value.kind_name == "SIDECAR_UNAVAILABLE" == info.value.code
    assert info.value.message == "no healthy sv::nobody instances available"
    assert info.value.request_id
    with pytest.raises(ProxyError) as concrete:
        await proxy_http_async(caller, "sv::nobody::here", "GET", "/", timeout=30)
    assert concrete.value.kind == Kind.SIDECAR_UNAVAILABLE  # promptly: we know it is offline


async def test_unknown_service_through_async_httpx(caller: AsyncAgentClient) -> None:
    transport = AetherAsyncHTTPXTransport(caller, "sv::nobody::here")
    async with httpx.AsyncClient(transport=transport) as http:
        with pytest.raises(httpx.ConnectError) as info:
            await http.get("http://x/")
    assert isinstance(info.value.__cause__, ProxyError)


def test_unknown_service_through_sync_adapters(sync_gateway: EmbeddedGateway) -> None:
    with AgentClient("ws", "caller", "sync") as client:
        client.connect(sync_gateway.target)
        transport = AetherHTTPXTransport(client, "sv::nobody")
        with httpx.Client(transport=transport) as http, pytest.raises(httpx.ConnectError):
            http.get("http://x/")
        with requests.Session() as session:
            session.mount("aether+sv://", AetherRequestsAdapter(client))
            with pytest.raises(requests.exceptions.ConnectionError) as info:
                session.get("aether+sv://nobody--here/")
        assert isinstance(info.value.__cause__, ProxyError)
        with pytest.raises(ProxyError):
            proxy_http(client, "sv::nobody::here", "GET", "/")


# ---------------------------------------------------------------------- timeouts


async def test_timeout_raises_timeout_error(
    gateway: EmbeddedGateway, caller: AsyncAgentClient
) -> None:
    service = await _service(gateway)
    server = await serve_asgi_async(service, build_app())
    try:
        with pytest.raises(TimeoutError) as info:
            await proxy_http_async(caller, "sv::svc::a", "GET", "/slow?s=5", timeout=0.3)
        assert info.value.operation == "proxy_http"
        transport = AetherAsyncHTTPXTransport(caller, "sv::svc::a", timeout=0.3)
        async with httpx.AsyncClient(transport=transport) as http:
            with pytest.raises(httpx.TimeoutException):
                await http.get("http://x/slow?s=5")
    finally:
        await server.stop()
        await service.close()


def test_timeout_through_requests(sync_gateway: EmbeddedGateway) -> None:
    service = ServiceClient("svc", "sync")
    service.connect(sync_gateway.target)
    server = serve(service, lambda req: time.sleep(2) or (200, {}, b"late"))
    try:
        with AgentClient("ws", "caller", "sync") as client:
            client.connect(sync_gateway.target)
            with requests.Session() as session:
                session.mount("aether+sv://", AetherRequestsAdapter(client))
                with pytest.raises(requests.exceptions.Timeout):
                    session.get("aether+sv://svc--sync/", timeout=0.3)
    finally:
        server.stop()
        service.close()


# ---------------------------------------------------------------------- gateway checks


async def test_inline_body_over_8_mib_is_payload_too_large(
    gateway: EmbeddedGateway, caller: AsyncAgentClient
) -> None:
    service = await _service(gateway)
    await serve_async(service, lambda req: (200, {}, b"never"))
    try:
        request = aether_pb2.ProxyHttpRequest(
            request_id=uuid.uuid4().hex,
            target_topic="sv::svc::a",
            method="POST",
            path="/",
            body=b"x" * (8 * 1024 * 1024 + 1),
        )
        response = await _raw(caller, Up(proxy_http_request=request))
        assert response.error.kind == Kind.PAYLOAD_TOO_LARGE
        assert response.error.message == (
            "request body size 8388609 exceeds maximum of 8388608 bytes"
        )
    finally:
        await service.close()


async def test_chain_depth_cap(gateway: EmbeddedGateway, caller: AsyncAgentClient) -> None:
    service = await _service(gateway)
    await serve_async(service, lambda req: (200, {}, b"ok"))
    try:
        deep = aether_pb2.ProxyHttpRequest(
            request_id="deep",
            target_topic="sv::svc::a",
            method="GET",
            path="/",
            proxy_chain_depth=8,
        )
        response = await _raw(caller, Up(proxy_http_request=deep))
        assert response.error.kind == Kind.ACL_DENIED
        assert response.error.message == "proxy_chain_depth_exceeded: inbound=8 cap=8"
        ok = aether_pb2.ProxyHttpRequest(
            request_id="ok", target_topic="sv::svc::a", method="GET", path="/", proxy_chain_depth=7
        )
        answered = await _raw(caller, Up(proxy_http_request=ok))
        assert answered.status_code == 200 and answered.body == b"ok"
    finally:
        await service.close()


async def test_request_chunk_without_a_request_is_refused(caller: AsyncAgentClient) -> None:
    chunk = aether_pb2.ProxyHttpBodyChunk(request_id="stray", is_request=True, seq=0, fin=True)
    response = await _raw(caller, Up(proxy_http_body_chunk=chunk))
    assert response.error.kind == Kind.SIDECAR_UNAVAILABLE
    assert response.error.message == "request pin expired or unknown"


async def test_obo_is_refused_without_an_authority_service(
    gateway: EmbeddedGateway, caller: AsyncAgentClient
) -> None:
    service = await _service(gateway)
    await serve_async(service, lambda req: (200, {}, b"ok"))
    try:
        with pytest.raises(ProxyError) as info:
            await proxy_http_async(
                caller,
                "sv::svc::a",
                "GET",
                "/",
                authority_mode="on_behalf_of",
                subject_type="user",
                subject_id="alice",
                grant_id="g1",
            )
        assert info.value.kind == Kind.ACL_DENIED
    finally:
        await service.close()


# ---------------------------------------------------------------------- terminator behaviour


async def test_handler_exception_is_500(gateway: EmbeddedGateway, caller: AsyncAgentClient) -> None:
    service = await _service(gateway)

    async def handler(req: MintedRequest) -> tuple[int, dict[str, str], bytes]:
        raise ValueError("handler bug")

    await serve_async(service, handler)
    try:
        response = await proxy_http_async(caller, "sv::svc::a", "GET", "/")
        assert response.status_code == 500
        assert response.body == b"internal server error"
    finally:
        await service.close()


async def test_asgi_app_raising_is_500(gateway: EmbeddedGateway, caller: AsyncAgentClient) -> None:
    service = await _service(gateway)

    async def broken_app(scope: object, receive: object, send: object) -> None:
        raise RuntimeError("no")

    await serve_asgi_async(service, broken_app)  # type: ignore[arg-type]
    starlette = await _service(gateway, "b")
    await serve_asgi_async(starlette, build_app())
    try:
        response = await proxy_http_async(caller, "sv::svc::a", "GET", "/")
        assert (response.status_code, response.body) == (500, b"internal server error")
        # Starlette answers its own 500 before re-raising: that answer is kept.
        assert (await proxy_http_async(caller, "sv::svc::b", "GET", "/boom")).status_code == 500
    finally:
        await service.close()
        await starlette.close()


async def test_paths_and_streaming_refusals(
    gateway: EmbeddedGateway, caller: AsyncAgentClient
) -> None:
    service = await _service(gateway)
    await serve_async(service, lambda req: (200, {}, req.path), allow_paths=["/api/*"])
    try:
        assert (await proxy_http_async(caller, "sv::svc::a", "GET", "/api/x?y=1")).body == b"/api/x"
        assert (await proxy_http_async(caller, "sv::svc::a", "GET", "/api")).body == b"/api"
        with pytest.raises(ProxyError) as denied:
            await proxy_http_async(caller, "sv::svc::a", "GET", "/admin")
        assert denied.value.kind == Kind.ACL_DENIED
        streaming = aether_pb2.ProxyHttpRequest(
            request_id="s",
            target_topic="sv::svc::a",
            method="GET",
            path="/api/x",
            stream_response_indefinitely=True,
        )
        refused = await _raw(caller, Up(proxy_http_request=streaming))
        assert (refused.error.kind, refused.error.message) == (Kind.UNKNOWN, "not supported")
    finally:
        await service.close()


# ---------------------------------------------------------------------- peers that leave


async def test_service_leaving_before_it_answers(
    gateway: EmbeddedGateway, caller: AsyncAgentClient
) -> None:
    service = await _service(gateway)
    entered = asyncio.Event()

    async def handler(req: MintedRequest) -> tuple[int, dict[str, str], bytes]:
        entered.set()
        await asyncio.sleep(60)
        return 200, {}, b""

    await serve_async(service, handler)
    call = asyncio.create_task(proxy_http_async(caller, "sv::svc::a", "GET", "/", timeout=30))
    await asyncio.wait_for(entered.wait(), 5)
    await service.close()
    with pytest.raises(ProxyError) as info:
        await asyncio.wait_for(call, 10)  # well under the 30 s timeout
    assert info.value.kind == Kind.SIDECAR_UNAVAILABLE
    assert info.value.message.startswith("peer session ended (")


async def test_service_leaving_mid_response(
    gateway: EmbeddedGateway, caller: AsyncAgentClient
) -> None:
    """A terminator that sent the header and part of a chunked body, then disconnected."""
    service = await _service(gateway)

    def half_answer(request: aether_pb2.ProxyHttpRequest) -> None:
        rid = request.request_id
        head = aether_pb2.ProxyHttpResponse(request_id=rid, status_code=200, body_chunked=True)
        part = aether_pb2.ProxyHttpBodyChunk(request_id=rid, seq=0, data=b"partial")
        service._conn.enqueue(Up(proxy_http_response=head))
        service._conn.enqueue(Up(proxy_http_body_chunk=part))
        asyncio.get_running_loop().create_task(service.close())

    service._conn.add_runtime_handler("proxy_http_request", half_answer)
    with pytest.raises(ProxyError) as info:
        await asyncio.wait_for(proxy_http_async(caller, "sv::svc::a", "GET", "/", timeout=30), 10)
    assert info.value.kind == Kind.SIDECAR_UNAVAILABLE
    assert "peer session ended" in info.value.message


async def test_caller_leaving_cancels_the_handler(gateway: EmbeddedGateway) -> None:
    service = await _service(gateway)
    entered, cancelled = asyncio.Event(), asyncio.Event()

    async def handler(req: MintedRequest) -> tuple[int, dict[str, str], bytes]:
        entered.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return 200, {}, b""

    await serve_async(service, handler)
    leaving = AsyncAgentClient("ws", "caller", "leaving")
    await leaving.connect(gateway.target)
    call = asyncio.create_task(proxy_http_async(leaving, "sv::svc::a", "GET", "/"))
    await asyncio.wait_for(entered.wait(), 5)
    await leaving.close()
    with pytest.raises(Exception):  # noqa: B017 - the caller's own close fails the call
        await call
    await asyncio.wait_for(cancelled.wait(), 5)  # the gateway told the terminator
    await service.close()


# ---------------------------------------------------------------------- arguments


async def test_arguments_are_validated(caller: AsyncAgentClient) -> None:
    bad: list[tuple[dict[str, object], type[Exception]]] = [
        ({"method": "GE T"}, InvalidArgumentError),
        ({"method": ""}, InvalidArgumentError),
        ({"path": "no-slash"}, InvalidArgumentError),
        ({"path": "/a b"}, InvalidArgumentError),
        ({"timeout": 0}, InvalidArgumentError),
        ({"timeout": -1.0}, InvalidArgumentError),
        ({"body": "text"}, InvalidPayloadTypeError),
        ({"headers": {"x": 1}}, InvalidArgumentError),
        ({"target_topic": ""}, InvalidArgumentError),
    ]
    for override, error in bad:
        kwargs: dict[str, object] = {
            "target_topic": "sv::svc::a",
            "method": "GET",
            "path": "/",
            **override,
        }
        with pytest.raises(error):
            await proxy_http_async(caller, **kwargs)  # type: ignore[arg-type]
    sync_only = AgentClient("ws", "x", "y")
    with pytest.raises(InvalidArgumentError):
        proxy_http(caller, "sv::svc::a", "GET", "/")  # type: ignore[arg-type]
    del sync_only
