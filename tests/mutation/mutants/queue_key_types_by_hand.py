"""The queue limits' key-type table is a hand-kept copy again, and it lacks a principal type."""

from __future__ import annotations

FAULT = "an offline service identity a key admits is refused: services missing from the table"
CAUGHT_BY = [
    "tests/e2e/gateway/test_principal_table_facts.py"
    "::test_an_offline_identity_a_key_admits_gets_mail_for_every_type_in_the_table",
]


def plant() -> None:
    from typing import Any

    from aether_gateway import identity, queue_limits

    real = identity.topic_owners

    def topic_owners(table: Any) -> Any:
        return {prefix: o for prefix, o in real(table).items() if prefix != "sv"}

    queue_limits.topic_owners = topic_owners  # type: ignore[attr-defined,assignment]  # its name
