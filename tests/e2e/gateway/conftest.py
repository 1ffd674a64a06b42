"""Fixtures that close every client and raw stream a test opened, whatever the outcome."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

import pytest

from scitrera_aether_client.client_async import BaseAsyncAetherClient

from ._support import RawStream, Up, open_raw

C = TypeVar("C", bound=BaseAsyncAetherClient)


@pytest.fixture
async def opened() -> AsyncIterator[Callable[[C, str], Awaitable[C]]]:
    """`await opened(client, target)`: connect it now, close it at teardown."""
    made: list[BaseAsyncAetherClient] = []

    async def open_(client: C, target: str) -> C:
        made.append(client)
        await client.connect(target)
        return client

    yield open_  # type: ignore[misc]
    for client in reversed(made):
        with contextlib.suppress(Exception):
            await client.close()


@pytest.fixture
async def raw() -> AsyncIterator[Callable[[str, Up | None], Awaitable[RawStream]]]:
    """`await raw(target, init)`: a raw stream (past its ack when `init` is given)."""
    made: list[RawStream] = []

    async def open_(target: str, init: Up | None = None) -> RawStream:
        stream = RawStream(target) if init is None else await open_raw(target, init)
        made.append(stream)
        return stream

    yield open_
    for stream in made:
        with contextlib.suppress(Exception):
            await stream.close()
