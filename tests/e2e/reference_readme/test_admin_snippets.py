"""README snippets 19-20: "Admin Operations" (sync, async), on a gateway that checks API keys.

Two placeholders are filled: "my-admin-key" becomes an admin key the gateway minted (keys are
minted, never chosen: the literal one is refused, checked below), and the async snippet's
session "abc-123" becomes the session id of a live bystander, so the disconnect has an effect.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

import scitrera_aether_client as sdk
from aether_gateway.embedded import EmbeddedGateway
from scitrera_aether_client import AuthenticationError, WorkflowEngineClient
from scitrera_aether_client.proto import aether_pb2

from ._support import WAIT, AsyncInbox, Inbox

WF = aether_pb2.WorkflowOperation


def admin_key(gw: EmbeddedGateway) -> str:
    _record, plaintext = gw.services.tokens.create("ops", "Agent", scopes=("connect", "admin"))
    return plaintext


@pytest.fixture
def rules_engine(sync_keyed_gateway: EmbeddedGateway) -> Iterator[Inbox[WF]]:
    """A workflow engine that answers rule listings with one rule for ws-1."""
    asked: Inbox[WF] = Inbox()
    _record, key = sync_keyed_gateway.services.tokens.create("engine", "WorkflowEngine")
    engine = WorkflowEngineClient(credentials=sdk.Credentials.api_key(key))

    def answer(op: WF) -> None:
        asked(op)
        data = b'[{"ID": 7, "RuleName": "notify", "Workspace": "ws-1"}]'
        engine.send_workflow_response(
            aether_pb2.WorkflowResponse(success=True, data=data, request_id=op.request_id)
        )

    engine.on_workflow_op = answer
    engine.connect(sync_keyed_gateway.target)
    yield asked
    engine.close()


def test_19_sync_admin(
    sync_keyed_gateway: EmbeddedGateway,
    rules_engine: Inbox[WF],
    capsys: pytest.CaptureFixture[str],
) -> None:
    gw = sync_keyed_gateway
    literal = sdk.AgentClient(
        "default", "admin-agent", "ops-0", credentials=sdk.Credentials.api_key("my-admin-key")
    )
    with pytest.raises(AuthenticationError, match="invalid API key"):
        literal.connect(gw.target)
    literal.close()
    key = admin_key(gw)
    with sdk.AgentClient(
        "default", "setup", "1", credentials=sdk.Credentials.api_key(key)
    ) as setup:
        setup.connect(gw.target)  # an agent implementation for the inspection calls to find
        registered = sdk.AdminClient(setup).register_agent(implementation="scitrera/echo-bot")

    # --- snippet 19 as written ("my-admin-key" replaced, gateway address replaced) ---
    from scitrera_aether_client import AdminClient, AgentClient, Credentials

    agent = AgentClient(
        workspace="default",
        implementation="admin-agent",
        specifier="ops-1",
        credentials=Credentials.api_key(key),
    )
    agent.connect(gw.target)

    admin = AdminClient(agent)

    # Workspaces
    admin.create_workspace(workspace_id="ws-1", display_name="Workspace One")
    workspaces = admin.list_workspaces(limit=50)

    # Tokens
    token = admin.create_token(name="ci-token", principal_type="agent")
    print(token.plaintext_token)  # type: ignore[union-attr]
    minted = token.plaintext_token  # type: ignore[union-attr]
    as_ci = AgentClient("default", "ci", "1", credentials=Credentials.api_key(minted))
    as_ci.connect(gw.target)  # (check, not snippet) the new token authenticates...
    as_ci.close()
    admin.revoke_token(token_id=token.token.id)  # type: ignore[union-attr]

    # ACL
    admin.create_acl_rule(
        principal_type="user",
        principal_id="alice",
        resource_type="workspace",
        resource_id="ws-1",
        access_level=20,  # READWRITE
        granted_by="ops",
    )
    rules = admin.list_acl_rules(principal_type="user")

    # Agents (read-only inspection)
    agents = admin.list_agents()
    info = admin.get_agent(implementation="scitrera/echo-bot")

    # Workflow rules (read-only)
    workflow_rules = admin.list_workflow_rules(workspace="ws-1")
    # --- end of snippet ---

    revoked = AgentClient("default", "ci", "2", credentials=Credentials.api_key(minted))
    with pytest.raises(AuthenticationError, match="invalid API key"):
        revoked.connect(gw.target)  # ...and stops at once when revoked
    revoked.close()
    agent.close()
    assert registered is not None and registered.success
    assert workspaces is not None
    assert [(w.workspace_id, w.display_name) for w in workspaces.workspaces] == [
        ("ws-1", "Workspace One")
    ]
    assert capsys.readouterr().out == f"{minted}\n"
    assert token is not None and token.token.principal_type == "Agent"
    assert rules is not None
    assert [
        (r.principal_id, r.resource_type, r.resource_id, r.access_level, r.granted_by)
        for r in rules.rules
    ] == [("alice", "workspace", "ws-1", 20, "ops")]
    assert agents is not None and [a.implementation for a in agents.agents] == ["scitrera/echo-bot"]
    assert info is not None and info.success and info.agent.implementation == "scitrera/echo-bot"
    # The rules query went to the connected workflow engine and its answer came back.
    assert rules_engine.get().workspace == "ws-1"
    assert workflow_rules is not None and workflow_rules.success
    assert b'"RuleName": "notify"' in workflow_rules.data


async def test_20_async_admin(
    keyed_gateway: EmbeddedGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    gw = keyed_gateway
    signals: AsyncInbox[aether_pb2.Signal] = AsyncInbox()
    _record, plain = gw.services.tokens.create("bystander", "Agent")
    bystander = sdk.AsyncAgentClient(
        "ws-1", "bystander", "b1", credentials=sdk.Credentials.api_key(plain)
    )
    bystander.on_signal = signals
    await bystander.connect(gw.target)
    key = admin_key(gw)
    seen: dict[str, object] = {}

    # --- snippet 20 as written ("my-admin-key" and "abc-123" replaced; asyncio.run(main())
    # awaited instead, since pytest already runs an event loop) ---
    from scitrera_aether_client import AsyncAdminClient, AsyncAgentClient, Credentials

    async def main() -> None:
        agent = AsyncAgentClient(
            workspace="default",
            implementation="admin-agent",
            specifier="ops-1",
            credentials=Credentials.api_key(key),
        )
        await agent.connect(gw.target)

        admin = AsyncAdminClient(agent)

        await admin.create_workspace(workspace_id="ws-1", display_name="Workspace One")
        workspaces = await admin.list_workspaces(limit=50)

        token = await admin.create_token(name="ci-token", principal_type="agent")
        print(token.plaintext_token)  # type: ignore[union-attr]

        # Session ops are forwarded to the underlying async client.
        conns = await admin.list_connections(workspace="ws-1")
        await admin.disconnect_session(session_id=bystander.session_id, reason="ops cleanup")

        seen.update(workspaces=workspaces, token=token, conns=conns)
        await agent.close()  # (added: the snippet leaves its client open)

    # --- end of snippet ---

    await main()
    workspaces, token, conns = seen["workspaces"], seen["token"], seen["conns"]
    assert isinstance(workspaces, aether_pb2.WorkspaceResponse)
    assert [w.workspace_id for w in workspaces.workspaces] == ["ws-1"]
    assert isinstance(token, aether_pb2.TokenResponse)
    assert capsys.readouterr().out == f"{token.plaintext_token}\n"
    assert gw.services.tokens.authenticate(token.plaintext_token) is not None
    assert isinstance(conns, aether_pb2.SessionOperationResponse)
    assert [c.identity for c in conns.connections] == ["ag::ws-1::bystander::b1"]
    # The disconnected session was told so and stays off (FORCE_DISCONNECT ends reconnecting).
    signal = await signals.get()
    assert (signal.type, signal.reason) == (aether_pb2.Signal.FORCE_DISCONNECT, "ops cleanup")
    await asyncio.wait_for(bystander.wait_until_disconnected(), WAIT)
    assert not bystander.is_connected
    await bystander.close()
