"""The async callback pump reports a callback cancelled by close() as done (acknowledged)."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

FAULT = "a callback cancelled when its client closes is acknowledged, so it is never redelivered"
CAUGHT_BY = ["tests/sdk_unit/test_callback_pump.py::test_a_callback_cancelled_by_stop_is_not_done"]


def plant() -> None:
    from scitrera_aether_client._core import callback_pump

    async def logged(
        result: Awaitable[Any], callback: Callable[..., Any], done: Callable[[], None] | None
    ) -> None:
        with contextlib.suppress(BaseException):  # the fault: cancellation counts as done too
            await result
        if done is not None:
            done()

    callback_pump._logged = logged
