"""The admin primitives stop reading the operation table's idempotency."""

from __future__ import annotations

FAULT = "admin calls are sent as not idempotent, so an admin read fails with the stream"
CAUGHT_BY = [
    "tests/e2e/test_admin_resend.py::test_async_admin_read_is_resent_and_write_fails",
    "tests/e2e/test_admin_resend.py::test_sync_admin_read_is_resent",
]


def plant() -> None:
    from typing import Any

    from scitrera_aether_client._facade import async_admin
    from scitrera_aether_client._generated import sync_admin

    def never(frame: Any) -> bool:
        return False

    async_admin.is_idempotent = never  # type: ignore[attr-defined]
    sync_admin.is_idempotent = never  # type: ignore[attr-defined]
