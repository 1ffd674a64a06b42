"""httpx transports that send every request over Aether to one target topic.

    transport = AetherHTTPXTransport(client, "sv::memorylayer::default")
    with httpx.Client(transport=transport, base_url="http://memorylayer") as http:
        http.get("/v1/health")

The URL's host is ignored; its path and query, the headers and the body are proxied. Failures
become httpx exceptions: SIDECAR_UNAVAILABLE and DIAL_FAILED -> httpx.ConnectError, timeouts ->
httpx.ReadTimeout (an httpx.TimeoutException), UPSTREAM_RESET -> httpx.ReadError, any other kind
-> AetherProxyTransportError (an httpx.TransportError); the ProxyError is the `__cause__`.
The transport's `timeout` bounds each request; httpx's own timeout settings do not apply.
Install with `pip install scitrera-aether-client[httpx]`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

try:
    import httpx
except ImportError as missing:  # pragma: no cover - depends on the environment
    raise ImportError(
        "scitrera_aether_client.http.httpx_transport needs httpx: "
        "pip install scitrera-aether-client[httpx]"
    ) from missing

from scitrera_aether_client import exceptions as exc
from scitrera_aether_client._core.validation import check_timeout, check_topic
from scitrera_aether_client.client import BaseAetherClient
from scitrera_aether_client.client_async import BaseAsyncAetherClient
from scitrera_aether_client.http import _headers
from scitrera_aether_client.http.proxy import ProxyError, proxy_http, proxy_http_async
from scitrera_aether_client.proto import aether_pb2

__all__ = ["AetherAsyncHTTPXTransport", "AetherHTTPXTransport", "AetherProxyTransportError"]

Kind = aether_pb2.ProxyError
HOP_BY_HOP = _headers.HOP_BY_HOP  # public here as before the move; defined in _headers


class AetherProxyTransportError(httpx.TransportError):
    """A ProxyError with no closer httpx equivalent (ACL_DENIED, PAYLOAD_TOO_LARGE, ...)."""

    def __init__(self, message: str, *, request: httpx.Request, error: exc.AetherError) -> None:
        super().__init__(message, request=request)
        self.error = error


def request_headers(request: httpx.Request) -> list[tuple[str, str]]:
    return [
        (name, value)
        for name, value in request.headers.multi_items()
        if name.lower() not in HOP_BY_HOP
    ]


def request_target(request: httpx.Request) -> str:
    """Path plus query string, still percent-encoded as httpx built it."""
    return request.url.raw_path.decode("ascii") or "/"


def build_response(
    response: aether_pb2.ProxyHttpResponse, request: httpx.Request
) -> httpx.Response:
    return httpx.Response(
        response.status_code,
        headers=list(response.headers.items()),
        stream=httpx.ByteStream(response.body),
        request=request,
    )


@contextmanager
def translated_errors(request: httpx.Request) -> Iterator[None]:
    """Raise the httpx exception that matches an SDK failure."""
    try:
        yield
    except ProxyError as error:
        message = f"{error.kind_name}: {error.message}"
        if error.kind in (Kind.SIDECAR_UNAVAILABLE, Kind.DIAL_FAILED):
            raise httpx.ConnectError(message, request=request) from error
        if error.kind == Kind.TIMEOUT:
            raise httpx.ReadTimeout(message, request=request) from error
        if error.kind == Kind.UPSTREAM_RESET:
            raise httpx.ReadError(message, request=request) from error
        raise AetherProxyTransportError(message, request=request, error=error) from error
    except exc.TimeoutError as error:
        raise httpx.ReadTimeout(str(error), request=request) from error
    except exc.ConnectionError as error:
        raise httpx.ConnectError(str(error), request=request) from error
    except (exc.InvalidArgumentError, exc.NotImplementedError):
        raise  # a usage error, not a transport failure
    except exc.AetherError as error:  # an ErrorResponse for the request (rate limited, ...)
        raise AetherProxyTransportError(str(error), request=request, error=error) from error


class _Options:
    def __init__(self, target_topic: str, timeout: float, **options: Any) -> None:
        self.target_topic = check_topic("target_topic", target_topic)
        self.timeout = check_timeout("timeout", timeout)
        self.options = options


class AetherHTTPXTransport(httpx.BaseTransport):
    """A sync httpx transport over a sync Aether client."""

    def __init__(
        self,
        client: BaseAetherClient,
        target_topic: str,
        *,
        timeout: float = 30.0,
        follow_redirects: bool = False,
        app_workspace: str | None = None,
        authorization: aether_pb2.AuthorizationContext | None = None,
        authority_mode: str | None = None,
        subject_type: str | None = None,
        subject_id: str | None = None,
        grant_id: str | None = None,
        backend: str | None = None,
        stream_response: bool = False,
        stream_idle_timeout_ms: int = 0,
        max_response_body_bytes: int = 0,
    ) -> None:
        if not isinstance(client, BaseAetherClient):
            raise exc.InvalidArgumentError(
                "AetherHTTPXTransport needs a sync client; use AetherAsyncHTTPXTransport", "client"
            )
        self.client = client
        self._opts = _Options(
            target_topic,
            timeout,
            follow_redirects=follow_redirects,
            app_workspace=app_workspace,
            authorization=authorization,
            authority_mode=authority_mode,
            subject_type=subject_type,
            subject_id=subject_id,
            grant_id=grant_id,
            backend=backend,
            stream_response=stream_response,
            stream_idle_timeout_ms=stream_idle_timeout_ms,
            max_response_body_bytes=max_response_body_bytes,
        )

    @property
    def target_topic(self) -> str:
        return self._opts.target_topic

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        with translated_errors(request):
            response = proxy_http(
                self.client,
                self._opts.target_topic,
                request.method,
                request_target(request),
                request_headers(request),
                body,
                timeout=self._opts.timeout,
                **self._opts.options,
            )
        return build_response(response, request)

    def close(self) -> None:
        """Nothing to release: the Aether client belongs to the caller."""


class AetherAsyncHTTPXTransport(httpx.AsyncBaseTransport):
    """An async httpx transport over an async Aether client (or a sync one)."""

    def __init__(
        self,
        client: BaseAsyncAetherClient | BaseAetherClient,
        target_topic: str,
        *,
        timeout: float = 30.0,
        follow_redirects: bool = False,
        app_workspace: str | None = None,
        authorization: aether_pb2.AuthorizationContext | None = None,
        authority_mode: str | None = None,
        subject_type: str | None = None,
        subject_id: str | None = None,
        grant_id: str | None = None,
        backend: str | None = None,
        stream_response: bool = False,
        stream_idle_timeout_ms: int = 0,
        max_response_body_bytes: int = 0,
    ) -> None:
        if not isinstance(client, BaseAsyncAetherClient | BaseAetherClient):
            raise exc.InvalidArgumentError("client must be an Aether client", "client")
        self.client = client
        self._opts = _Options(
            target_topic,
            timeout,
            follow_redirects=follow_redirects,
            app_workspace=app_workspace,
            authorization=authorization,
            authority_mode=authority_mode,
            subject_type=subject_type,
            subject_id=subject_id,
            grant_id=grant_id,
            backend=backend,
            stream_response=stream_response,
            stream_idle_timeout_ms=stream_idle_timeout_ms,
            max_response_body_bytes=max_response_body_bytes,
        )

    @property
    def target_topic(self) -> str:
        return self._opts.target_topic

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        with translated_errors(request):
            response = await proxy_http_async(
                self.client,
                self._opts.target_topic,
                request.method,
                request_target(request),
                request_headers(request),
                body,
                timeout=self._opts.timeout,
                **self._opts.options,
            )
        return build_response(response, request)

    async def aclose(self) -> None:
        """Nothing to release: the Aether client belongs to the caller."""
