"""SwitchWorkspace lets a user into any workspace."""

from __future__ import annotations

FAULT = "switch_workspace skips the workspace binding of the user's key"
CAUGHT_BY = [
    "tests/e2e/gateway/test_isolation.py::test_a_user_bound_to_ws_a_cannot_switch_into_ws_b",
]


def plant() -> None:
    from aether_gateway.context import Caller
    from aether_gateway.services import Services

    def anywhere(self: Services, caller: Caller, workspace: str) -> bool:
        return True

    Services.may_enter = anywhere  # type: ignore[method-assign]
