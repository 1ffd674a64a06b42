"""What every part of AsyncAdminClient stands on: the async client it runs over, and `_run`.

The parts are written against `_run` alone, so that their sync twins are a plain rewrite.
"""

from __future__ import annotations

from typing import TypeVar

from scitrera_aether_client._core import admin_requests as req
from scitrera_aether_client._core.validation import check_timeout
from scitrera_aether_client.client import BaseAetherClient
from scitrera_aether_client.client_async import BaseAsyncAetherClient

R = TypeVar("R")


class AsyncAdminBase:
    """The async client the admin calls go over, and `_run`, the one call they all make."""

    def __init__(self, client: BaseAsyncAetherClient) -> None:
        req.check_client(client, BaseAetherClient, "; use AdminClient for sync clients")
        self.client = client

    async def _run(self, request: req.AdminRequest[R], timeout: float) -> R | None:
        check_timeout("timeout", timeout)
        send = getattr(self.client, request.primitive)
        return request.accept(await send(request.op, timeout))
