"""The gateway never reads the client certificate: mTLS is transport only."""

from __future__ import annotations

FAULT = "peer_certificate() returns None, so a certificate naming the identity admits nothing"
CAUGHT_BY = [
    "tests/e2e/gateway/test_security_auth.py::test_an_mtls_certificate_naming_the_identity_admits_it"
]


def plant() -> None:
    from typing import Any

    from aether_gateway import auth, server

    def peer_certificate(context: Any) -> auth.PeerCertificate | None:
        return None

    server.peer_certificate = peer_certificate  # the name the handshake calls
