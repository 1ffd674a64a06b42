"""The original path of `scitrera_aether_client.http.proxy` (the requester side).

A re-export: the same objects, so existing imports keep working.
"""

from scitrera_aether_client.http.proxy import PROXY_BODY_CHUNK_SIZE as PROXY_BODY_CHUNK_SIZE
from scitrera_aether_client.http.proxy import HeadersLike as HeadersLike
from scitrera_aether_client.http.proxy import Kind as Kind
from scitrera_aether_client.http.proxy import ProxyError as ProxyError
from scitrera_aether_client.http.proxy import __all__ as __all__
from scitrera_aether_client.http.proxy import build_authorization as build_authorization
from scitrera_aether_client.http.proxy import build_request as build_request
from scitrera_aether_client.http.proxy import exchange as exchange
from scitrera_aether_client.http.proxy import merge_headers as merge_headers
from scitrera_aether_client.http.proxy import proxy_http as proxy_http
from scitrera_aether_client.http.proxy import proxy_http_async as proxy_http_async
