"""The gateway's admin gate stops checking the arm's `callers` from the operation table."""

from __future__ import annotations

FAULT = "a principal type the table does not list for an admin arm may still send it"
CAUGHT_BY = [
    "tests/e2e/gateway/test_admin_gate_table.py"
    "::test_an_arm_the_table_gives_other_callers_is_refused",
]


def plant() -> None:
    from typing import Any

    from aether_gateway import services

    def may_send(caller: Any, arm: str) -> bool:
        return True

    services.may_send = may_send  # type: ignore[attr-defined]  # the name Services.admin_gate calls
