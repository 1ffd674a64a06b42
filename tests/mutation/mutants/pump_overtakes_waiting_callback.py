"""The async callback pump runs a new callback at once even while an earlier one waits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

FAULT = "an async client's callback starts while the previous one still waits (order lost)"
CAUGHT_BY = [
    "tests/sdk_unit/test_callback_pump.py::"
    "test_callbacks_queue_behind_a_waiting_coroutine_in_arrival_order",
    "tests/e2e/test_callbacks.py::test_async_callbacks_keep_arrival_order",
]


def plant() -> None:
    from scitrera_aether_client._core.callback_pump import CallbackPump

    def submit(
        self: CallbackPump,
        callback: Callable[..., Any],
        args: tuple[Any, ...],
        done: Callable[[], None] | None = None,
    ) -> bool:
        self._task = None  # forget the waiting one: the new callback starts now
        self._run((callback, args, done))
        return False

    CallbackPump.submit = submit  # type: ignore[method-assign]
