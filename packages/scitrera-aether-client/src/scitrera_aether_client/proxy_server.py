"""The original path of `scitrera_aether_client.http.server` (the serving side).

A re-export: the same objects, so existing imports keep working.
"""

from scitrera_aether_client.http._replies import normalize_result as normalize_result
from scitrera_aether_client.http._replies import send_error as send_error
from scitrera_aether_client.http._replies import send_response as send_response
from scitrera_aether_client.http.server import DEFAULT_MAX_BODY_BYTES as DEFAULT_MAX_BODY_BYTES
from scitrera_aether_client.http.server import AnyClient as AnyClient
from scitrera_aether_client.http.server import Handler as Handler
from scitrera_aether_client.http.server import HandlerResult as HandlerResult
from scitrera_aether_client.http.server import Kind as Kind
from scitrera_aether_client.http.server import MintedRequest as MintedRequest
from scitrera_aether_client.http.server import ProxyHttpTerminator as ProxyHttpTerminator
from scitrera_aether_client.http.server import SyncServer as SyncServer
from scitrera_aether_client.http.server import Up as Up
from scitrera_aether_client.http.server import __all__ as __all__
from scitrera_aether_client.http.server import minted_request as minted_request
from scitrera_aether_client.http.server import serve as serve
from scitrera_aether_client.http.server import serve_async as serve_async
