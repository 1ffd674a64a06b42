"""The reference client's module name for the serving side: see `http.server`.

`ProxyHttpTerminator(client, handler, ...)` with `await start()` / `await stop()` works on async
clients as in the reference, and on sync clients too (through `http.server.serve`).
"""

from scitrera_aether_client.http.server import (
    Handler,
    HandlerResult,
    MintedRequest,
    ProxyHttpTerminator,
)

__all__ = ["Handler", "HandlerResult", "MintedRequest", "ProxyHttpTerminator"]
