"""An ACL rule on workspace/<name> no longer opens a workspace outside the binding."""

from __future__ import annotations

FAULT = "may_reach ignores workspace rules: a bound key never reaches another workspace"
CAUGHT_BY = [
    "tests/e2e/gateway/test_isolation.py::test_an_acl_rule_on_ws_b_opens_it_to_a_key_bound_to_ws_a",
]


def plant() -> None:
    from aether_gateway import services, workspace_reach
    from aether_gateway.context import Caller
    from aether_gateway.handlers import kv_acl, tasks
    from aether_gateway.store.acl import ACLStore

    def binding_only(caller: Caller, acl: ACLStore | None, workspace: str, level: int) -> bool:
        if acl is None or caller.is_admin or not workspace:
            return True
        return workspace_reach.bound_to(caller, workspace)

    # Importing aether_gateway already bound the name in every module that uses it.
    for module in (workspace_reach, services, tasks, kv_acl):
        module.may_reach = binding_only  # type: ignore[attr-defined]
