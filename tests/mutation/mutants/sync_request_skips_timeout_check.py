"""The sync twins' primitive sends without checking its timeout: a zero or negative timeout is
queued and times out silently instead of being refused up front."""

from __future__ import annotations

FAULT = "SyncOps._request does not validate timeout before sending"
CAUGHT_BY = [
    "tests/sdk_unit/test_sync_twins.py::test_sync_calls_refuse_a_bad_timeout_before_sending"
]


def plant() -> None:
    from typing import Any

    from scitrera_aether_client._core.loop_thread import run_sync
    from scitrera_aether_client._facade.sync_base import SyncOps

    def unchecked(
        self: SyncOps, frame: Any, expect: Any, timeout: float, idempotent: bool = False
    ) -> Any:
        return run_sync(self._conn.request(frame, expect, timeout, idempotent=idempotent))

    SyncOps._request = unchecked  # type: ignore[method-assign]
