"""The async clients' callback runner: callbacks one at a time, in arrival order, on the loop.

A callback that arrives while none is running or waiting starts at once, inside the reader's
dispatch: a plain function runs to its end there, a coroutine starts as its own task (eagerly
where asyncio can, Python 3.12+, so a callback that never waits finishes right there). Handing
every callback to a pump task instead cost a loop iteration (and the next read's grpc work) on
the path of every answer (benchmarks/README.md, "SDK profile").

While a coroutine callback waits, later callbacks queue behind it and the reader keeps reading,
so a callback may await a correlated call of its own client without deadlocking.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from scitrera_aether_client._core.connection_state import log

Job = tuple[Callable[..., Any], tuple[Any, ...], Callable[[], None] | None]


async def _logged(
    result: Awaitable[Any], callback: Callable[..., Any], done: Callable[[], None] | None
) -> None:
    """Await a coroutine callback, then run `done` in the same step: a task woken by the
    callback (say, one that then closes the client) must not run before its acknowledgement
    is recorded. A cancelled callback skips `done`: its message is not acknowledged."""
    try:
        await result
    except Exception:
        log.exception("callback %s raised", getattr(callback, "__name__", callback))
    if done is not None:
        done()


#: asyncio can run a new task's first step at once (Python 3.12+).
EAGER = sys.version_info >= (3, 12)


def _start(coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
    loop = asyncio.get_running_loop()
    if sys.version_info >= (3, 12):  # EAGER, spelled so the type checker narrows it
        # Runs the first step now, as the new task (current_task() and timeouts are its own).
        return asyncio.Task(coro, loop=loop, eager_start=True)
    return loop.create_task(coro)


class CallbackPump:
    def __init__(self) -> None:
        self._jobs: deque[Job] = deque()
        self._task: asyncio.Task[None] | None = None  # the coroutine callback running
        self._running = False  # a plain callback is running: a submit from it waits its turn
        self._fresh = False  # the task last started has not taken a step yet
        self._idle: asyncio.Event | None = None  # created on first use, on the client's loop

    def submit(
        self,
        callback: Callable[..., Any],
        args: tuple[Any, ...],
        done: Callable[[], None] | None = None,
    ) -> bool:
        """Run or queue a callback; `done` runs after it returned (or raised): delivery acks
        hang on it. Only on the client's loop. True when it started a task that has yet to
        take its first step (Python 3.11, where tasks cannot start eagerly)."""
        self._jobs.append((callback, args, done))
        if self._task is not None or self._running:
            return False
        self._pump()
        return self._task is not None and self._fresh

    def _pump(self) -> None:
        self._running = True
        try:
            while self._task is None and self._jobs:
                self._run(self._jobs.popleft())
        finally:
            self._running = False
        if self._task is None and self._idle is not None:
            self._idle.set()

    def _run(self, job: Job) -> None:
        callback, args, done = job
        try:
            result = callback(*args)
        except Exception:
            log.exception("callback %s raised", getattr(callback, "__name__", callback))
            result = None
        if isinstance(result, Awaitable):
            task = _start(_logged(result, callback, done))  # runs `done` itself
            self._fresh = not EAGER
            if not task.done():
                self._task = task
                if self._idle is not None:
                    self._idle.clear()
                task.add_done_callback(self._finished)
            return
        if done is not None:
            done()

    def _finished(self, task: asyncio.Task[None]) -> None:
        """A coroutine callback ended: run what queued behind it, in order."""
        if self._task is not task:
            return  # stopped meanwhile
        self._task = None
        self._pump()

    async def drain(self, timeout: float) -> None:
        """Wait (at most `timeout` s) for the running callback and those queued behind it."""
        if self._task is None:
            return
        if self._idle is None:
            self._idle = asyncio.Event()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), timeout)

    def stop(self) -> None:
        """Cancel the running callback and drop the queued ones."""
        self._jobs.clear()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
