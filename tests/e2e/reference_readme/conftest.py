"""Gateways that the dev-mode fixtures of tests/conftest.py cannot stand in for: one that checks
API keys (admin and service snippets) and a throwaway PKI (TLS snippet)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from aether_gateway.config import GatewayConfig
from aether_gateway.embedded import EmbeddedGateway, run_gateway
from scitrera_aether_client.testing import TestPKI, make_test_pki


@pytest.fixture
def sync_keyed_gateway() -> Iterator[EmbeddedGateway]:
    """Not dev mode: every agent, task, user and service must present a minted API key."""
    with run_gateway(GatewayConfig(dev_mode=False)) as gw:
        yield gw


@pytest.fixture
async def keyed_gateway() -> AsyncIterator[EmbeddedGateway]:
    async with EmbeddedGateway(GatewayConfig(dev_mode=False)) as gw:
        yield gw


@pytest.fixture
def pki(tmp_path: Path) -> TestPKI:
    return make_test_pki(tmp_path / "pki")
