"""Task calls and POOL offers forget the workspace binding (the ACL fallback decides alone)."""

from __future__ import annotations

FAULT = "tasks of other workspaces can be created, listed and offered to unbound services"
CAUGHT_BY = [
    "tests/e2e/gateway/test_isolation.py::test_a_key_bound_to_ws_a_cannot_create_or_read_tasks_in_ws_b",
    "tests/e2e/gateway/test_isolation.py::test_a_service_bound_to_ws_a_is_offered_no_pool_task_of_ws_b",
]


def plant() -> None:
    from aether_gateway.handlers import tasks

    tasks.may_reach = lambda caller, acl, workspace, level: True  # type: ignore[attr-defined]
