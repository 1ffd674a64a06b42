"""HTTP over Aether: proxied HTTP requests between clients, carried on the aether.v1 stream.

- `http.proxy`: the requester side, `proxy_http` / `proxy_http_async` and `ProxyError`.
- `http.server`: the serving side, `serve` / `serve_async` with a handler, `ProxyHttpTerminator`.
- `http.asgi`: serve an ASGI application (FastAPI, Starlette, ...).
- `http.httpx_transport`, `http.requests_adapter`: httpx and requests on top of `proxy_http`
  (each needs its extra: `scitrera-aether-client[httpx]` / `[requests]`).

Modules whose name starts with "_" are internal to this package. The original module paths
(`scitrera_aether_client.proxy`, `proxy_server`, `proxy_asgi`, `proxy_terminator`,
`httpx_transport`, `requests_adapter`) still work and hand out the same objects.
This package imports none of its modules, so importing it needs neither httpx nor requests.
"""
