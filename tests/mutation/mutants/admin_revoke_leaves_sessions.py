"""Revoking or deleting a key over the admin API leaves the sessions it opened running."""

from __future__ import annotations

FAULT = "Revocations.end_sessions ends nothing (the periodic check still runs)"
CAUGHT_BY = [
    "tests/e2e/gateway/test_security_auth.py"
    "::test_revoking_a_key_over_the_admin_api_ends_every_session_it_opened",
    "tests/e2e/gateway/test_security_auth.py::test_deleting_a_key_ends_its_sessions",
]


def plant() -> None:
    from aether_gateway.revocation import Revocations

    def end_sessions(self: Revocations, token_id: str) -> int:
        return 0

    Revocations.end_sessions = end_sessions  # type: ignore[method-assign]
