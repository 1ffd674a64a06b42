"""Workflow engines and orchestrators run admin operations by their type, as in the Go gateway."""

from __future__ import annotations

FAULT = "admin_allowed answers True for every workflow engine and orchestrator"
CAUGHT_BY = [
    "tests/e2e/gateway/test_security_auth.py"
    "::test_system_principals_run_admin_only_with_an_admin_scoped_key",
    "tests/e2e/gateway/test_admin.py"
    "::test_system_principals_get_no_admin_without_an_admin_scoped_key",
]


def plant() -> None:
    from typing import Any

    from aether_gateway import services

    original = services.admin_allowed

    def admin_allowed(caller: Any, *args: Any, **kwargs: Any) -> bool:
        if caller.principal.key in ("workflow_engine", "orchestrator"):
            return True
        return original(caller, *args, **kwargs)

    services.admin_allowed = admin_allowed  # the name Services.allowed calls
