"""A dev gateway refuses an API key it never minted, so the README's placeholder-key snippets fail
against `aether-gateway serve --dev` with "invalid API key" (issue 14, seed example 2)."""

from __future__ import annotations

FAULT = "TokenStore.is_known answers True for every key: dev mode checks unknown keys again"
CAUGHT_BY = [
    "tests/e2e/gateway/test_dev_mode_keys.py::test_the_readme_service_snippet_connects_to_serve_dev",
    "tests/e2e/gateway/test_dev_mode_keys.py::test_an_unknown_key_is_admitted_in_dev_mode_with_one_warning_naming_the_identity",
]


def plant() -> None:
    from aether_gateway.store.tokens import TokenStore

    def is_known(self: TokenStore, plaintext: str) -> bool:
        return True

    TokenStore.is_known = is_known  # type: ignore[method-assign]
