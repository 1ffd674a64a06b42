"""KV namespaces joined with a separator instead of an injective encoding."""

from __future__ import annotations

FAULT = "kv_namespace joins its parts with ':', so ('ws-a', ':x') equals ('ws-a:', 'x')"
CAUGHT_BY = [
    "tests/gateway_unit/test_kv_handler.py::test_namespaces_of_different_parts_never_collide",
]


def plant() -> None:
    from aether_gateway.handlers import kv

    kv.kv_namespace = lambda *parts: ":".join(parts)
