"""Orchestrators, workflow engines and metrics bridges connect without a credential again."""

from __future__ import annotations

FAULT = "admit() lets the three system principal types in anonymously outside dev mode"
CAUGHT_BY = [
    "tests/e2e/gateway/test_security_auth.py::test_anonymous_system_principals_are_unauthenticated",
    "tests/e2e/gateway/test_security_auth.py"
    "::test_the_real_engine_connects_although_an_anonymous_one_tried_first",
]


def plant() -> None:
    from typing import Any

    from aether_gateway import auth, server

    original = auth.admit
    system = {"orchestrator", "workflow_engine", "metrics_bridge"}

    def admit(init: Any, who: Any, *args: Any, **kwargs: Any) -> auth.Admission:
        if not init.credentials and who.principal.key in system:
            return auth.Admission(is_admin=False, scopes=())
        return original(init, who, *args, **kwargs)

    server.admit = admit  # the name the handshake calls (copied from auth at import)
