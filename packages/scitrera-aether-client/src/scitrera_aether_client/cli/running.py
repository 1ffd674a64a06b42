"""How an `aether` command runs: it opens one connection as the CLI's identity, does its work,
closes it; a refusal, a failure or a missing answer ends it with exit code 1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import click

from scitrera_aether_client.admin_async import AsyncAdminClient
from scitrera_aether_client.cli.output import fail
from scitrera_aether_client.cli.settings import Settings, settings
from scitrera_aether_client.client_async import BaseAsyncAetherClient
from scitrera_aether_client.exceptions import AetherError

T = TypeVar("T")


def run_async(work: Callable[[BaseAsyncAetherClient], Awaitable[T]]) -> T:
    """Connect as the CLI's identity, run `work` with the client, close; errors exit 1."""
    s = settings()

    async def main() -> T:
        async with connected(s) as client:
            return await work(client)

    try:
        return asyncio.run(main())
    except AetherError as error:
        fail(str(error))


@asynccontextmanager
async def connected(s: Settings) -> AsyncIterator[BaseAsyncAetherClient]:
    try:
        client = s.client()
    except AetherError as error:  # an identity part the gateway would refuse (bad characters)
        raise click.BadParameter(str(error), param_hint="'--as'") from None
    try:
        await client.connect(s.target)
        yield client
    finally:
        await client.close()


def answered(response: T | None, what: str) -> T:
    if response is None:
        fail(f"no answer to {what} within {settings().timeout:g} s")
    return response


def succeeded(response: Any, what: str) -> None:
    if not getattr(response, "success", True):
        fail(f"{what} failed: {getattr(response, 'error', '') or 'refused by the gateway'}")


def run_admin(call: Callable[[AsyncAdminClient], Awaitable[T | None]], what: str) -> T:
    async def work(client: BaseAsyncAetherClient) -> T | None:
        return await call(AsyncAdminClient(client))

    response = answered(run_async(work), what)
    succeeded(response, what)
    return response
