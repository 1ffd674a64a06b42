"""An API key admits any implementation and specifier, whatever patterns it carries."""

from __future__ import annotations

FAULT = "bind_check ignores a key's implementation and specifier patterns"
CAUGHT_BY = [
    "tests/e2e/gateway/test_security_auth.py"
    "::test_a_key_admits_only_identities_matching_its_patterns",
    "tests/e2e/gateway/test_security_auth.py"
    "::test_another_agents_key_cannot_read_an_offline_victims_queue",
    "tests/e2e/gateway/test_admin_cli.py::test_a_key_is_bound_to_its_identity_patterns",
]


def plant() -> None:
    from typing import Any

    from aether_gateway import auth

    original = auth.bind_check

    def bind_check(record: Any, *args: Any, **kwargs: Any) -> str | None:
        kwargs.update(implementation=None, specifier=None)
        return original(record, *args, **kwargs)

    auth.bind_check = bind_check  # the name admit() calls
