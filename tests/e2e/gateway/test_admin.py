"""Issue 3 item 8: admin operations through the SDK's raw admin primitives."""

from __future__ import annotations

import asyncio

import pytest

from aether_gateway.config import GatewayConfig
from aether_gateway.embedded import EmbeddedGateway
from scitrera_aether_client import (
    AsyncAgentClient,
    AsyncUserClient,
    AsyncWorkflowEngineClient,
    Credentials,
    PermissionDeniedError,
)
from scitrera_aether_client.proto import aether_pb2

from ._support import FAST, Inbox, released

W = aether_pb2.WorkspaceOperation
T = aether_pb2.TokenOperation
A = aether_pb2.ACLOperation
G = aether_pb2.AgentOperation
F = aether_pb2.WorkflowOperation


@pytest.fixture
async def admin(gateway: EmbeddedGateway, opened) -> AsyncAgentClient:
    """An agent on the dev-mode gateway, where admin is open to everyone."""
    return await opened(AsyncAgentClient("ops", "console", "admin"), gateway.target)


async def test_workspace_crud(admin: AsyncAgentClient) -> None:
    info = aether_pb2.WorkspaceInfo(
        workspace_id="proj", display_name="Project", description="first", metadata={"tier": "1"}
    )
    created = await admin.workspace_op(W(op=W.CREATE, workspace=info))
    assert created.success and created.message == "workspace created successfully"
    duplicate = await admin.workspace_op(W(op=W.CREATE, workspace=info))
    assert duplicate.success is False and "already exists" in duplicate.error
    got = await admin.workspace_op(W(op=W.GET, workspace_id="proj"))
    assert got.success and got.workspace.display_name == "Project"
    assert dict(got.workspace.metadata) == {"tier": "1"}
    listed = await admin.workspace_op(W(op=W.LIST))
    assert [w.workspace_id for w in listed.workspaces] == ["proj"] and listed.total_count == 1
    renamed = aether_pb2.WorkspaceInfo(display_name="Renamed", description="second")
    updated = await admin.workspace_op(W(op=W.UPDATE, workspace_id="proj", workspace=renamed))
    assert updated.success
    got = await admin.workspace_op(W(op=W.GET, workspace_id="proj"))
    assert got.workspace.display_name == "Renamed" and got.workspace.description == "second"
    assert (await admin.workspace_op(W(op=W.DELETE, workspace_id="proj"))).success
    gone = await admin.workspace_op(W(op=W.GET, workspace_id="proj"))
    assert gone.success is False and "not found" in gone.error


async def test_token_lifecycle(gateway: EmbeddedGateway, admin: AsyncAgentClient) -> None:
    request = aether_pb2.TokenCreateRequest(
        name="ci", principal_type="Agent", workspace_patterns=["team-*"], scopes=["connect"]
    )
    created = await admin.token_op(T(op=T.CREATE, create_request=request))
    assert created.success and created.plaintext_token
    token_id = created.token.id
    assert created.token.principal_type == "Agent"
    assert list(created.token.workspace_patterns) == ["team-*"]
    got = await admin.token_op(T(op=T.GET, token_id=token_id))
    assert got.success and got.token.name == "ci" and got.plaintext_token == ""
    listed = await admin.token_op(T(op=T.LIST))
    assert [t.id for t in listed.tokens] == [token_id] and listed.plaintext_token == ""
    # Only a digest is stored: the plaintext is nowhere in the database.
    rows = gateway.services.db.conn.execute("SELECT * FROM api_tokens").fetchall()
    assert rows and all(created.plaintext_token not in map(str, row) for row in rows)

    revoked = await admin.token_op(T(op=T.REVOKE, token_id=token_id))
    assert revoked.success and revoked.message == "revoked"
    assert (await admin.token_op(T(op=T.GET, token_id=token_id))).token.revoked is True
    assert list((await admin.token_op(T(op=T.LIST))).tokens) == []
    with_revoked = await admin.token_op(
        T(op=T.LIST, filter=aether_pb2.TokenFilter(include_revoked=True))
    )
    assert [t.id for t in with_revoked.tokens] == [token_id]
    deleted = await admin.token_op(T(op=T.DELETE, token_id=token_id))
    assert deleted.success and deleted.message == "deleted"
    assert (await admin.token_op(T(op=T.GET, token_id=token_id))).success is False


async def test_token_create_needs_name_and_principal_type(admin: AsyncAgentClient) -> None:
    bare = aether_pb2.TokenCreateRequest(name="nameless-type")
    refused = await admin.token_op(T(op=T.CREATE, create_request=bare))
    assert refused.success is False and refused.plaintext_token == ""


async def test_acl_rules_and_fallback_policies(admin: AsyncAgentClient) -> None:
    grant = aether_pb2.ACLGrantRequest(
        principal_type="agent",
        principal_id="ag::ws::bot::x",
        resource_type="workspace",
        resource_id="proj",
        access_level=20,
        reason="pairing",
    )
    granted = await admin.acl_op(A(op=A.GRANT, grant_request=grant))
    assert granted.success and granted.message == "ACL access granted"
    rule = granted.rule
    assert rule.rule_id and rule.access_level == 20 and rule.access_level_name == "READWRITE"
    flt = aether_pb2.ACLRuleFilter(
        principal_type="agent",
        principal_id="ag::ws::bot::x",
        resource_type="workspace",
        resource_id="proj",
    )
    listed = await admin.acl_op(A(op=A.LIST_RULES, rule_filter=flt))
    assert [r.rule_id for r in listed.rules] == [rule.rule_id] and listed.total_rules == 1
    by_id = await admin.acl_op(A(op=A.GET_RULE, rule_id=rule.rule_id))
    assert by_id.success and by_id.rule.reason == "pairing"
    by_key = await admin.acl_op(A(op=A.GET_RULE, rule_filter=flt))
    assert by_key.success and by_key.rule.rule_id == rule.rule_id
    revoked = await admin.acl_op(A(op=A.REVOKE, rule_id=rule.rule_id))
    assert revoked.success and revoked.message == "ACL access revoked"
    assert list((await admin.acl_op(A(op=A.LIST_RULES, rule_filter=flt))).rules) == []
    await admin.acl_op(A(op=A.GRANT, grant_request=grant))
    assert (await admin.acl_op(A(op=A.REVOKE, rule_filter=flt))).success
    assert (await admin.acl_op(A(op=A.GET_RULE, rule_filter=flt))).success is False

    seeded = await admin.acl_op(A(op=A.GET_FALLBACK_POLICY, rule_category="agent_workspace"))
    assert seeded.success and seeded.fallback_policy.fallback_access_level == 20
    new_policy = aether_pb2.ACLSetFallbackRequest(
        rule_category="agent_kv_scope", fallback_access_level=10, updated_by="tests"
    )
    assert (await admin.acl_op(A(op=A.SET_FALLBACK_POLICY, fallback_request=new_policy))).success
    changed = await admin.acl_op(A(op=A.GET_FALLBACK_POLICY, rule_category="agent_kv_scope"))
    policy = changed.fallback_policy
    assert policy.fallback_access_level == 10 and policy.fallback_access_level_name == "READ"
    assert policy.updated_by == "tests"


async def test_agent_registry_crud(admin: AsyncAgentClient) -> None:
    info = aether_pb2.AgentRegistrationInfo(
        implementation="painter",
        orchestrator_profile="gpu",
        description="paints",
        launch_params={"image": "p:1"},
    )
    registered = await admin.agent_op(G(op=G.REGISTER, agent=info))
    assert registered.success and registered.agent.implementation == "painter"
    got = await admin.agent_op(G(op=G.GET, implementation="painter"))
    assert got.success and got.agent.orchestrator_profile == "gpu"
    assert dict(got.agent.launch_params) == {"image": "p:1"}
    listed = await admin.agent_op(G(op=G.LIST))
    assert [a.implementation for a in listed.agents] == ["painter"]
    changed = aether_pb2.AgentRegistrationInfo(implementation="painter", description="repaints")
    updated = await admin.agent_op(G(op=G.UPDATE, agent=changed))
    assert updated.success and updated.agent.description == "repaints"
    assert (await admin.agent_op(G(op=G.DELETE, implementation="painter"))).success
    gone = await admin.agent_op(G(op=G.GET, implementation="painter"))
    assert gone.success is False and "not found" in gone.error


async def test_session_list_get_and_disconnect(
    gateway: EmbeddedGateway, opened, admin: AsyncAgentClient
) -> None:
    target = AsyncAgentClient("ws", "bot", "victim", **FAST)
    signals: Inbox[aether_pb2.Signal] = Inbox()
    drops: Inbox[str] = Inbox()
    target.on_signal = signals
    target.on_disconnect = drops
    await opened(target, gateway.target)
    user = await opened(AsyncUserClient("kim", "w1"), gateway.target)

    agents = await admin.list_sessions(principal_type="agent")
    assert agents.success
    assert {c.identity for c in agents.connections} == {
        "ag::ws::bot::victim",
        "ag::ops::console::admin",
    }
    users = await admin.list_sessions(principal_type="user")
    assert [c.session_id for c in users.connections] == [user.session_id]
    got = await admin.get_session(target.session_id)
    assert got.success and got.connection.identity == "ag::ws::bot::victim"
    assert got.connection.type == aether_pb2.PRINCIPAL_AGENT
    assert got.connection.workspace == "ws" and got.connection.specifier == "victim"

    victim_session = target.session_id
    done = await admin.disconnect_session(victim_session, reason="maintenance")
    assert done.success and done.message == "session disconnected"
    signal = await signals.wait_for()
    assert signal.type == aether_pb2.Signal.FORCE_DISCONNECT
    await asyncio.wait_for(target.wait_until_disconnected(), 10)
    # A forced disconnect is final: the client stops instead of reconnecting.
    assert not target.is_running and not target.is_connected
    assert len(drops.items) == 1
    after = await admin.list_sessions(principal_type="agent")
    assert "ag::ws::bot::victim" not in {c.identity for c in after.connections}
    missing = await admin.get_session(victim_session)
    assert missing.success is False and "session not found" in missing.error
    again = await admin.disconnect_session(victim_session)
    assert again.success is False


async def test_workflow_operation_is_relayed_to_the_engine(
    gateway: EmbeddedGateway, opened, admin: AsyncAgentClient
) -> None:
    engine = AsyncWorkflowEngineClient()
    forwarded: Inbox[aether_pb2.WorkflowOperation] = Inbox()

    async def answer(op: aether_pb2.WorkflowOperation) -> None:
        forwarded(op)
        data = b'[{"ID": 1, "RuleName": "r1", "Workspace": "%s"}]' % op.workspace.encode()
        response = aether_pb2.WorkflowResponse(
            success=True, data=data, total_count=1, request_id=op.request_id
        )
        await engine.send_workflow_response(response)

    engine.on_workflow_op = answer
    await opened(engine, gateway.target)
    response = await admin.workflow_op(F(op=F.LIST_RULES, workspace="proj"))
    assert response.success and response.total_count == 1
    assert response.data == b'[{"ID": 1, "RuleName": "r1", "Workspace": "proj"}]'
    op = await forwarded.wait_for()
    assert op.op == F.LIST_RULES and op.request_id == response.request_id


async def test_workflow_operation_without_an_engine(admin: AsyncAgentClient) -> None:
    response = await admin.workflow_op(F(op=F.GET_RULE, id="1"))
    assert response.success is False and response.error == "workflow engine not connected"


async def test_workflow_responses_from_other_principals_are_ignored(
    gateway: EmbeddedGateway, opened, admin: AsyncAgentClient
) -> None:
    engine = AsyncWorkflowEngineClient()
    forwarded: Inbox[aether_pb2.WorkflowOperation] = Inbox()
    engine.on_workflow_op = forwarded
    await opened(engine, gateway.target)
    impostor = await opened(AsyncAgentClient("ws", "bot", "impostor"), gateway.target)
    pending = asyncio.ensure_future(admin.workflow_op(F(op=F.LIST_RULES), timeout=10))
    op = await forwarded.wait_for()
    fake = aether_pb2.WorkflowResponse(success=True, data=b"fake", request_id=op.request_id)
    await impostor.send_workflow_response(fake)
    real = aether_pb2.WorkflowResponse(success=True, data=b"real", request_id=op.request_id)
    await engine.send_workflow_response(real)
    assert (await pending).data == b"real"


# ------------------------------------------------------------------------- non-dev policy


@pytest.fixture
async def secure_gateway():
    async with EmbeddedGateway(GatewayConfig(dev_mode=False)) as gw:
        yield gw


def agent_key(gw: EmbeddedGateway, scopes: tuple[str, ...]) -> str:
    _, plaintext = gw.services.tokens.create("k", "Agent", scopes=scopes)
    return plaintext


async def test_admin_is_refused_for_a_non_admin_key(
    secure_gateway: EmbeddedGateway, opened
) -> None:
    key = agent_key(secure_gateway, ("connect",))
    agent = AsyncAgentClient("ws", "bot", "plain", credentials=Credentials.api_key(key))
    await opened(agent, secure_gateway.target)
    with pytest.raises(PermissionDeniedError):
        await agent.workspace_op(W(op=W.LIST))
    with pytest.raises(PermissionDeniedError):
        await agent.token_op(T(op=T.LIST))
    with pytest.raises(PermissionDeniedError):
        await agent.agent_op(G(op=G.LIST))
    assert (await agent.acl_op(A(op=A.LIST_RULES))).success is False
    assert (await agent.list_sessions()).success is False


async def test_admin_is_allowed_for_an_admin_scoped_key(
    secure_gateway: EmbeddedGateway, opened
) -> None:
    key = agent_key(secure_gateway, ("connect", "admin"))
    agent = AsyncAgentClient("ws", "bot", "root", credentials=Credentials.api_key(key))
    await opened(agent, secure_gateway.target)
    assert (await agent.workspace_op(W(op=W.LIST))).success
    assert (await agent.token_op(T(op=T.LIST))).success
    assert (await agent.agent_op(G(op=G.LIST))).success
    assert (await agent.acl_op(A(op=A.LIST_RULES))).success
    assert (await agent.list_sessions()).success


async def test_an_acl_grant_on_admin_opens_admin_to_a_principal(
    secure_gateway: EmbeddedGateway, opened
) -> None:
    key = agent_key(secure_gateway, ("connect",))
    agent = AsyncAgentClient("ws", "bot", "granted", credentials=Credentials.api_key(key))
    await opened(agent, secure_gateway.target)
    with pytest.raises(PermissionDeniedError):
        await agent.workspace_op(W(op=W.LIST))
    secure_gateway.services.acl.grant("agent", "ag::ws::bot::granted", "admin", "*", 40)
    assert (await agent.workspace_op(W(op=W.LIST))).success


async def test_system_principals_get_no_admin_without_an_admin_scoped_key(
    secure_gateway: EmbeddedGateway, opened
) -> None:
    # Being a workflow engine grants nothing: admin takes an admin-scoped key (docs/security.md).
    _, plain = secure_gateway.services.tokens.create("engine", "WorkflowEngine")
    engine = await opened(
        AsyncWorkflowEngineClient(credentials=Credentials.api_key(plain)), secure_gateway.target
    )
    with pytest.raises(PermissionDeniedError):
        await engine.workspace_op(W(op=W.LIST))
    _, key = secure_gateway.services.tokens.create(
        "engine", "WorkflowEngine", scopes=("connect", "admin")
    )
    await engine.close()
    await released(secure_gateway, "wfe::shard0")  # a singleton: wait for the lock to free
    keyed = await opened(
        AsyncWorkflowEngineClient(credentials=Credentials.api_key(key)), secure_gateway.target
    )
    assert (await keyed.workspace_op(W(op=W.LIST))).success


async def test_a_token_minted_over_the_wire_authenticates(
    secure_gateway: EmbeddedGateway, opened
) -> None:
    key = agent_key(secure_gateway, ("connect", "admin"))
    admin = AsyncAgentClient("ws", "bot", "minter", credentials=Credentials.api_key(key))
    await opened(admin, secure_gateway.target)
    # Lowercase "agent" (the reference admin docstring's spelling) is stored as "Agent".
    request = aether_pb2.TokenCreateRequest(name="wire", principal_type="agent")
    created = await admin.token_op(T(op=T.CREATE, create_request=request))
    assert created.success and created.token.principal_type == "Agent"
    agent = AsyncAgentClient(
        "ws", "bot", "minted", credentials=Credentials.api_key(created.plaintext_token)
    )
    await opened(agent, secure_gateway.target)
    assert agent.is_connected
    user_key = aether_pb2.TokenCreateRequest(name="nobody", principal_type="User")
    refused = await admin.token_op(T(op=T.CREATE, create_request=user_key))
    assert refused.success is False and "created_by" in refused.error


async def test_explain_access_checks_a_principals_access(gateway: EmbeddedGateway, opened) -> None:
    from scitrera_aether_client import AsyncAdminClient

    admin_agent = await opened(AsyncAgentClient("ws", "ops", "explainer"), gateway.target)
    admin = AsyncAdminClient(admin_agent)
    await admin.create_acl_rule("user", "alice", "workspace", "ws-1", 20, granted_by="ops")
    granted = await admin.explain_access("user", "alice", "workspace", "ws-1", required_level=20)
    assert granted is not None and granted.explanation.allowed
    assert granted.explanation.effective_access_level == 20
    assert not granted.explanation.fallback_applied
    denied = await admin.explain_access("user", "alice", "workspace", "ws-1", required_level=40)
    assert denied is not None and not denied.explanation.allowed
    other = await admin.explain_access("user", "bob", "workspace", "ws-1", required_level=10)
    assert other is not None and other.explanation.fallback_applied
