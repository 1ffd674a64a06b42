"""The gateway decides who may report progress by principal name again, instead of reading the
reports_progress role declared in principals.yaml."""

from __future__ import annotations

FAULT = "handle_progress admits only the keys agent, task and service, ignoring gateway_roles"
CAUGHT_BY = [
    "generator/tests/test_add_principal.py"
    "::test_the_new_principal_talks_through_the_embedded_gateway",
]


def plant() -> None:
    from typing import Any

    from aether_gateway import services
    from aether_gateway.handlers import progress

    original = progress.handle_progress

    def handle_progress(hub: Any, caller: Any, report: Any) -> Any:
        if caller.principal.key not in ("agent", "task", "service"):
            err = progress.aether_pb2.ErrorResponse(code="ERR_INVALID_PRINCIPAL")
            return [progress.aether_pb2.DownstreamMessage(error=err)]
        return original(hub, caller, report)

    services.handle_progress = handle_progress  # the name the dispatch table calls
