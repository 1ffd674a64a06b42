"""A revocation written to the database by another process (the CLI) never reaches live sessions."""

from __future__ import annotations

FAULT = "Revocations.check_now finds nothing to end"
CAUGHT_BY = [
    "tests/e2e/gateway/test_security_auth.py"
    "::test_a_revocation_written_to_the_database_by_another_process_ends_sessions",
    "tests/e2e/gateway/test_security_auth.py::test_an_orchestrator_key_revoked_stops_the_orchestrator",
    "tests/e2e/gateway/test_admin_cli.py::test_revoking_with_the_cli_ends_a_live_session",
]


def plant() -> None:
    from aether_gateway.revocation import Revocations

    def check_now(self: Revocations) -> int:
        return 0

    Revocations.check_now = check_now  # type: ignore[method-assign]
