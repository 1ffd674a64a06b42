"""The async callback pump reports a callback cancelled by close() as done (acknowledged)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

FAULT = "a callback cancelled when its client closes is acknowledged, so it is never redelivered"
CAUGHT_BY = ["tests/sdk_unit/test_callback_pump.py::test_a_callback_cancelled_by_stop_is_not_done"]


def plant() -> None:
    from scitrera_aether_client._core.callback_pump import CallbackPump

    def finished(
        self: CallbackPump, task: asyncio.Task[None], done: Callable[[], None] | None
    ) -> None:
        self._task = None
        if done is not None:
            done()
        self._pump()

    CallbackPump._finished = finished  # type: ignore[method-assign]
