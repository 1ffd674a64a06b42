"""A task token's type is picked by hand again: Agent for ag::, Task for anything else."""

from __future__ import annotations

FAULT = "a task token minted for a service identity is a Task key, so it cannot connect"
CAUGHT_BY = [
    "tests/e2e/gateway/test_principal_table_facts.py"
    "::test_a_task_token_is_of_the_type_owning_the_identity",
]


def plant() -> None:
    from typing import Any

    from aether_gateway.handlers import orchestration

    owners = dict(orchestration._OWNERS)

    class ByHand(dict[str, Any]):
        def get(self, prefix: str, default: Any = None) -> Any:
            return owners["ag"] if prefix == "ag" else owners["tu"]

    orchestration._OWNERS = ByHand()
