"""Dev mode enforces the workspace binding as if it had an ACL store."""

from __future__ import annotations

FAULT = "may_reach refuses foreign workspaces in dev mode (no ACL store) instead of opening them"
CAUGHT_BY = [
    "tests/e2e/gateway/test_isolation.py::test_dev_mode_leaves_every_workspace_open",
]


def plant() -> None:
    from aether_gateway import services, workspace_reach
    from aether_gateway.context import Caller
    from aether_gateway.handlers import kv_acl, tasks
    from aether_gateway.store.acl import ACLStore

    def closed(caller: Caller, acl: ACLStore | None, workspace: str, level: int) -> bool:
        return not workspace or workspace_reach.bound_to(caller, workspace)

    # Importing aether_gateway already bound the name in every module that uses it.
    for module in (workspace_reach, services, tasks, kv_acl):
        module.may_reach = closed  # type: ignore[attr-defined]
