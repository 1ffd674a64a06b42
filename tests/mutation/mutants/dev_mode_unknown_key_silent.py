"""Dev mode admits an unknown API key without the warning that names the identity."""

from __future__ import annotations

FAULT = "admit() logs nothing when dev mode lets an unknown API key in"
CAUGHT_BY = [
    "tests/e2e/gateway/test_dev_mode_keys.py::test_an_unknown_key_is_admitted_in_dev_mode_with_one_warning_naming_the_identity",
]


def plant() -> None:
    import logging

    from aether_gateway import auth

    silenced = logging.getLogger("aether_gateway.mutant-silenced")
    silenced.addHandler(logging.NullHandler())
    silenced.propagate = False
    auth.log = silenced  # admit() looks `log` up in its module at call time
