"""The async callback pump records a coroutine callback's acknowledgement one loop turn late."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

FAULT = (
    "a coroutine callback's acknowledgement is recorded by a done-callback of its task, so a task"
    " it woke can close the client first and the message is redelivered"
)
CAUGHT_BY = [
    "tests/e2e/test_aether_cli.py::test_messages_past_the_count_are_left_for_the_next_subscriber",
    "tests/sdk_unit/test_callback_pump.py::test_done_is_recorded_before_a_task_the_callback_woke_runs",
]


def plant() -> None:
    from scitrera_aether_client._core import callback_pump

    original = callback_pump._logged

    async def logged(
        result: Awaitable[Any], callback: Callable[..., Any], done: Callable[[], None] | None
    ) -> None:
        await original(result, callback, None)
        if done is not None:
            asyncio.get_running_loop().call_soon(done)

    callback_pump._logged = logged
