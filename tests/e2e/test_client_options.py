"""Connection options against the real gateway, for both flavours: the TLS defaults (one rule;
sync defaults to False, async to None = detect from the environment) and every constructor path
(per-principal arguments, base arguments, base options=) carrying credentials to the gateway."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from aether_gateway.config import GatewayConfig
from aether_gateway.embedded import EmbeddedGateway, run_gateway
from aether_gateway.tls import server_credentials
from scitrera_aether_client import (
    AgentClient,
    AsyncAgentClient,
    AuthenticationError,
    ConnectionError,
)
from scitrera_aether_client._core.options import ClientOptions
from scitrera_aether_client._core.tls import ENV_CA_CERT, ENV_TLS_ENABLED
from scitrera_aether_client.client import BaseAetherClient
from scitrera_aether_client.client_async import BaseAsyncAetherClient
from scitrera_aether_client.proto import aether_pb2
from scitrera_aether_client.testing import TestPKI, make_test_pki

FAST: dict[str, Any] = {"max_retries": 1, "initial_backoff": 0.05, "max_backoff": 0.1}


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPKI:
    return make_test_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def ca_in_env(pki: TestPKI, monkeypatch: pytest.MonkeyPatch) -> None:
    """The test CA is configured only through the environment (as a deployment would)."""
    monkeypatch.delenv(ENV_TLS_ENABLED, raising=False)
    monkeypatch.setenv(ENV_CA_CERT, str(pki.ca_cert_path))


@pytest.fixture
async def tls_gateway(pki: TestPKI) -> AsyncIterator[EmbeddedGateway]:
    creds = server_credentials(pki.server_cert, pki.server_key)
    async with EmbeddedGateway(GatewayConfig(dev_mode=True), server_credentials=creds) as gw:
        yield gw


@pytest.fixture
def sync_tls_gateway(pki: TestPKI) -> Iterator[EmbeddedGateway]:
    creds = server_credentials(pki.server_cert, pki.server_key)
    with run_gateway(GatewayConfig(dev_mode=True), server_credentials=creds) as gw:
        yield gw


# --- TLS defaults -------------------------------------------------------------------------------


@pytest.mark.usefixtures("ca_in_env")
async def test_async_default_takes_tls_from_the_environment(tls_gateway: EmbeddedGateway) -> None:
    client = AsyncAgentClient("ws", "env-tls", "async-default")
    assert client.tls_enabled is True
    await client.connect(tls_gateway.target)
    try:
        stored = await client.kv_put("k", b"over env tls", timeout=10.0)
        assert stored is not None and stored.success
    finally:
        await client.close()


@pytest.mark.usefixtures("ca_in_env")
async def test_async_explicit_false_stays_plaintext(
    gateway: EmbeddedGateway, tls_gateway: EmbeddedGateway
) -> None:
    client = AsyncAgentClient("ws", "env-tls", "async-false", tls_enabled=False, **FAST)
    assert client.tls_enabled is False
    with pytest.raises(ConnectionError):  # the TLS gateway refuses a plaintext handshake
        await client.connect(tls_gateway.target)
    await client.close()
    plain = AsyncAgentClient("ws", "env-tls", "async-false-2", tls_enabled=False)
    await plain.connect(gateway.target)
    assert plain.is_connected
    await plain.close()


@pytest.mark.usefixtures("ca_in_env")
def test_sync_default_is_plaintext_despite_the_environment(
    sync_tls_gateway: EmbeddedGateway,
) -> None:
    client = AgentClient("ws", "env-tls", "sync-default", **FAST)
    assert client.tls_enabled is False
    with pytest.raises(ConnectionError):
        client.connect(sync_tls_gateway.target)
    client.close()


@pytest.mark.usefixtures("ca_in_env")
@pytest.mark.parametrize("tls_enabled", [True, None], ids=["explicit-true", "none-detects"])
def test_sync_reads_the_environment_like_async(
    sync_tls_gateway: EmbeddedGateway, tls_enabled: bool | None
) -> None:
    # tls_enabled=True alone would trust only the system roots, which do not hold the test CA:
    # connecting proves the CA came from AETHER_TLS_CA_CERT.
    client = AgentClient("ws", "env-tls", f"sync-{tls_enabled}", tls_enabled=tls_enabled)
    assert client.tls_enabled is True
    client.connect(sync_tls_gateway.target)
    try:
        stored = client.kv_put_sync("k", b"over env tls", timeout=10.0)
        assert stored is not None and stored.success
    finally:
        client.close()


# --- constructor paths carry the options to the gateway ----------------------------------------


@pytest.fixture
async def secure() -> AsyncIterator[EmbeddedGateway]:
    async with EmbeddedGateway(GatewayConfig(dev_mode=False)) as gw:
        yield gw


@pytest.fixture
def sync_secure() -> Iterator[EmbeddedGateway]:
    with run_gateway(GatewayConfig(dev_mode=False)) as gw:
        yield gw


def _key(gw: EmbeddedGateway) -> str:
    _, plaintext = gw.services.tokens.create("t", "Agent", workspace_patterns=("*",))
    return plaintext


def _init(spec: str) -> aether_pb2.InitConnection:
    identity = aether_pb2.AgentIdentity(workspace="ws", implementation="paths", specifier=spec)
    return aether_pb2.InitConnection(agent=identity)


async def test_async_constructor_paths_send_the_credentials(secure: EmbeddedGateway) -> None:
    creds = {"x-api-key": _key(secure)}
    clients = [
        AsyncAgentClient("ws", "paths", "generated", credentials=creds),
        BaseAsyncAetherClient(credentials=creds, init=_init("base-args")),
        BaseAsyncAetherClient(options=ClientOptions(credentials=creds, init=_init("base-opts"))),
    ]
    for client in clients:
        await client.connect(secure.target)  # returns after the gateway's ConnectionAck
        assert client.is_connected and client.session_id
        await client.close()
    # Without the key the same gateway refuses: the passes above are the credentials' doing.
    wrong = BaseAsyncAetherClient(
        options=ClientOptions(credentials={"x-api-key": "nope"}, init=_init("wrong"))
    )
    with pytest.raises(AuthenticationError):
        await wrong.connect(secure.target)
    await wrong.close()


def test_sync_constructor_paths_send_the_credentials(sync_secure: EmbeddedGateway) -> None:
    creds = {"x-api-key": _key(sync_secure)}
    clients = [
        AgentClient("ws", "paths", "generated", credentials=creds),
        BaseAetherClient(credentials=creds, init=_init("base-args")),
        BaseAetherClient(options=ClientOptions(credentials=creds, init=_init("base-opts"))),
    ]
    for client in clients:
        client.connect(sync_secure.target)
        assert client.is_connected and client.session_id
        client.close()
    wrong = AgentClient("ws", "paths", "wrong", credentials={"x-api-key": "nope"})
    with pytest.raises(AuthenticationError):
        wrong.connect(sync_secure.target)
    wrong.close()
