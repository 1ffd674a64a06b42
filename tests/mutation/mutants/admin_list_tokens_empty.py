"""The token store forgets its tokens when listing them: list_tokens answers an empty page."""

from __future__ import annotations

FAULT = "TokenStore.list_tokens returns no tokens (and a total of 0) whatever is stored"
CAUGHT_BY = [
    "tests/e2e/test_admin_client.py::test_sync_every_method_with_an_admin_key",
    "tests/e2e/test_admin_client.py::test_async_every_method_in_dev_mode",
]


def plant() -> None:
    from aether_gateway.store.tokens import TokenRecord, TokenStore

    def list_tokens(
        self: TokenStore, *args: object, **kwargs: object
    ) -> tuple[list[TokenRecord], int]:
        return [], 0

    TokenStore.list_tokens = list_tokens  # type: ignore[method-assign]
