"""The original path of `scitrera_aether_client.http.asgi` (serving ASGI applications).

A re-export: the same objects, so existing imports keep working.
"""

from scitrera_aether_client.http.asgi import LIFESPAN_MODES as LIFESPAN_MODES
from scitrera_aether_client.http.asgi import ASGIApp as ASGIApp
from scitrera_aether_client.http.asgi import ASGIHandler as ASGIHandler
from scitrera_aether_client.http.asgi import AsgiServer as AsgiServer
from scitrera_aether_client.http.asgi import AsyncAsgiServer as AsyncAsgiServer
from scitrera_aether_client.http.asgi import Lifespan as Lifespan
from scitrera_aether_client.http.asgi import Message as Message
from scitrera_aether_client.http.asgi import Receive as Receive
from scitrera_aether_client.http.asgi import Scope as Scope
from scitrera_aether_client.http.asgi import Send as Send
from scitrera_aether_client.http.asgi import __all__ as __all__
from scitrera_aether_client.http.asgi import serve_asgi as serve_asgi
from scitrera_aether_client.http.asgi import serve_asgi_async as serve_asgi_async
