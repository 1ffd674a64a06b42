"""`aether-gateway keys create` forgets the --implementation and --specifier patterns."""

from __future__ import annotations

FAULT = "the CLI mints keys without implementation and specifier patterns"
CAUGHT_BY = ["tests/e2e/gateway/test_admin_cli.py::test_a_key_is_bound_to_its_identity_patterns"]


def plant() -> None:
    from typing import Any

    from aether_gateway import admin_cli
    from aether_gateway.store.tokens import TokenRecord, TokenStore

    class Forgetful(TokenStore):
        def create(self, *args: Any, **kwargs: Any) -> tuple[TokenRecord, str]:
            kwargs.pop("implementation_patterns", None)
            kwargs.pop("specifier_patterns", None)
            return super().create(*args, **kwargs)

    admin_cli.TokenStore = Forgetful  # type: ignore[misc]
