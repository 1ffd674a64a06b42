"""The original path of `scitrera_aether_client.http.httpx_transport` (httpx transports).

A re-export: the same objects, so existing imports keep working.
"""

from scitrera_aether_client.http.httpx_transport import HOP_BY_HOP as HOP_BY_HOP
from scitrera_aether_client.http.httpx_transport import (
    AetherAsyncHTTPXTransport as AetherAsyncHTTPXTransport,
)
from scitrera_aether_client.http.httpx_transport import AetherHTTPXTransport as AetherHTTPXTransport
from scitrera_aether_client.http.httpx_transport import (
    AetherProxyTransportError as AetherProxyTransportError,
)
from scitrera_aether_client.http.httpx_transport import Kind as Kind
from scitrera_aether_client.http.httpx_transport import __all__ as __all__
from scitrera_aether_client.http.httpx_transport import build_response as build_response
from scitrera_aether_client.http.httpx_transport import request_headers as request_headers
from scitrera_aether_client.http.httpx_transport import request_target as request_target
from scitrera_aether_client.http.httpx_transport import translated_errors as translated_errors
