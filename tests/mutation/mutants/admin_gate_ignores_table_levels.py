"""The gateway's admin gate stops reading each op's level from the operation table."""

from __future__ import annotations

FAULT = "every admin op needs ADMIN on its area, so a READ rule opens no ACL read and no health"
CAUGHT_BY = [
    "tests/e2e/gateway/test_admin_gate_table.py"
    "::test_a_read_rule_opens_exactly_the_ops_the_table_marks_read",
]


def plant() -> None:
    from aether_gateway import services
    from aether_gateway.store.acl import AccessLevel

    def admin_level(arm: str, op: int) -> int:
        return AccessLevel.ADMIN

    services.admin_level = admin_level  # type: ignore[attr-defined]  # the name Services.admin_gate calls
