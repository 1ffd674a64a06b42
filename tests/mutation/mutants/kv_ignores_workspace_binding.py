"""The KV ACL stage forgets the workspace binding: a kv_scope grant opens every workspace."""

from __future__ import annotations

FAULT = "workspace-scoped KV of another workspace is reachable with a kv_scope/workspace grant"
CAUGHT_BY = [
    "tests/e2e/gateway/test_isolation.py::"
    "test_workspace_scoped_kv_of_ws_b_stays_closed_despite_a_kv_scope_grant",
]


def plant() -> None:
    from aether_gateway.handlers import kv_acl

    kv_acl.may_reach = lambda caller, acl, workspace, level: True  # type: ignore[attr-defined]
