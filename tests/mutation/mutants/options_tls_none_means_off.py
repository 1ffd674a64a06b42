"""tls_enabled=None no longer detects TLS from the environment: an async client with the
reference default ignores AETHER_TLS_ENABLED and a configured CA."""

from __future__ import annotations

FAULT = "tls_wanted treats None as False"
CAUGHT_BY = [
    "tests/e2e/test_client_options.py::test_async_default_takes_tls_from_the_environment",
    "tests/sdk_unit/test_client_options.py::test_tls_defaults_follow_one_rule_in_both_flavours",
]


def plant() -> None:
    from scitrera_aether_client._core import tls
    from scitrera_aether_client._core.options import ClientOptions
    from scitrera_aether_client._facade import common

    def tls_wanted(options: ClientOptions) -> bool:
        return options.tls_enabled is True

    tls.tls_wanted = tls_wanted
    common.tls_wanted = tls_wanted  # type: ignore[attr-defined]
