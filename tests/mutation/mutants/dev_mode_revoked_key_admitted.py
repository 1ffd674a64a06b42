"""Dev mode forgets revocation and expiry: a revoked or expired key connects as if unknown."""

from __future__ import annotations

FAULT = "TokenStore.is_known answers False for every key: dev mode admits revoked and expired keys"
CAUGHT_BY = [
    "tests/e2e/gateway/test_dev_mode_keys.py::test_a_revoked_or_expired_key_is_refused_in_dev_mode_too",
    "tests/e2e/gateway/test_dev_mode_keys.py::test_a_known_key_is_still_bound_to_its_principal_type_in_dev_mode",
]


def plant() -> None:
    from aether_gateway.store.tokens import TokenStore

    def is_known(self: TokenStore, plaintext: str) -> bool:
        return False

    TokenStore.is_known = is_known  # type: ignore[method-assign]
