"""Exclusive KV namespaces keyed by implementation and specifier alone, as before issue 9."""

from __future__ import annotations

FAULT = "exclusive KV namespaces leave out the principal type and workspace (kv:agent:impl|spec)"
CAUGHT_BY = [
    "tests/e2e/gateway/test_isolation.py::"
    "test_two_workspaces_with_one_agent_name_keep_separate_exclusive_kv",
    "tests/e2e/gateway/test_isolation.py::"
    "test_an_agent_a_task_and_a_service_with_one_name_keep_separate_exclusive_kv",
]


def plant() -> None:
    from aether_gateway.context import Caller
    from aether_gateway.handlers import kv

    real = kv._namespace
    owned: dict[int, str] = {
        kv._Op.GLOBAL_EXCLUSIVE: "global",
        kv._Op.WORKSPACE_EXCLUSIVE: "ws",
        kv._Op.USER: "user",
        kv._Op.USER_WORKSPACE: "user-ws",
    }

    def shared_owner(caller: Caller, scope: int, user_id: str, workspace: str) -> str:
        if scope not in owned or not (caller.implementation and caller.specifier):
            return real(caller, scope, user_id, workspace)
        owner = f"{caller.implementation}|{caller.specifier}"
        return kv.kv_namespace("agent", owner, owned[scope], user_id, workspace or caller.workspace)

    # handle_kv and snapshot_exclusive look _namespace up in the module at call time.
    kv._namespace = shared_owner
