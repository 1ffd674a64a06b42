"""Shared fixtures: a real embedded gateway on 127.0.0.1 with an ephemeral port."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from aether_gateway.config import GatewayConfig
from aether_gateway.embedded import EmbeddedGateway, run_gateway


@pytest.fixture
async def gateway() -> AsyncIterator[EmbeddedGateway]:
    async with EmbeddedGateway(GatewayConfig(dev_mode=True)) as gw:
        yield gw


@pytest.fixture
def sync_gateway() -> Iterator[EmbeddedGateway]:
    with run_gateway(GatewayConfig(dev_mode=True)) as gw:
        yield gw
