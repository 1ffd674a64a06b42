"""A client certificate admits identities it does not name."""

from __future__ import annotations

FAULT = "PeerCertificate.names answers True for every identity"
CAUGHT_BY = [
    "tests/e2e/gateway/test_security_auth.py"
    "::test_an_mtls_certificate_naming_another_identity_is_permission_denied",
    "tests/e2e/gateway/test_security_auth.py::test_a_key_over_mtls_must_also_match_the_certificate",
]


def plant() -> None:
    from aether_gateway.auth import PeerCertificate

    def names(self: PeerCertificate, identity: str) -> bool:
        return True

    PeerCertificate.names = names  # type: ignore[method-assign]
