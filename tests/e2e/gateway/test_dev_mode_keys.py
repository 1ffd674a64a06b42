"""Issue 14, seed example 2: API keys presented to a dev gateway (docs/security.md, "What --dev
gives up").

The reference README's `ServiceClient(..., credentials=Credentials.api_key("your-api-key"))`
connects to `aether-gateway serve --dev`, as it does to the Go gateway in dev mode: a key never
minted by this gateway counts as no credential, and the gateway logs one warning naming the
identity it admitted. A key it did mint is still checked: revoked, expired, or bound to another
principal type, it is refused as outside dev mode.
"""

from __future__ import annotations

import logging
import queue
from pathlib import Path

import pytest
from gateway_process import GatewayProcess

from aether_gateway.embedded import EmbeddedGateway
from scitrera_aether_client import (
    AgentClient,
    AsyncAgentClient,
    AsyncUserClient,
    AuthenticationError,
    Credentials,
    PermissionDeniedError,
    ServiceClient,
)
from scitrera_aether_client.proto import aether_pb2

from ._support import eventually, messages, wait_payload

WARNING = "dev mode: admitting {}, whose API key is unknown here, as if it presented none"


def dev_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    mine = [r for r in caplog.records if r.name == "aether_gateway"]
    return [r.getMessage() for r in mine if r.levelno == logging.WARNING and "API key" in r.msg]


def test_the_readme_service_snippet_connects_to_serve_dev(tmp_path: Path) -> None:
    """Snippet 10 as written, placeholder key included, against the `serve --dev` process."""
    gateway = GatewayProcess(tmp_path / "data", dev=True).start()
    got: queue.Queue[aether_pb2.IncomingMessage] = queue.Queue()
    try:
        client = ServiceClient(
            implementation="platform-server",
            specifier="pod-abc",
            credentials=Credentials.api_key("your-api-key"),
        )
        client.on_message = got.put
        client.connect(gateway.target)  # refused with "invalid API key" before issue 14
        with AgentClient("default", "probe", "01") as probe:
            probe.connect(gateway.target)
            probe.send_message_to_service("platform-server", "pod-abc", b"to the service")
            msg = got.get(timeout=10)
        client.close()
    finally:
        gateway.stop()
    assert (msg.source_topic, msg.payload) == ("ag::default::probe::01", b"to the service")


async def test_an_unknown_key_is_admitted_in_dev_mode_with_one_warning_naming_the_identity(
    async_aether_gateway: EmbeddedGateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="aether_gateway")
    gw = async_aether_gateway
    agent = AsyncAgentClient("ws", "bot", "placeholder", credentials=Credentials.api_key("k-1"))
    user = AsyncUserClient("alice", "w1", credentials=Credentials.api_key("your-api-key"))
    try:
        await agent.connect(gw.target)
        await user.connect(gw.target)
        inbox = messages(user)
        await agent.send_message_to_user_session("alice", "w1", b"hello")
        await wait_payload(inbox, b"hello")  # admitted and working, not just connected
    finally:
        await agent.close()
        await user.close()
    assert dev_warnings(caplog) == [
        WARNING.format("ag::ws::bot::placeholder"),
        WARNING.format("us::alice::w1"),
    ]
    assert all("k-1" not in r.getMessage() for r in caplog.records)  # the key is not logged


async def test_a_revoked_or_expired_key_is_refused_in_dev_mode_too(
    async_aether_gateway: EmbeddedGateway, caplog: pytest.LogCaptureFixture
) -> None:
    gw = async_aether_gateway
    tokens = gw.services.tokens
    revoked, revoked_key = tokens.create("gone", "Agent")
    tokens.revoke(revoked.id)
    _expired, expired_key = tokens.create("old", "Agent", expires_in_s=1)
    await eventually(lambda: tokens.authenticate(expired_key) is None, "key expiry")
    for key in (revoked_key, expired_key):
        client = AsyncAgentClient("ws", "bot", "stale", credentials=Credentials.api_key(key))
        with pytest.raises(AuthenticationError, match="invalid API key"):
            await client.connect(gw.target)
        await client.close()
    assert dev_warnings(caplog) == []


async def test_a_known_key_is_still_bound_to_its_principal_type_in_dev_mode(
    async_aether_gateway: EmbeddedGateway,
) -> None:
    _record, user_key = async_aether_gateway.services.tokens.create(
        "alice", "User", created_by="alice"
    )
    client = AsyncAgentClient("ws", "bot", "borrowed", credentials=Credentials.api_key(user_key))
    with pytest.raises(PermissionDeniedError):
        await client.connect(async_aether_gateway.target)
    await client.close()
