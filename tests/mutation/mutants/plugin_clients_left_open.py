"""The pytest plugin's aether_client factory forgets the clients it connected: they stay open
after the test (threads, streams and identities leak into the next test)."""

from __future__ import annotations

FAULT = "the plugin's _close_all calls close() on nothing it connected"
CAUGHT_BY = [
    "tests/e2e/test_pytest_plugin.py::test_a_project_gets_gateways_and_clients_that_close_themselves",
]


def plant() -> None:
    import sys

    from scitrera_aether_client.client import BaseAetherClient

    # Importing the plugin module here would import pytest-asyncio before pytest starts (which
    # pytest refuses with a warning), so the fault goes into close() as seen from _close_all.
    original = BaseAetherClient.close

    def close(self: BaseAetherClient) -> None:
        if sys._getframe(1).f_code.co_name != "_close_all":
            original(self)

    BaseAetherClient.close = close  # type: ignore[method-assign]
