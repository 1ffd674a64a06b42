"""pytest plugin: a real embedded Aether gateway for your tests, and clients that close themselves.

Registered under the ``pytest11`` entry point ``aether``, so pytest loads it wherever the SDK is
installed; the fixtures need the embedded gateway, which ``pip install
'scitrera-aether-client[testing]'`` brings. Without it the plugin still loads (it imports the
gateway only when a fixture runs) and a test that uses a fixture fails with an install hint.

Fixtures (docs/testing.md):

``aether_gateway``
    A gateway on 127.0.0.1 (ephemeral port, in-memory SQLite, dev mode) for one test, served from
    a background thread, so sync and async clients alike can reach ``aether_gateway.target``.
``aether_gateway_session``
    The same, shared by every test of the session.
``async_aether_gateway``
    A gateway on the test's own event loop (needs pytest-asyncio), for one test.
``aether_gateway_config``
    What the gateways above are started with: None (dev mode) unless you override this
    session-scoped fixture to return an ``aether_gateway.config.GatewayConfig``.
``aether_client``
    ``aether_client(AgentClient("ws", "bot", "a"))`` connects a sync client and closes it after
    the test. The target is the gateway fixture the test asked for (``aether_gateway_session``
    or ``aether_gateway``; ``aether_gateway`` when it asked for neither), or ``target=``.
``async_aether_client``
    ``await async_aether_client(AsyncAgentClient(...))``: the same for async clients, connected
    to ``async_aether_gateway`` unless ``target=`` says otherwise.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
from collections.abc import AsyncIterator, Iterator
from types import ModuleType
from typing import TYPE_CHECKING, Protocol, TypeVar

import pytest

from scitrera_aether_client.client import BaseAetherClient
from scitrera_aether_client.client_async import BaseAsyncAetherClient

if TYPE_CHECKING:
    from aether_gateway.config import GatewayConfig
    from aether_gateway.embedded import EmbeddedGateway

__all__ = [
    "AsyncClientFactory",
    "ClientFactory",
    "aether_client",
    "aether_gateway",
    "aether_gateway_config",
    "aether_gateway_session",
    "async_aether_client",
    "async_aether_gateway",
]

C = TypeVar("C", bound=BaseAetherClient)
A = TypeVar("A", bound=BaseAsyncAetherClient)

INSTALL_HINT = (
    "the aether pytest fixtures need the embedded gateway (the aether_gateway package): "
    "pip install 'scitrera-aether-client[testing]'"
)
ASYNC_HINT = "async_aether_gateway and async_aether_client need pytest-asyncio (pip install it)"


class ClientFactory(Protocol):
    """The `aether_client` fixture: connects a sync client and returns it."""

    def __call__(self, client: C, target: str | None = None) -> C: ...


class AsyncClientFactory(Protocol):
    """The `async_aether_client` fixture: connects an async client and returns it."""

    async def __call__(self, client: A, target: str | None = None) -> A: ...


# The gateway fixtures a sync client may be pointed at, in order of preference.
_SYNC_GATEWAYS = ("aether_gateway_session", "aether_gateway")


def _embedded() -> ModuleType:
    """aether_gateway.embedded, imported when a fixture first needs it: the SDK does not depend
    on the gateway, and a missing gateway must fail the test that needs it, not every run."""
    try:
        return importlib.import_module("aether_gateway.embedded")
    except ImportError as missing:
        pytest.fail(f"{INSTALL_HINT} ({missing})", pytrace=False)


@pytest.fixture(scope="session")
def aether_gateway_config() -> GatewayConfig | None:
    """Override to start the plugin's gateways with another GatewayConfig (None: dev mode)."""
    return None


@contextlib.contextmanager
def _threaded_gateway(config: GatewayConfig | None) -> Iterator[EmbeddedGateway]:
    with _embedded().run_gateway(config) as gateway:  # None: GatewayConfig(dev_mode=True)
        yield gateway


@pytest.fixture
def aether_gateway(aether_gateway_config: GatewayConfig | None) -> Iterator[EmbeddedGateway]:
    """A real gateway for this test on 127.0.0.1; connect clients to `.target`."""
    with _threaded_gateway(aether_gateway_config) as gateway:
        yield gateway


@pytest.fixture(scope="session")
def aether_gateway_session(
    aether_gateway_config: GatewayConfig | None,
) -> Iterator[EmbeddedGateway]:
    """One real gateway shared by every test of the session (state carries over between tests)."""
    with _threaded_gateway(aether_gateway_config) as gateway:
        yield gateway


@pytest.fixture
def aether_client(request: pytest.FixtureRequest) -> Iterator[ClientFactory]:
    """`aether_client(client, target=None)`: connect a sync client now, close it after the test."""
    made: list[BaseAetherClient] = []

    def connect(client: C, target: str | None = None) -> C:
        if not isinstance(client, BaseAetherClient):
            raise TypeError(
                f"aether_client takes a sync client (AgentClient, ...), got {type(client).__name__}"
                "; use async_aether_client for async clients"
            )
        if target is None:
            name = next((n for n in _SYNC_GATEWAYS if n in request.fixturenames), "aether_gateway")
            target = str(request.getfixturevalue(name).target)
        made.append(client)
        client.connect(target)
        return client

    yield connect
    _close_all(made)


def _close_all(clients: list[BaseAetherClient]) -> None:
    errors: list[BaseException] = []
    for client in reversed(clients):
        try:
            client.close()
        except Exception as error:  # close the rest; report the first failure
            errors.append(error)
    if errors:
        raise errors[0]


if importlib.util.find_spec("pytest_asyncio") is not None:
    import pytest_asyncio

    @pytest_asyncio.fixture
    async def async_aether_gateway(
        aether_gateway_config: GatewayConfig | None,
    ) -> AsyncIterator[EmbeddedGateway]:
        """A real gateway for this test, served on the test's event loop."""
        async with _embedded().EmbeddedGateway(aether_gateway_config) as gateway:
            yield gateway

    @pytest_asyncio.fixture
    async def async_aether_client(
        async_aether_gateway: EmbeddedGateway,
    ) -> AsyncIterator[AsyncClientFactory]:
        """`await async_aether_client(client, target=None)`: connect an async client now (to
        async_aether_gateway by default), close it after the test."""
        made: list[BaseAsyncAetherClient] = []

        async def connect(client: A, target: str | None = None) -> A:
            if not isinstance(client, BaseAsyncAetherClient):
                raise TypeError(
                    "async_aether_client takes an async client (AsyncAgentClient, ...), "
                    f"got {type(client).__name__}; use aether_client for sync clients"
                )
            made.append(client)
            await client.connect(target or async_aether_gateway.target)
            return client

        yield connect
        errors: list[BaseException] = []
        for client in reversed(made):
            try:
                await client.close()
            except Exception as error:  # close the rest; report the first failure
                errors.append(error)
        if errors:
            raise errors[0]

else:  # pragma: no cover - pytest-asyncio comes with the testing extra
    # Without pytest-asyncio the plugin still loads; only these two fixtures explain themselves.

    @pytest.fixture
    def async_aether_gateway() -> None:
        pytest.fail(ASYNC_HINT, pytrace=False)

    @pytest.fixture
    def async_aether_client() -> None:
        pytest.fail(ASYNC_HINT, pytrace=False)
