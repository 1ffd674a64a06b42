"""A task token opens any number of sessions, not one."""

from __future__ import annotations

FAULT = "TokenStore.task_token_session never remembers the session a task token opened"
CAUGHT_BY = [
    "tests/e2e/gateway/test_security_auth.py::test_a_task_token_admits_one_session_only",
    "tests/e2e/gateway/test_security_auth.py::test_a_task_token_resumes_the_session_it_opened",
]


def plant() -> None:
    from aether_gateway.store.tokens import TokenStore

    def task_token_session(self: TokenStore, token_id: str) -> str | None:
        return None

    TokenStore.task_token_session = task_token_session  # type: ignore[method-assign]
