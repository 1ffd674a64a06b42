"""The SDK no longer resends the table's idempotent calls after losing the stream."""

from __future__ import annotations

FAULT = "every pending call is treated as not idempotent, so a GET fails with the stream"
CAUGHT_BY = [
    "tests/e2e/test_operation_methods.py::test_only_the_tables_idempotent_calls_survive_a_lost_stream",
]


def plant() -> None:
    from typing import Any

    from scitrera_aether_client._core.connection import Connection

    real = Connection.request

    async def request(self: Connection, *args: Any, idempotent: bool = False, **kw: Any) -> Any:
        return await real(self, *args, idempotent=False, **kw)

    Connection.request = request  # type: ignore[method-assign]
