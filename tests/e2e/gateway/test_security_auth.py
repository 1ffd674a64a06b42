"""Issue 9, findings 1, 2 and 5 (and who may run admin, finding 8) on a gateway without --dev.

1. every principal authenticates, system principals included: an API key bound to its type, a
   task token, or an mTLS certificate naming the identity;
2. keys carry identity patterns (workspace, implementation, specifier), and resume_session_id
   only resumes a session opened with the same credential;
5. revoking or deleting a key ends every session it authenticated; task tokens are single-use
   (except for resuming the session they opened) and expire.

See docs/security.md for the guarantees these tests enforce.
"""

from __future__ import annotations

import asyncio
import datetime
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from aether_gateway.config import GatewayConfig
from aether_gateway.embedded import EmbeddedGateway
from aether_gateway.tls import server_credentials
from scitrera_aether_client import (
    AsyncAgentClient,
    AsyncMetricsBridgeClient,
    AsyncOrchestratorClient,
    AsyncWorkflowEngineClient,
    AuthenticationError,
    Credentials,
    PermissionDeniedError,
)
from scitrera_aether_client.proto import aether_pb2

from ._support import (
    WAIT,
    Inbox,
    RawStream,
    Up,
    agent_init,
    eventually,
    messages,
    released,
    wait_payload,
)

W = aether_pb2.WorkspaceOperation
T = aether_pb2.TokenOperation
A = aether_pb2.ACLOperation
G = aether_pb2.AgentOperation


@pytest.fixture
async def secure() -> AsyncIterator[EmbeddedGateway]:
    async with EmbeddedGateway(GatewayConfig(dev_mode=False)) as gw:
        yield gw


@pytest.fixture
async def unpolled() -> AsyncIterator[EmbeddedGateway]:
    """No periodic credential check within a test's time: only the admin API path ends sessions."""
    async with EmbeddedGateway(GatewayConfig(dev_mode=False, credential_check_s=3600.0)) as gw:
        yield gw


def key_for(gw: EmbeddedGateway, principal_type: str, **options: Any) -> tuple[str, str]:
    """(key id, plaintext) of a fresh key of `principal_type`."""
    record, plaintext = gw.services.tokens.create("test", principal_type, **options)
    return record.id, plaintext


def init_of(arm: str, body: Any, **extra: Any) -> Up:
    return Up(init=aether_pb2.InitConnection(**{arm: body}, **extra))


SYSTEM_INITS = {
    "Orchestrator": (
        "orchestrator",
        aether_pb2.OrchestratorIdentity(
            implementation="launcher", specifier="o1", supported_profiles=["local"]
        ),
    ),
    "WorkflowEngine": ("workflow_engine", aether_pb2.WorkflowEngineIdentity()),
    "MetricsBridge": ("metrics_bridge", aether_pb2.MetricsBridgeIdentity()),
}


# ---------------------------------------------------------------- 1. system principals


@pytest.mark.parametrize("type_name", list(SYSTEM_INITS))
async def test_anonymous_system_principals_are_unauthenticated(
    secure: EmbeddedGateway, raw, type_name: str
) -> None:
    arm, body = SYSTEM_INITS[type_name]
    stream = await raw(secure.target)
    await stream.send(init_of(arm, body))
    code, details = await stream.status()
    assert code == grpc.StatusCode.UNAUTHENTICATED
    assert details == f"anonymous connection as {type_name} requires a matching API key credential"


@pytest.mark.parametrize(
    "make",
    [
        lambda: AsyncOrchestratorClient("launcher", ["local"]),
        AsyncWorkflowEngineClient,
        AsyncMetricsBridgeClient,
    ],
    ids=["orchestrator", "workflow_engine", "metrics_bridge"],
)
async def test_the_sdk_reports_an_anonymous_system_principal_as_authentication_error(
    secure: EmbeddedGateway, make
) -> None:
    client = make()
    with pytest.raises(AuthenticationError, match="requires a matching API key credential"):
        await client.connect(secure.target)
    await client.close()


@pytest.mark.parametrize("type_name", list(SYSTEM_INITS))
async def test_a_system_principal_with_a_key_of_another_type_is_refused(
    secure: EmbeddedGateway, raw, type_name: str
) -> None:
    _, agent_key = key_for(secure, "Agent")
    arm, body = SYSTEM_INITS[type_name]
    stream = await raw(secure.target)
    await stream.send(init_of(arm, body, credentials={"x-api-key": agent_key}))
    code, details = await stream.status()
    assert code == grpc.StatusCode.PERMISSION_DENIED
    assert details == f"API key is for principal type Agent, not {type_name}"


async def test_an_orchestrator_with_its_key_still_receives_startup_orders(
    secure: EmbeddedGateway, opened
) -> None:
    secure.services.agents.register(
        aether_pb2.AgentRegistrationInfo(implementation="worker", orchestrator_profile="local")
    )
    _, orc_key = key_for(secure, "Orchestrator")
    _, agent_key = key_for(secure, "Agent", workspace_patterns=("ws",))
    orders: Inbox[aether_pb2.TaskAssignment] = Inbox()
    orchestrator = AsyncOrchestratorClient(
        "launcher", ["local"], credentials=Credentials.api_key(orc_key)
    )
    orchestrator.on_task_assignment = orders
    await opened(orchestrator, secure.target)
    sender = AsyncAgentClient("ws", "boss", "b1", credentials=Credentials.api_key(agent_key))
    await opened(sender, secure.target)
    await sender.send_message_to_agent("ws", "worker", "w1", b"wake up")  # offline: an order
    order = await orders.wait_for()
    assert order.task_type == "agent_startup"
    assert (order.workspace, order.target_implementation, order.specifier) == (
        "ws",
        "worker",
        "w1",
    )
    assert order.launch_params["auth_token"]


async def test_the_real_engine_connects_although_an_anonymous_one_tried_first(
    secure: EmbeddedGateway, raw, opened
) -> None:
    """The squat of wfe::shard0: an anonymous engine is refused and holds no lock."""
    squatter = await raw(secure.target)
    await squatter.send(init_of("workflow_engine", aether_pb2.WorkflowEngineIdentity()))
    assert (await squatter.status())[0] == grpc.StatusCode.UNAUTHENTICATED
    _, key = key_for(secure, "WorkflowEngine")
    engine = await opened(
        AsyncWorkflowEngineClient(credentials=Credentials.api_key(key)), secure.target
    )
    assert engine.is_connected


# ---------------------------------------------------------------- 1. mTLS identities


@pytest.fixture
def pki(tmp_path: Path):  # type: ignore[no-untyped-def]
    pytest.importorskip("cryptography", reason="mTLS tests mint certificates with cryptography")
    from scitrera_aether_client.testing.certs import make_test_pki

    return make_test_pki(tmp_path)


def client_cert(pki: Any, *uris: str) -> tuple[bytes, bytes]:
    """(cert PEM, key PEM) signed by the test CA, naming `uris` as URI subjectAltNames."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    ca_key: Any = serialization.load_pem_private_key(pki.ca_key, None)
    ca_cert = x509.load_pem_x509_certificate(pki.ca_cert)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "workload")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    )
    if uris:
        names = [x509.UniformResourceIdentifier(u) for u in uris]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


@pytest.fixture
async def mtls(pki) -> AsyncIterator[EmbeddedGateway]:  # type: ignore[no-untyped-def]
    creds = server_credentials(pki.server_cert, pki.server_key, pki.ca_cert)
    config = GatewayConfig(dev_mode=False)
    async with EmbeddedGateway(config, server_credentials=creds) as gw:
        yield gw


def tls_options(pki: Any, cert: tuple[bytes, bytes]) -> dict[str, Any]:
    return {
        "tls_enabled": True,
        "tls_root_cert": pki.ca_cert,
        "tls_client_cert": cert[0],
        "tls_client_key": cert[1],
    }


async def test_an_mtls_certificate_naming_the_identity_admits_it(
    mtls: EmbeddedGateway, pki, opened
) -> None:
    cert = client_cert(pki, "aether:orc::launcher::*", "aether:ag::ws::bot::cert-a")
    orchestrator = AsyncOrchestratorClient(
        "launcher", ["local"], specifier="o7", **tls_options(pki, cert)
    )
    await opened(orchestrator, mtls.target)
    agent = AsyncAgentClient("ws", "bot", "cert-a", **tls_options(pki, cert))
    await opened(agent, mtls.target)
    assert orchestrator.is_connected and agent.is_connected
    # A certificate is not an admin credential.
    with pytest.raises(PermissionDeniedError):
        await agent.workspace_op(W(op=W.LIST))


async def test_an_mtls_certificate_naming_another_identity_is_permission_denied(
    mtls: EmbeddedGateway, pki
) -> None:
    cert = client_cert(pki, "aether:ag::ws::bot::cert-a")
    other = AsyncAgentClient("ws", "bot", "cert-b", **tls_options(pki, cert))
    refusal = "certificate does not name ag::ws::bot::cert-b"
    with pytest.raises(PermissionDeniedError, match=refusal):
        await other.connect(mtls.target)
    await other.close()
    engine = AsyncWorkflowEngineClient(**tls_options(pki, cert))
    with pytest.raises(PermissionDeniedError, match="certificate does not name wfe::shard0"):
        await engine.connect(mtls.target)
    await engine.close()


async def test_an_mtls_certificate_naming_no_identity_is_anonymous(
    mtls: EmbeddedGateway, pki
) -> None:
    bare = (pki.client_cert, pki.client_key)  # CN only: transport, not an identity
    client = AsyncOrchestratorClient("launcher", ["local"], **tls_options(pki, bare))
    with pytest.raises(AuthenticationError, match="requires a matching API key credential"):
        await client.connect(mtls.target)
    await client.close()


async def test_a_key_over_mtls_must_also_match_the_certificate(mtls: EmbeddedGateway, pki) -> None:
    _, key = key_for(mtls, "Agent")
    cert = client_cert(pki, "aether:ag::ws::bot::cert-a")
    client = AsyncAgentClient(
        "ws", "bot", "keyed", credentials=Credentials.api_key(key), **tls_options(pki, cert)
    )
    with pytest.raises(PermissionDeniedError, match="certificate does not name"):
        await client.connect(mtls.target)
    await client.close()


# ---------------------------------------------------------------- 2. identity patterns


async def test_a_key_admits_only_identities_matching_its_patterns(
    secure: EmbeddedGateway, opened
) -> None:
    _, key = key_for(
        secure,
        "Agent",
        workspace_patterns=("team-*",),
        implementation_patterns=("bot",),
        specifier_patterns=("w-*",),
    )
    creds = Credentials.api_key(key)
    await opened(AsyncAgentClient("team-a", "bot", "w-1", credentials=creds), secure.target)
    refused = {
        ("prod", "bot", "w-2"): "workspace prod",
        ("team-a", "other", "w-3"): "implementation other",
        ("team-a", "bot", "x-1"): "specifier x-1",
    }
    for (ws, impl, spec), what in refused.items():
        client = AsyncAgentClient(ws, impl, spec, credentials=creds)
        with pytest.raises(PermissionDeniedError, match=f"API key not authorized for {what}"):
            await client.connect(secure.target)
        await client.close()


async def test_only_star_is_a_wildcard_in_identity_patterns(secure: EmbeddedGateway) -> None:
    _, key = key_for(secure, "Agent", specifier_patterns=("w?",))
    client = AsyncAgentClient("ws", "bot", "w1", credentials=Credentials.api_key(key))
    with pytest.raises(PermissionDeniedError, match="specifier w1"):
        await client.connect(secure.target)
    await client.close()


async def test_another_agents_key_cannot_read_an_offline_victims_queue(
    secure: EmbeddedGateway, opened
) -> None:
    _, victim_key = key_for(secure, "Agent", specifier_patterns=("victim",))
    _, mallory_key = key_for(secure, "Agent", specifier_patterns=("mallory",))
    _, sender_key = key_for(secure, "Agent", specifier_patterns=("sender",))
    # The victim has been here before, so the gateway queues for it while it is away.
    first = AsyncAgentClient("ws", "bot", "victim", credentials=Credentials.api_key(victim_key))
    await opened(first, secure.target)
    await first.close()
    await released(secure, "ag::ws::bot::victim")
    sender = AsyncAgentClient("ws", "bot", "sender", credentials=Credentials.api_key(sender_key))
    await opened(sender, secure.target)
    await sender.send_message_to_agent("ws", "bot", "victim", b"for the victim only")
    mallory = AsyncAgentClient("ws", "bot", "victim", credentials=Credentials.api_key(mallory_key))
    with pytest.raises(PermissionDeniedError, match="specifier victim"):
        await mallory.connect(secure.target)
    await mallory.close()
    victim = AsyncAgentClient("ws", "bot", "victim", credentials=Credentials.api_key(victim_key))
    received = messages(victim)
    await opened(victim, secure.target)
    await wait_payload(received, b"for the victim only")  # still queued: nobody else read it


async def test_identity_patterns_travel_over_the_admin_api_as_scopes(
    secure: EmbeddedGateway, opened
) -> None:
    _, admin_key = key_for(secure, "Agent", scopes=("connect", "admin"))
    admin = AsyncAgentClient("ops", "console", "root", credentials=Credentials.api_key(admin_key))
    await opened(admin, secure.target)
    request = aether_pb2.TokenCreateRequest(
        name="alice-only",
        principal_type="Agent",
        workspace_patterns=["ws"],
        scopes=["connect", "implementation:bot", "specifier:alice"],
    )
    created = await admin.token_op(T(op=T.CREATE, create_request=request))
    assert created.success
    assert list(created.token.scopes) == ["connect", "implementation:bot", "specifier:alice"]
    creds = Credentials.api_key(created.plaintext_token)
    await opened(AsyncAgentClient("ws", "bot", "alice", credentials=creds), secure.target)
    bob = AsyncAgentClient("ws", "bot", "bob", credentials=creds)
    with pytest.raises(PermissionDeniedError, match="specifier bob"):
        await bob.connect(secure.target)
    await bob.close()


def resume_init(spec: str, key: str, session_id: str) -> Up:
    return agent_init(spec=spec, credentials={"x-api-key": key}, resume_session_id=session_id)


async def test_resume_with_another_key_is_refused_and_the_live_session_survives(
    secure: EmbeddedGateway, raw, opened
) -> None:
    _, owner_key = key_for(secure, "Agent")
    _, other_key = key_for(secure, "Agent")  # may connect as the identity, but is not the owner
    owner = AsyncAgentClient("ws", "bot", "held", credentials=Credentials.api_key(owner_key))
    received = messages(owner)
    await opened(owner, secure.target)
    thief = await raw(secure.target)
    await thief.send(resume_init("held", other_key, owner.session_id))
    code, details = await thief.status()
    assert code == grpc.StatusCode.PERMISSION_DENIED
    assert "authenticated by another credential" in details
    _, sender_key = key_for(secure, "Agent")
    sender = AsyncAgentClient("ws", "bot", "s", credentials=Credentials.api_key(sender_key))
    await opened(sender, secure.target)
    await sender.send_message_to_agent("ws", "bot", "held", b"still mine")
    await wait_payload(received, b"still mine")
    assert owner.is_connected and secure.services.hub.session_by_identity("ag::ws::bot::held")


async def test_resume_of_an_ended_session_with_another_key_is_refused(
    secure: EmbeddedGateway, raw
) -> None:
    _, owner_key = key_for(secure, "Agent")
    _, other_key = key_for(secure, "Agent")
    first = await raw(secure.target, agent_init(spec="gone", credentials={"x-api-key": owner_key}))
    session_id = first.ack.session_id
    await first.close()
    await released(secure, "ag::ws::bot::gone")
    thief = await raw(secure.target)
    await thief.send(resume_init("gone", other_key, session_id))
    assert (await thief.status())[0] == grpc.StatusCode.PERMISSION_DENIED


async def test_resume_with_the_same_key_takes_the_session_over(
    secure: EmbeddedGateway, raw
) -> None:
    _, key = key_for(secure, "Agent")
    first = await raw(secure.target, agent_init(spec="mine", credentials={"x-api-key": key}))
    second = await raw(secure.target, resume_init("mine", key, first.ack.session_id))
    assert second.ack.resumed and second.ack.reconnection_count == 1
    assert (await first.status())[0] != grpc.StatusCode.OK


# ---------------------------------------------------------------- 5. revocation


def watch(client: AsyncAgentClient) -> Inbox[aether_pb2.Signal]:
    signals: Inbox[aether_pb2.Signal] = Inbox()
    client.on_signal = signals
    return signals


async def test_revoking_a_key_over_the_admin_api_ends_every_session_it_opened(
    unpolled: EmbeddedGateway, opened
) -> None:
    secure = unpolled
    doomed_id, doomed = key_for(secure, "Agent")
    _, kept = key_for(secure, "Agent")
    _, admin_key = key_for(secure, "Agent", scopes=("connect", "admin"))
    first = AsyncAgentClient("ws", "bot", "d1", credentials=Credentials.api_key(doomed))
    second = AsyncAgentClient("ws", "bot", "d2", credentials=Credentials.api_key(doomed))
    other = AsyncAgentClient("ws", "bot", "k1", credentials=Credentials.api_key(kept))
    admin = AsyncAgentClient("ws", "ops", "root", credentials=Credentials.api_key(admin_key))
    signals = [watch(first), watch(second)]
    for client in (first, second, other, admin):
        await opened(client, secure.target)
    received = messages(other)

    assert (await admin.token_op(T(op=T.REVOKE, token_id=doomed_id))).success
    for client, inbox in zip((first, second), signals, strict=True):
        signal = await inbox.wait_for()
        assert signal.type == aether_pb2.Signal.FORCE_DISCONNECT
        assert signal.reason == "credential revoked"
        await asyncio.wait_for(client.wait_until_disconnected(), WAIT)
        assert not client.is_running  # UNAUTHENTICATED: the SDK does not reconnect
    hub = secure.services.hub
    assert hub.session_by_identity("ag::ws::bot::d1") is None
    assert hub.session_by_identity("ag::ws::bot::d2") is None
    await admin.send_message_to_agent("ws", "bot", "k1", b"unaffected")
    await wait_payload(received, b"unaffected")


async def test_deleting_a_key_ends_its_sessions(unpolled: EmbeddedGateway, opened) -> None:
    secure = unpolled
    doomed_id, doomed = key_for(secure, "Agent")
    _, admin_key = key_for(secure, "Agent", scopes=("connect", "admin"))
    victim = AsyncAgentClient("ws", "bot", "del", credentials=Credentials.api_key(doomed))
    await opened(victim, secure.target)
    admin = AsyncAgentClient("ws", "ops", "root", credentials=Credentials.api_key(admin_key))
    await opened(admin, secure.target)
    assert (await admin.token_op(T(op=T.DELETE, token_id=doomed_id))).success
    await asyncio.wait_for(victim.wait_until_disconnected(), WAIT)
    assert not victim.is_running


async def test_a_revocation_written_to_the_database_by_another_process_ends_sessions(
    secure: EmbeddedGateway, raw
) -> None:
    """The CLI revokes offline: the gateway notices the row, not a call into its hub."""
    doomed_id, doomed = key_for(secure, "Agent")
    stream = await raw(secure.target, agent_init(spec="cli", credentials={"x-api-key": doomed}))
    with secure.services.db.transaction() as conn:  # what `aether-gateway keys revoke` writes
        conn.execute("UPDATE api_tokens SET revoked = 1 WHERE id = ?", (doomed_id,))
    code, details = await stream.status()
    assert code == grpc.StatusCode.UNAUTHENTICATED and details == "credential revoked"


async def test_an_orchestrator_key_revoked_stops_the_orchestrator(
    secure: EmbeddedGateway, opened
) -> None:
    key_id, key = key_for(secure, "Orchestrator")
    orchestrator = AsyncOrchestratorClient("launcher", ["p"], credentials=Credentials.api_key(key))
    await opened(orchestrator, secure.target)
    assert secure.services.tokens.revoke(key_id)  # the store only: found by the gateway's poll
    await asyncio.wait_for(orchestrator.wait_until_disconnected(), WAIT)
    assert not orchestrator.is_running


# ---------------------------------------------------------------- 5. task tokens


async def _startup_token(gw: EmbeddedGateway, spec: str = "w1") -> str:
    gw.services.agents.register(
        aether_pb2.AgentRegistrationInfo(implementation="worker", orchestrator_profile="local")
    )
    _, orc_key = key_for(gw, "Orchestrator")
    orders: asyncio.Queue[aether_pb2.TaskAssignment] = asyncio.Queue()
    orchestrator = AsyncOrchestratorClient(
        "launcher", ["local"], credentials=Credentials.api_key(orc_key)
    )
    orchestrator.on_task_assignment = orders.put_nowait
    await orchestrator.connect(gw.target)
    _, key = key_for(gw, "Agent", workspace_patterns=("ws",))
    sender = AsyncAgentClient("ws", "boss", "b1", credentials=Credentials.api_key(key))
    await sender.connect(gw.target)
    await sender.send_message_to_agent("ws", "worker", spec, b"wake up")
    order = await asyncio.wait_for(orders.get(), WAIT)
    await sender.close()
    await orchestrator.close()
    return order.launch_params["auth_token"]


def worker_init(token: str, spec: str = "w1", resume: str = "") -> Up:
    return agent_init(
        impl="worker", spec=spec, credentials={"token": token}, resume_session_id=resume
    )


async def test_a_task_token_admits_one_session_only(secure: EmbeddedGateway, raw) -> None:
    token = await _startup_token(secure)
    first = await raw(secure.target, worker_init(token))
    assert first.ack.session_id
    await first.close()
    await released(secure, "ag::ws::worker::w1")
    again = await raw(secure.target)
    await again.send(worker_init(token))
    code, details = await again.status()
    assert code == grpc.StatusCode.UNAUTHENTICATED
    assert details == "invalid or revoked token: task token already used"


async def test_a_task_token_resumes_the_session_it_opened(secure: EmbeddedGateway, raw) -> None:
    token = await _startup_token(secure)
    first = await raw(secure.target, worker_init(token))
    await first.close()
    await released(secure, "ag::ws::worker::w1")
    back = await raw(secure.target, worker_init(token, resume=first.ack.session_id))
    assert back.ack.resumed
    await back.close()
    await released(secure, "ag::ws::worker::w1")
    # It is now bound to the resumed session, not to the first one any more.
    stale = await raw(secure.target)
    await stale.send(worker_init(token, resume=first.ack.session_id))
    assert (await stale.status())[0] == grpc.StatusCode.UNAUTHENTICATED


async def test_an_expired_task_token_is_refused(raw) -> None:
    async with EmbeddedGateway(GatewayConfig(dev_mode=False, task_token_ttl_s=1)) as gw:
        token = await _startup_token(gw)
        record = gw.services.tokens.authenticate(token)
        assert record is not None and record.expires_at > 0
        await eventually(lambda: time.time() >= record.expires_at, "the token's expiry")
        stream = await raw(gw.target)
        await stream.send(worker_init(token))
        code, details = await stream.status()
        assert code == grpc.StatusCode.UNAUTHENTICATED
        assert details.startswith("invalid or revoked token")


# ---------------------------------------------------------------- 8. who may run admin


ADMIN_ARMS = ("workspace", "token", "agent", "acl", "sessions")


async def _admin_outcomes(client: Any) -> dict[str, bool]:
    """Which admin arms `client` may use (True: allowed)."""
    outcome: dict[str, bool] = {}
    for arm, call in (
        ("workspace", lambda: client.workspace_op(W(op=W.LIST))),
        ("token", lambda: client.token_op(T(op=T.LIST))),
        ("agent", lambda: client.agent_op(G(op=G.LIST))),
    ):
        try:
            outcome[arm] = bool((await call()).success)
        except PermissionDeniedError:
            outcome[arm] = False
    outcome["acl"] = bool((await client.acl_op(A(op=A.LIST_RULES))).success)
    outcome["sessions"] = bool((await client.list_sessions()).success)
    return outcome


@pytest.mark.parametrize(
    ("type_name", "make"),
    [
        ("Orchestrator", lambda creds: AsyncOrchestratorClient("o", ["p"], credentials=creds)),
        ("WorkflowEngine", lambda creds: AsyncWorkflowEngineClient(credentials=creds)),
    ],
    ids=["orchestrator", "workflow_engine"],
)
async def test_system_principals_run_admin_only_with_an_admin_scoped_key(
    secure: EmbeddedGateway, opened, type_name: str, make
) -> None:
    _, plain = key_for(secure, type_name)
    client = await opened(make(Credentials.api_key(plain)), secure.target)
    assert await _admin_outcomes(client) == dict.fromkeys(ADMIN_ARMS, False)
    await client.close()
    await eventually(lambda: not secure.services.hub.by_id, "the plain-key session released")
    _, admin = key_for(secure, type_name, scopes=("connect", "admin"))
    keyed = await opened(make(Credentials.api_key(admin)), secure.target)
    assert await _admin_outcomes(keyed) == dict.fromkeys(ADMIN_ARMS, True)


async def test_a_refused_connection_is_logged_without_the_secret(
    secure: EmbeddedGateway, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "ak_" + "s" * 40
    stream = RawStream(secure.target)
    try:
        await stream.send(agent_init(spec="nolog", credentials={"x-api-key": secret}))
        assert (await stream.status())[0] == grpc.StatusCode.UNAUTHENTICATED
    finally:
        await stream.close()
    assert secret not in caplog.text
