"""The seeded {agent,task,user}_workspace fallback (READWRITE) counts for foreign workspaces."""

from __future__ import annotations

FAULT = "may_reach accepts a fallback policy level for workspaces outside the binding"
CAUGHT_BY = [
    "tests/e2e/gateway/test_isolation.py::test_a_key_bound_to_ws_a_cannot_send_or_broadcast_into_ws_b",
    "tests/gateway_unit/test_workspace_reach.py::test_a_foreign_workspace_needs_a_rule_not_a_fallback",
]


def plant() -> None:
    from aether_gateway import services, workspace_reach
    from aether_gateway.context import Caller
    from aether_gateway.handlers import kv_acl, tasks
    from aether_gateway.handlers.admin_policy import acl_subject
    from aether_gateway.store.acl import ACLStore

    def with_fallback(caller: Caller, acl: ACLStore | None, workspace: str, level: int) -> bool:
        if acl is None or caller.is_admin or workspace_reach.bound_to(caller, workspace):
            return True
        return acl.check(*acl_subject(caller), "workspace", workspace, level)

    # Importing aether_gateway already bound the name in every module that uses it.
    for module in (workspace_reach, services, tasks, kv_acl):
        module.may_reach = with_fallback  # type: ignore[attr-defined]
