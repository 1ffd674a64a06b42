"""Helpers for the README snippet tests: callback inboxes that wait on a condition, stdout polling
for snippets whose only visible effect is a print, and the shared test data."""

from __future__ import annotations

import asyncio
import queue
import time
from typing import Generic, TypeVar

import pytest

from scitrera_aether_client.proto import aether_pb2

T = TypeVar("T")
WAIT = 10.0  # how long a test waits for something that must happen; generous for a busy machine


class Inbox(Generic[T]):
    """A sync-client callback that queues what it gets; `get` waits for the next item."""

    def __init__(self) -> None:
        self._items: queue.Queue[T] = queue.Queue()

    def __call__(self, item: T) -> None:
        self._items.put(item)

    def get(self, timeout: float = WAIT) -> T:
        try:
            return self._items.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"nothing arrived within {timeout} s") from None


class AsyncInbox(Generic[T]):
    """An async-client callback that queues what it gets; `await get()` waits for the next."""

    def __init__(self) -> None:
        self._items: asyncio.Queue[T] = asyncio.Queue()

    def __call__(self, item: T) -> None:
        self._items.put_nowait(item)

    async def get(self, timeout: float = WAIT) -> T:
        try:
            return await asyncio.wait_for(self._items.get(), timeout)
        except TimeoutError:
            raise AssertionError(f"nothing arrived within {timeout} s") from None


class Printed:
    """What a snippet printed so far, read from pytest's capture; waits until a line appears."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys
        self.text = ""

    def _seen(self, line: str, deadline: float) -> bool:
        self.text += self._capsys.readouterr().out
        if line in self.text.splitlines():
            return True
        assert time.monotonic() < deadline, f"{line!r} never printed; got {self.text!r}"
        return False

    def wait_sync(self, line: str) -> None:
        deadline = time.monotonic() + WAIT
        while not self._seen(line, deadline):
            time.sleep(0.01)

    async def wait(self, line: str) -> None:
        deadline = time.monotonic() + WAIT
        while not self._seen(line, deadline):
            await asyncio.sleep(0.01)


def latency_metric(value: float = 42.0) -> bytes:
    """A well-formed Metric, serialized: what the gateway accepts on metric:: topics."""
    metric = aether_pb2.Metric(entries=[aether_pb2.MetricEntry(name="latency", qty=value)])
    return metric.SerializeToString()
