"""A requests transport adapter that sends `aether+sv://` URLs over Aether.

    session = requests.Session()
    session.mount("aether+sv://", AetherRequestsAdapter(client))
    session.get("aether+sv://memorylayer--default/v1/health")   # -> sv::memorylayer::default
    session.get("aether+sv://memorylayer/v1/health")            # -> sv::memorylayer (any instance)

In the host, `--` stands for `::` (only the first one splits implementation from specifier);
`%2D%2D` is a literal `--` inside a name. A host that already starts with `sv::` is used as is.
Note that requests leaves URLs of non-HTTP schemes alone, so `params=` is not applied: put the
query string in the URL. ProxyError and a lost stream raise requests.exceptions.ConnectionError
(the SDK error is the `__cause__`), timeouts requests.exceptions.ReadTimeout.
Install with `pip install scitrera-aether-client[requests]`.
"""

from __future__ import annotations

import http
import http.client
import io
from collections.abc import Iterable, Mapping
from typing import Any, cast
from urllib.parse import unquote, urlsplit

try:
    import requests
    import requests.adapters
    import requests.cookies
    import requests.exceptions
    import requests.structures
    import requests.utils
except ImportError as missing:  # pragma: no cover - depends on the environment
    raise ImportError(
        "scitrera_aether_client.http.requests_adapter needs requests: "
        "pip install scitrera-aether-client[requests]"
    ) from missing

from scitrera_aether_client import exceptions as exc
from scitrera_aether_client._core.validation import check_timeout
from scitrera_aether_client.client import BaseAetherClient
from scitrera_aether_client.http import _headers
from scitrera_aether_client.http.proxy import ProxyError, proxy_http
from scitrera_aether_client.proto import aether_pb2

__all__ = ["SCHEME", "AetherRequestsAdapter", "parse_aether_url"]

SCHEME = "aether+sv"
Kind = aether_pb2.ProxyError
HOP_BY_HOP = _headers.HOP_BY_HOP  # public here as before the move; defined in _headers


def parse_aether_url(url: str) -> tuple[str, str]:
    """(target topic, path with query) of an `aether+sv://host/path?query` URL."""
    parts = urlsplit(url)
    if parts.scheme.lower() != SCHEME:
        raise requests.exceptions.InvalidURL(f"not an {SCHEME}:// URL: {url!r}")
    host = parts.netloc
    if not host or "@" in host:
        raise requests.exceptions.InvalidURL(f"{url!r} has no usable service name")
    if unquote(host).startswith("sv::"):
        target = unquote(host)
    else:
        impl, sep, spec = host.partition("--")
        impl, spec = unquote(impl), unquote(spec)
        if not impl or (sep and not spec):
            raise requests.exceptions.InvalidURL(f"{url!r}: expected impl or impl--spec as host")
        target = f"sv::{impl}::{spec}" if sep else f"sv::{impl}"
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return target, path


def _timeout(value: Any, default: float) -> float:
    """requests' timeout (None, seconds, or a (connect, read) pair): the largest given value."""
    if value is None:
        return default
    if isinstance(value, tuple):
        given = [v for v in value if v is not None]
        return float(max(given)) if given else default
    return float(value)


def _body(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body)
    if hasattr(body, "read"):
        data = body.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if isinstance(body, Iterable):
        return b"".join(p.encode("utf-8") if isinstance(p, str) else bytes(p) for p in body)
    raise TypeError(f"cannot send a request body of type {type(body).__name__}")


class AetherRequestsAdapter(requests.adapters.BaseAdapter):
    """Mount on `aether+sv://`; every request becomes one proxy_http call on a sync client."""

    def __init__(
        self,
        client: BaseAetherClient,
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
    ) -> None:
        super().__init__()
        if not isinstance(client, BaseAetherClient):
            raise exc.InvalidArgumentError("AetherRequestsAdapter needs a sync client", "client")
        self.client = client
        self.timeout = check_timeout("timeout", timeout)
        self.options: dict[str, Any] = {
            "follow_redirects": follow_redirects,
            "app_workspace": app_workspace,
            "authorization": authorization,
            "authority_mode": authority_mode,
            "subject_type": subject_type,
            "subject_id": subject_id,
            "grant_id": grant_id,
            "backend": backend,
        }

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        target, path = parse_aether_url(request.url or "")
        headers = [
            (k, v.decode("latin-1") if isinstance(v, bytes) else v)
            for k, v in request.headers.items()
            if k.lower() not in HOP_BY_HOP
        ]
        try:
            answer = proxy_http(
                self.client,
                target,
                request.method or "GET",
                path,
                headers,
                _body(request.body),
                timeout=_timeout(timeout, self.timeout),
                **self.options,
            )
        except ProxyError as error:
            message = f"{error.kind_name}: {error.message}"
            if error.kind == Kind.TIMEOUT:
                raise requests.exceptions.ReadTimeout(message, request=request) from error
            raise requests.exceptions.ConnectionError(message, request=request) from error
        except exc.TimeoutError as error:
            raise requests.exceptions.ReadTimeout(str(error), request=request) from error
        except (exc.InvalidArgumentError, exc.NotImplementedError):
            raise  # a usage error, not a transport failure
        except exc.AetherError as error:  # lost stream, or an ErrorResponse for the request
            raise requests.exceptions.ConnectionError(str(error), request=request) from error
        return self.build_response(request, answer)

    def build_response(
        self, request: requests.PreparedRequest, answer: aether_pb2.ProxyHttpResponse
    ) -> requests.Response:
        response = requests.Response()
        response.status_code = answer.status_code
        response.headers = requests.structures.CaseInsensitiveDict(dict(answer.headers))
        # The body is already whole: mark it read so content and iter_content() serve it.
        response.__dict__.update(_content=answer.body, _content_consumed=True, connection=self)
        response.raw = io.BytesIO(answer.body)
        response.url = request.url or ""
        response.request = request
        response.reason = _reason(answer.status_code)
        response.encoding = requests.utils.get_encoding_from_headers(response.headers)
        _extract_cookies(response, request, answer)
        return response

    def close(self) -> None:
        """Nothing to release: the Aether client belongs to the caller."""


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


class _OriginalResponse:
    """Just enough of http.client's response for requests' cookie extraction."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        self.msg = http.client.HTTPMessage()
        for name, value in headers.items():
            self.msg[name] = value


class _CookieSource:
    def __init__(self, headers: Mapping[str, str]) -> None:
        self._original_response = _OriginalResponse(headers)


def _extract_cookies(
    response: requests.Response,
    request: requests.PreparedRequest,
    answer: aether_pb2.ProxyHttpResponse,
) -> None:
    if any(name.lower() == "set-cookie" for name in answer.headers):
        requests.cookies.extract_cookies_to_jar(  # type: ignore[no-untyped-call]
            response.cookies,
            request,
            cast(Any, _CookieSource(answer.headers)),
        )
