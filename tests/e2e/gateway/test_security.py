"""Issue 3 item 10: credentials on a non-dev gateway, TLS and mTLS."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest

from aether_gateway.config import GatewayConfig
from aether_gateway.embedded import EmbeddedGateway
from aether_gateway.tls import server_credentials
from scitrera_aether_client import (
    AsyncAgentClient,
    AsyncBridgeClient,
    AsyncMetricsBridgeClient,
    AsyncOrchestratorClient,
    AsyncServiceClient,
    AsyncTaskClient,
    AsyncUserClient,
    AsyncWorkflowEngineClient,
    AuthenticationError,
    ConnectionError,
    Credentials,
    PermissionDeniedError,
)

from ._support import FAST, RawStream, agent_init, messages, wait_payload


@pytest.fixture
async def secure() -> AsyncIterator[EmbeddedGateway]:
    async with EmbeddedGateway(GatewayConfig(dev_mode=False)) as gw:
        yield gw


def key_for(
    gw: EmbeddedGateway,
    principal_type: str = "Agent",
    patterns: tuple[str, ...] = ("*",),
    created_by: str = "admin",
) -> str:
    _, plaintext = gw.services.tokens.create(
        "test", principal_type, workspace_patterns=patterns, created_by=created_by
    )
    return plaintext


@pytest.mark.parametrize(
    "make",
    [
        lambda: AsyncAgentClient("ws", "bot", "anon"),
        lambda: AsyncTaskClient("ws", "job", "anon"),
        lambda: AsyncUserClient("anon", "w1"),
        lambda: AsyncServiceClient("svc", "anon"),
        lambda: AsyncBridgeClient("br", "anon"),
    ],
    ids=["agent", "task", "user", "service", "bridge"],
)
async def test_anonymous_impersonable_principals_are_refused(secure: EmbeddedGateway, make) -> None:
    client = make()
    with pytest.raises(AuthenticationError, match="requires a matching API key credential"):
        await client.connect(secure.target)
    await client.close()


async def test_anonymous_refusal_is_unauthenticated_on_the_wire(
    secure: EmbeddedGateway, raw
) -> None:
    stream = await raw(secure.target)
    await stream.send(agent_init(spec="anon"))
    code, details = await stream.status()
    assert code == grpc.StatusCode.UNAUTHENTICATED
    assert details == "anonymous connection as Agent requires a matching API key credential"


@pytest.mark.parametrize(
    ("type_name", "make"),
    [
        ("Orchestrator", lambda creds: AsyncOrchestratorClient("orc", ["p"], credentials=creds)),
        ("WorkflowEngine", lambda creds: AsyncWorkflowEngineClient(credentials=creds)),
        ("MetricsBridge", lambda creds: AsyncMetricsBridgeClient(credentials=creds)),
    ],
    ids=["orchestrator", "workflow_engine", "metrics_bridge"],
)
async def test_system_principals_connect_with_a_key_of_their_type(
    secure: EmbeddedGateway, opened, type_name: str, make
) -> None:
    # Issue 9: they no longer connect anonymously (test_security_auth.py has the refusals).
    client = await opened(make(Credentials.api_key(key_for(secure, type_name))), secure.target)
    assert client.is_connected


async def test_a_valid_key_bound_to_type_and_workspace_pattern_connects(
    secure: EmbeddedGateway, opened
) -> None:
    key = key_for(secure, "Agent", ("team-*",))
    alice = AsyncAgentClient("team-a", "bot", "alice", credentials=Credentials.api_key(key))
    bob = AsyncAgentClient("team-b", "bot", "bob", credentials=Credentials.api_key(key))
    await opened(alice, secure.target)
    await opened(bob, secure.target)
    received = messages(bob)
    await alice.send_message_to_agent("team-b", "bot", "bob", b"authenticated")
    await wait_payload(received, b"authenticated")
    assert received.items[0].source_topic == "ag::team-a::bot::alice"


async def test_the_api_key_credential_name_also_works(secure: EmbeddedGateway, opened) -> None:
    key = key_for(secure)
    client = AsyncAgentClient("ws", "bot", "plain-name", credentials={"api_key": key})
    await opened(client, secure.target)
    assert client.is_connected


async def test_a_key_for_another_principal_type_is_permission_denied(
    secure: EmbeddedGateway,
) -> None:
    key = key_for(secure, "Service")
    client = AsyncAgentClient("ws", "bot", "wrongtype", credentials=Credentials.api_key(key))
    with pytest.raises(PermissionDeniedError, match="principal type"):
        await client.connect(secure.target)
    await client.close()


async def test_a_key_for_another_workspace_is_permission_denied(secure: EmbeddedGateway) -> None:
    key = key_for(secure, "Agent", ("team-*",))
    client = AsyncAgentClient("prod", "bot", "wrongws", credentials=Credentials.api_key(key))
    with pytest.raises(PermissionDeniedError, match="API key not authorized for workspace prod"):
        await client.connect(secure.target)
    await client.close()


async def test_a_user_key_authenticates_only_its_user(secure: EmbeddedGateway, opened) -> None:
    key = key_for(secure, "User", created_by="alice")
    alice = AsyncUserClient("alice", "w1", credentials=Credentials.api_key(key))
    await opened(alice, secure.target)
    mallory = AsyncUserClient("mallory", "w1", credentials=Credentials.api_key(key))
    with pytest.raises(PermissionDeniedError):
        await mallory.connect(secure.target)
    await mallory.close()


async def test_a_revoked_key_is_refused(secure: EmbeddedGateway, opened) -> None:
    record, key = secure.services.tokens.create("soon-revoked", "Agent")
    first = AsyncAgentClient("ws", "bot", "revokee", credentials=Credentials.api_key(key))
    await opened(first, secure.target)
    await first.close()
    assert secure.services.tokens.revoke(record.id)
    again = AsyncAgentClient("ws", "bot", "revokee", credentials=Credentials.api_key(key))
    with pytest.raises(AuthenticationError):
        await again.connect(secure.target)
    await again.close()


async def test_an_unknown_key_is_refused(secure: EmbeddedGateway) -> None:
    client = AsyncAgentClient("ws", "bot", "guess", credentials=Credentials.api_key("ak_nope"))
    with pytest.raises(AuthenticationError, match="credential authentication failed"):
        await client.connect(secure.target)
    await client.close()


async def test_unsupported_bearer_token_is_unauthenticated(secure: EmbeddedGateway) -> None:
    client = AsyncAgentClient("ws", "bot", "jwt", credentials=Credentials.bearer_token("x.y.z"))
    with pytest.raises(AuthenticationError):
        await client.connect(secure.target)
    await client.close()


# Keys presented to a dev gateway (unknown: admitted; revoked, expired, bound elsewhere: refused)
# are tested in test_dev_mode_keys.py.


# ---------------------------------------------------------------------------------- TLS


@pytest.fixture
def pki(tmp_path: Path):  # type: ignore[no-untyped-def]
    pytest.importorskip("cryptography", reason="TLS tests mint certificates with cryptography")
    from scitrera_aether_client.testing.certs import make_test_pki

    return make_test_pki(tmp_path)


async def test_tls_gateway_serves_a_tls_client(pki, opened) -> None:
    creds = server_credentials(pki.server_cert, pki.server_key)
    async with EmbeddedGateway(GatewayConfig(dev_mode=True), server_credentials=creds) as gw:
        sender = AsyncAgentClient("ws", "bot", "tls-a", tls_enabled=True, tls_root_cert=pki.ca_cert)
        receiver = AsyncAgentClient(
            "ws", "bot", "tls-b", tls_enabled=True, tls_root_cert=pki.ca_cert
        )
        received = messages(receiver)
        await opened(sender, gw.target)
        await opened(receiver, gw.target)
        await sender.send_message_to_agent("ws", "bot", "tls-b", b"encrypted")
        await wait_payload(received, b"encrypted")
        assert (await sender.kv_put("k", b"v")).success
        await sender.close()
        await receiver.close()


async def test_tls_gateway_refuses_a_plaintext_client(pki) -> None:
    creds = server_credentials(pki.server_cert, pki.server_key)
    async with EmbeddedGateway(GatewayConfig(dev_mode=True), server_credentials=creds) as gw:
        client = AsyncAgentClient("ws", "bot", "plain", max_retries=1, **FAST)
        with pytest.raises(ConnectionError):
            await client.connect(gw.target)
        await client.close()


async def test_mtls_accepts_a_client_certificate(pki, opened) -> None:
    creds = server_credentials(pki.server_cert, pki.server_key, pki.ca_cert)
    async with EmbeddedGateway(GatewayConfig(dev_mode=True), server_credentials=creds) as gw:
        client = AsyncAgentClient(
            "ws",
            "bot",
            "mtls",
            tls_enabled=True,
            tls_root_cert=pki.ca_cert,
            tls_client_cert=pki.client_cert,
            tls_client_key=pki.client_key,
        )
        await opened(client, gw.target)
        assert (await client.checkpoint_list()).success
        await client.close()


async def test_mtls_refuses_a_client_without_a_certificate(pki) -> None:
    creds = server_credentials(pki.server_cert, pki.server_key, pki.ca_cert)
    async with EmbeddedGateway(GatewayConfig(dev_mode=True), server_credentials=creds) as gw:
        client = AsyncAgentClient(
            "ws",
            "bot",
            "nocert",
            tls_enabled=True,
            tls_root_cert=pki.ca_cert,
            max_retries=1,
            **FAST,
        )
        with pytest.raises(ConnectionError):
            await client.connect(gw.target)
        await client.close()


async def test_mtls_refuses_a_certificate_from_another_ca(pki, tmp_path: Path) -> None:
    from scitrera_aether_client.testing.certs import make_test_pki

    stranger = make_test_pki(tmp_path / "other")
    creds = server_credentials(pki.server_cert, pki.server_key, pki.ca_cert)
    async with EmbeddedGateway(GatewayConfig(dev_mode=True), server_credentials=creds) as gw:
        client = AsyncAgentClient(
            "ws",
            "bot",
            "stranger",
            tls_enabled=True,
            tls_root_cert=pki.ca_cert,
            tls_client_cert=stranger.client_cert,
            tls_client_key=stranger.client_key,
            max_retries=1,
            **FAST,
        )
        with pytest.raises(ConnectionError):
            await client.connect(gw.target)
        await client.close()


async def test_a_refused_handshake_leaves_other_sessions_served(
    secure: EmbeddedGateway, opened
) -> None:
    key = key_for(secure)
    a = AsyncAgentClient("ws", "bot", "steady-a", credentials=Credentials.api_key(key))
    b = AsyncAgentClient("ws", "bot", "steady-b", credentials=Credentials.api_key(key))
    await opened(a, secure.target)
    await opened(b, secure.target)
    received = messages(b)
    for _ in range(3):
        stream = RawStream(secure.target)
        await stream.send(agent_init(spec="anon"))
        assert (await stream.status())[0] == grpc.StatusCode.UNAUTHENTICATED
        await stream.close()
    await a.send_message_to_agent("ws", "bot", "steady-b", b"still here")
    await wait_payload(received, b"still here")
