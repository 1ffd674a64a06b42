"""The HTTP modules moved into scitrera_aether_client.http; their original paths still work.

Each original module must hand out the very objects the new one defines (not copies: an
`except ProxyError` written against the old path has to catch what the new code raises), every
public name it had before the move, and the same `__all__`.
"""

from __future__ import annotations

import importlib

import pytest

# Every public module-level name each original module had before the move, and where it lives now.
OLD_PATHS: dict[str, tuple[str, tuple[str, ...]]] = {
    "proxy": (
        "http.proxy",
        (
            "HeadersLike",
            "Kind",
            "PROXY_BODY_CHUNK_SIZE",
            "ProxyError",
            "build_authorization",
            "build_request",
            "exchange",
            "merge_headers",
            "proxy_http",
            "proxy_http_async",
        ),
    ),
    "proxy_asgi": (
        "http.asgi",
        (
            "ASGIApp",
            "ASGIHandler",
            "AsgiServer",
            "AsyncAsgiServer",
            "LIFESPAN_MODES",
            "Lifespan",
            "Message",
            "Receive",
            "Scope",
            "Send",
            "serve_asgi",
            "serve_asgi_async",
        ),
    ),
    "proxy_server": (
        "http.server",
        (
            "AnyClient",
            "DEFAULT_MAX_BODY_BYTES",
            "Handler",
            "HandlerResult",
            "Kind",
            "MintedRequest",
            "ProxyHttpTerminator",
            "SyncServer",
            "Up",
            "minted_request",
            "serve",
            "serve_async",
        ),
    ),
    "proxy_terminator": (
        "http.server",
        ("Handler", "HandlerResult", "MintedRequest", "ProxyHttpTerminator"),
    ),
    "httpx_transport": (
        "http.httpx_transport",
        (
            "AetherAsyncHTTPXTransport",
            "AetherHTTPXTransport",
            "AetherProxyTransportError",
            "HOP_BY_HOP",
            "Kind",
            "build_response",
            "request_headers",
            "request_target",
            "translated_errors",
        ),
    ),
    "requests_adapter": (
        "http.requests_adapter",
        ("AetherRequestsAdapter", "HOP_BY_HOP", "Kind", "SCHEME", "parse_aether_url"),
    ),
}
# proxy_server's reply helpers now live in the package-internal http._replies.
REPLIES = ("normalize_result", "send_error", "send_response")


def _module(path: str) -> object:
    return importlib.import_module(f"scitrera_aether_client.{path}")


@pytest.mark.parametrize("old", sorted(OLD_PATHS))
def test_old_path_exports_the_new_objects(old: str) -> None:
    new, names = OLD_PATHS[old]
    old_module, new_module = _module(old), _module(new)
    for name in names:
        assert getattr(old_module, name) is getattr(new_module, name), f"{old}.{name}"


@pytest.mark.parametrize("old", sorted(set(OLD_PATHS) - {"proxy_terminator"}))
def test_old_path_keeps_its_all(old: str) -> None:
    new, _ = OLD_PATHS[old]
    assert list(_module(old).__all__) == list(_module(new).__all__)  # type: ignore[attr-defined]


def test_proxy_server_keeps_the_reply_helpers() -> None:
    old, replies = _module("proxy_server"), _module("http._replies")
    for name in REPLIES:
        assert getattr(old, name) is getattr(replies, name)


def test_the_http_package_needs_no_optional_dependency() -> None:
    import subprocess
    import sys

    code = "import sys; sys.modules['httpx'] = sys.modules['requests'] = None\n"
    code += "import scitrera_aether_client.http, scitrera_aether_client.http.server\n"
    code += "import scitrera_aether_client.http.asgi, scitrera_aether_client.proxy\n"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
