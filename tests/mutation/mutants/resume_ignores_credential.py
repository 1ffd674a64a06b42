"""Any credential that may be the identity can resume (take over) its session."""

from __future__ import annotations

FAULT = "the lock table lets a resume_session_id through whatever credential presents it"
CAUGHT_BY = [
    "tests/e2e/gateway/test_security_auth.py"
    "::test_resume_with_another_key_is_refused_and_the_live_session_survives",
    "tests/e2e/gateway/test_security_auth.py"
    "::test_resume_of_an_ended_session_with_another_key_is_refused",
]


def plant() -> None:
    from aether_gateway import locks

    def same_credential(state: object, credential: str) -> None:
        return None

    locks._same_credential = same_credential  # looked up at call time
