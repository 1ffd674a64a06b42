"""The HTTP proxy relay forgets the workspace a target topic names."""

from __future__ import annotations

FAULT = "proxy_http reaches terminators in workspaces the caller is not bound to"
CAUGHT_BY = [
    "tests/e2e/gateway/test_isolation.py::test_a_key_bound_to_ws_a_cannot_proxy_http_into_ws_b",
]


def plant() -> None:
    from aether_gateway import proxy

    proxy.topic_workspace = lambda topic: ""  # type: ignore[attr-defined]
