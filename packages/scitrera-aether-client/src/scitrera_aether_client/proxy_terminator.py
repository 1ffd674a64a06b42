"""The reference client's module name for the serving side: see `proxy_server`.

`ProxyHttpTerminator(client, handler, ...)` with `await start()` / `await stop()` works on async
clients as in the reference, and on sync clients too (through `proxy_server.serve`).
"""

from scitrera_aether_client.proxy_server import MintedRequest, ProxyHttpTerminator

__all__ = ["MintedRequest", "ProxyHttpTerminator"]
