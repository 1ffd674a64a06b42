"""Which key types need a creator is hard-coded to "User" again instead of read from the table."""

from __future__ import annotations

FAULT = "only User keys need created_by, whatever principals.yaml declares as key_owner"
CAUGHT_BY = [
    "tests/e2e/gateway/test_principal_table_facts.py"
    "::test_a_key_type_the_table_binds_to_a_creator_needs_one",
]


def plant() -> None:
    from aether_gateway.handlers import tokens

    def key_owner(type_name: str) -> str:
        return "user_id" if type_name == "User" else ""

    tokens.key_owner = key_owner
