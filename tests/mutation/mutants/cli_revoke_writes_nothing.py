"""`aether-gateway keys revoke` reports success but the key keeps working."""

from __future__ import annotations

FAULT = "the CLI's revoke reports a revocation without storing it"
CAUGHT_BY = ["tests/e2e/gateway/test_admin_cli.py::test_revoking_with_the_cli_ends_a_live_session"]


def plant() -> None:
    from aether_gateway import admin_cli
    from aether_gateway.store.tokens import TokenStore

    class Liar(TokenStore):
        def revoke(self, token_id: str) -> bool:
            return self.get(token_id) is not None

    admin_cli.TokenStore = Liar  # type: ignore[misc]
