"""The server sends no keepalive pings: a SIGSTOPped client holds its identity forever."""

from __future__ import annotations

FAULT = "embedded.keepalive_options returns no options"
CAUGHT_BY = [
    "tests/e2e/gateway/test_limits.py::test_a_stopped_client_loses_its_identity_to_keepalive",
]


def plant() -> None:
    from aether_gateway import embedded

    embedded.keepalive_options = lambda config: []  # type: ignore[attr-defined]
