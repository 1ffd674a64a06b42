"""The sync clients' callback runner: one thread per client, callbacks in arrival order.

A plain thread reading a SimpleQueue costs well under a microsecond per callback, where a
ThreadPoolExecutor.submit measured 12-16 us (benchmarks/README.md). Callbacks never run on the I/O
loop, so a callback may make blocking *_sync calls on its own client.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger("scitrera_aether_client")
Job = tuple[Callable[..., Any], tuple[Any, ...], Callable[[], None] | None] | None


class CallbackThread:
    def __init__(self, name: str = "aether-callbacks") -> None:
        self._name = name
        self._jobs: queue.SimpleQueue[Job] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(
        self,
        callback: Callable[..., Any],
        args: tuple[Any, ...],
        done: Callable[[], None] | None = None,
    ) -> None:
        """Queue a callback; `done` runs after it returned (or raised): delivery acks hang on it.
        Returns None: nothing waits on the I/O loop (RunCallback)."""
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                    self._thread.start()
        self._jobs.put((callback, args, done))

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            callback, args, done = job
            try:
                result = callback(*args)
                if hasattr(result, "close") and hasattr(result, "send"):
                    result.close()  # a coroutine function given to a sync client cannot be awaited
                    log.warning(
                        "callback %s is async; sync clients call it without awaiting", callback
                    )
            except Exception:
                log.exception("callback %s raised", getattr(callback, "__name__", callback))
            if done is not None:
                done()

    def stop(self, timeout: float = 5.0) -> None:
        """Run what is queued, then end the thread (not from inside a callback: it would wait)."""
        thread = self._thread
        if thread is None:
            return
        self._jobs.put(None)
        if thread is not threading.current_thread():
            thread.join(timeout)
        self._thread = None
