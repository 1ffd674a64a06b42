"""AdminClient / AsyncAdminClient against the embedded gateway over real gRPC.

One table of steps drives every admin method, sync and async: in dev mode, with an admin-scoped
API key (allowed) and with a connect-only key (refused with PermissionDeniedError).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from aether_gateway.config import GatewayConfig
from aether_gateway.embedded import EmbeddedGateway, run_gateway
from scitrera_aether_client import (
    AdminClient,
    AgentClient,
    AsyncAdminClient,
    AsyncAgentClient,
    AsyncOrchestratorClient,
    AsyncUserClient,
    AsyncWorkflowEngineClient,
    Credentials,
    GatewayHealth,
    InvalidArgumentError,
    NotImplementedError,
    OrchestratorClient,
    PermissionDeniedError,
    WorkflowEngineClient,
)
from scitrera_aether_client import TimeoutError as AetherTimeoutError
from scitrera_aether_client.proto import aether_pb2

Ctx = dict[str, Any]
WF = aether_pb2.WorkflowOperation

# ---------------------------------------------------------------------- the reference API (§7)

REFERENCE_SIGNATURES = {
    "create_token": "name, principal_type='', workspace_patterns=None, scopes=None, "
    "expires_in_hours=0, created_by=''",
    "revoke_token": "token_id",
    "list_tokens": "include_revoked=False, limit=0, offset=0",
    "create_acl_rule": "principal_type, principal_id, resource_type, resource_id, access_level, "
    "granted_by='', reason='', expires_at=0, authorization=None",
    "delete_acl_rule": "rule_id, authorization=None",
    "revoke_acl_rule": "principal_type, principal_id, resource_type, resource_id, "
    "authorization=None",
    "list_acl_rules": "principal_type='', principal_id='', resource_type='', resource_id='', "
    "limit=0, offset=0, authorization=None",
    "get_fallback_policy": "rule_category",
    "set_fallback_policy": "rule_category, fallback_access_level, updated_by=''",
    "create_role": "name, description='', created_by='', metadata=None",
    "delete_role": "name",
    "get_role": "name",
    "list_roles": "",
    "assign_role": "name, assignee_type, assignee_id, granted_by='', expires_at=0",
    "unassign_role": "name, assignee_type, assignee_id",
    "list_role_assignments": "name",
    "list_principal_roles": "principal_type, principal_id",
    "create_group": "name, description='', created_by='', metadata=None",
    "delete_group": "name",
    "get_group": "name",
    "list_groups": "",
    "add_group_member": "name, member_type, member_id, granted_by='', expires_at=0",
    "remove_group_member": "name, member_type, member_id",
    "list_group_members": "name",
    "list_principal_groups": "principal_type, principal_id",
    "explain_access": "principal_type, principal_id, resource_type, resource_id, required_level=0",
    "list_workspaces": "limit=0, offset=0",
    "create_workspace": "workspace_id, display_name='', description='', metadata=None",
    "update_workspace": "workspace_id, display_name='', description='', metadata=None",
    "delete_workspace": "workspace_id",
    "get_workspace": "workspace_id",
    "list_agents": "orchestrator_profile='', limit=0, offset=0",
    "get_agent": "implementation",
    "register_agent": "implementation, orchestrator_profile='', description='', "
    "launch_params=None, capabilities=None, extensions=None, resource_schema=None",
    "update_agent": "implementation, orchestrator_profile='', description='', "
    "launch_params=None, capabilities=None, extensions=None, resource_schema=None",
    "delete_agent": "implementation",
    "list_workflow_rules": "workspace=''",
    "get_workflow_rule": "rule_id, workspace=''",
    "list_connections": "principal_type='', workspace='', limit=0, offset=0",
    "disconnect_session": "session_id, reason=''",
}
ADDITIONS = {"get_token", "delete_token", "list_orchestrators", "get_connection", "health"}


def _params(fn: Callable[..., Any]) -> str:
    parts = []
    for p in list(inspect.signature(fn).parameters.values())[1:]:
        parts.append(p.name if p.default is p.empty else f"{p.name}={p.default!r}")
    return ", ".join(parts)


@pytest.mark.parametrize("cls", [AdminClient, AsyncAdminClient])
def test_signatures_match_the_reference(cls: type) -> None:
    for name, expected in REFERENCE_SIGNATURES.items():
        full = f"{expected}, timeout=10.0" if expected else "timeout=10.0"
        assert _params(getattr(cls, name)) == full, name
    # dir, not vars: the methods come from the parts the admin clients are made of.
    public = {n for n in dir(cls) if not n.startswith("_")} - {"client"}
    assert public == set(REFERENCE_SIGNATURES) | ADDITIONS
    if cls is AsyncAdminClient:
        assert all(inspect.iscoroutinefunction(getattr(cls, n)) for n in public)


# ---------------------------------------------------------------------- one step per call

Check = Callable[[Any, Ctx], None]


@dataclass(frozen=True)
class Step:
    method: str
    args: Callable[[Ctx], dict[str, Any]]
    # No default: every step states what the gateway's answer must be, so none passes blindly.
    check: Check
    gated: bool = True  # refused for a connect-only key


def _ok(r: Any, ctx: Ctx) -> None:
    assert r is not None and r.success, r


def _succeeds(pred: Callable[[Any, Ctx], bool]) -> Check:
    """A success whose content satisfies `pred`."""

    def check(r: Any, ctx: Ctx) -> None:
        _ok(r, ctx)
        assert pred(r, ctx), r

    return check


def _fails(error: Callable[[Ctx], str]) -> Check:
    """A success=false answer with exactly this error (returned, not raised: the reference way)."""

    def check(r: Any, ctx: Ctx) -> None:
        assert r is not None and not r.success and r.error == error(ctx), r

    return check


def _save(key: str, pick: Callable[[Any], Any], pred: Callable[[Any, Ctx], bool]) -> Check:
    def check(r: Any, ctx: Ctx) -> None:
        _succeeds(pred)(r, ctx)
        ctx[key] = pick(r)

    return check


def _not_implemented(r: Any, ctx: Ctx) -> None:
    """Roles and groups are the one part of ACLOperation aether-gateway does not implement.

    It answers success=false "not implemented" and nothing else. The admin client returns that
    answer rather than raising (reference: nothing is raised on success=false), so this exact
    answer is the typed "not implemented" these steps expect.
    """
    expected = aether_pb2.ACLResponse(
        success=False, error="not implemented", request_id=r.request_id if r else ""
    )
    assert isinstance(r, aether_pb2.ACLResponse) and r == expected, r


def _token(r: Any) -> tuple[Any, ...]:
    t = r.token
    return (t.id, t.name, t.principal_type, list(t.workspace_patterns), list(t.scopes))


def _listed(r: Any) -> dict[str, bool]:
    """token id -> revoked, for the tokens a list_tokens answer holds."""
    return {t.id: t.revoked for t in r.tokens}


def _created_token(r: Any, ctx: Ctx) -> bool:
    t = r.token
    return (
        _token(r)[1:] == ("ci-token", "Agent", ["ws-*"], ["connect"])
        and bool(t.id)
        and t.created_by == "ops"
        and not t.revoked
        and t.expires_at == t.created_at + 24 * 3600
        and len(r.plaintext_token) >= 16
        and r.created_token == t
    )


def _explained(allowed: bool, level: int, fallback: bool) -> Check:
    """explain_access for alice on ws-1: the decision, the level it rests on and its source."""

    def pred(r: Any, ctx: Ctx) -> bool:
        e = r.explanation
        return (
            e.principal,
            e.allowed,
            e.decision,
            e.effective_access_level,
            e.fallback_applied,
        ) == (
            "user:alice",
            allowed,
            "allow" if allowed else "deny",
            level,
            fallback,
        )

    return _succeeds(pred)


def _rule_rows(r: Any) -> list[tuple[str, str, str, str]]:
    return [(x.rule_id, x.access_level_name, x.granted_by, x.reason) for x in r.rules]


def _policy(level: int, updated_by: str, stored: bool) -> Check:
    def pred(r: Any, ctx: Ctx) -> bool:
        p = r.fallback_policy
        names = {0: "NONE", 10: "READ", 30: "MANAGE"}
        return (p.rule_category, p.fallback_access_level, p.fallback_access_level_name) == (
            "agent_kv_scope",
            level,
            names[level],
        ) and (p.updated_by, bool(p.policy_id)) == (updated_by, stored)

    return _succeeds(pred)


def _healthy(r: Any, ctx: Ctx) -> None:
    assert isinstance(r, GatewayHealth) and r.status == "healthy", r
    # The orchestrator and the workflow engine the runs connect are counted.
    assert r.sessions_by_type.get("orchestrator") == 1, r
    assert r.sessions_by_type.get("workflow_engine") == 1, r


def _c(**kw: Any) -> Callable[[Ctx], dict[str, Any]]:
    return lambda ctx: kw


def _tok(ctx: Ctx) -> dict[str, Any]:
    return {"token_id": ctx["token_id"]}


SCHEMA = [
    {"resource_type_prefix": "doc", "permission_verbs": ["read", "write"]},
    aether_pb2.AgentResourceSchemaEntry(resource_type_prefix="db", resource_id_schema="{name}"),
]
ALICE = {"principal_type": "user", "principal_id": "alice"}
ALICE_WS = {**ALICE, "resource_type": "workspace", "resource_id": "ws-1"}
BOT_WS = {
    "principal_type": "agent",
    "principal_id": "ag::ws-1::bot::x",
    "resource_type": "workspace",
    "resource_id": "ws-1",
}
IMPL = "scitrera/echo-bot"

STEPS: list[Step] = [
    # tokens: created, listed, revoked (marked, hidden by default), deleted (gone everywhere)
    Step(
        "create_token",
        _c(
            name="ci-token",
            principal_type="agent",
            workspace_patterns=["ws-*"],
            scopes=["connect"],
            expires_in_hours=24,
            created_by="ops",
        ),
        _save("token_id", lambda r: r.token.id, _created_token),
    ),
    Step(
        "get_token",
        _tok,
        _succeeds(lambda r, c: _token(r)[:3] == (c["token_id"], "ci-token", "Agent")),
    ),
    Step("list_tokens", _c(), _succeeds(lambda r, c: _listed(r).get(c["token_id"]) is False)),
    Step("revoke_token", _tok, _ok),
    Step(
        "get_token",
        _tok,
        _succeeds(lambda r, c: r.token.revoked and r.token.revoked_at >= r.token.created_at > 0),
    ),
    Step("list_tokens", _c(), _succeeds(lambda r, c: c["token_id"] not in _listed(r))),
    Step(
        "list_tokens",
        _c(include_revoked=True, limit=50, offset=0),
        _succeeds(lambda r, c: _listed(r).get(c["token_id"]) is True),
    ),
    Step("delete_token", _tok, _ok),
    Step("get_token", _tok, _fails(lambda c: f"token not found: {c['token_id']}")),
    Step(
        "list_tokens",
        _c(include_revoked=True),
        _succeeds(lambda r, c: c["token_id"] not in _listed(r)),
    ),
    # ACL rules: a rule is created, listed, decides explain_access, is deleted and stops deciding
    Step(
        "create_acl_rule",
        _c(**ALICE_WS, access_level=30, granted_by="ops", reason="onboarding"),
        _save(
            "rule_id",
            lambda r: r.rule.rule_id,
            lambda r, c: (
                (r.rule.principal_id, r.rule.access_level) == ("alice", 30) and r.rule.rule_id != ""
            ),
        ),
    ),
    Step(
        "list_acl_rules",
        _c(principal_type="user"),
        _succeeds(lambda r, c: c["rule_id"] in {x.rule_id for x in r.rules}),
    ),
    Step(
        "list_acl_rules",
        _c(**ALICE_WS, limit=1, offset=0),
        _succeeds(lambda r, c: _rule_rows(r) == [(c["rule_id"], "MANAGE", "ops", "onboarding")]),
    ),
    Step("explain_access", _c(**ALICE_WS, required_level=30), _explained(True, 30, False)),
    Step("explain_access", _c(**ALICE_WS, required_level=40), _explained(False, 30, False)),
    Step("delete_acl_rule", lambda c: {"rule_id": c["rule_id"]}, _ok),
    Step("list_acl_rules", _c(**ALICE_WS), _succeeds(lambda r, c: not r.rules)),
    # Without the rule, the seeded user_workspace fallback (READWRITE) decides.
    Step("explain_access", _c(**ALICE_WS, required_level=30), _explained(False, 20, True)),
    Step("explain_access", _c(**ALICE_WS), _explained(True, 20, True)),
    Step(
        "delete_acl_rule", lambda c: {"rule_id": c["rule_id"]}, _fails(lambda c: "rule not found")
    ),
    Step("create_acl_rule", _c(**BOT_WS, access_level=10), _ok),
    Step(
        "list_acl_rules",
        _c(**BOT_WS),
        _succeeds(lambda r, c: [x.access_level_name for x in r.rules] == ["READ"]),
    ),
    Step("revoke_acl_rule", _c(**BOT_WS), _ok),
    Step("list_acl_rules", _c(**BOT_WS), _succeeds(lambda r, c: not r.rules)),
    Step("revoke_acl_rule", _c(**BOT_WS), _fails(lambda c: "rule not found")),
    # fallback policies: unset, set, read back, changed
    Step("get_fallback_policy", _c(rule_category="agent_kv_scope"), _policy(0, "", False)),
    Step(
        "set_fallback_policy",
        _c(rule_category="agent_kv_scope", fallback_access_level=10, updated_by="ops"),
        _ok,
    ),
    Step("get_fallback_policy", _c(rule_category="agent_kv_scope"), _policy(10, "ops", True)),
    Step(
        "set_fallback_policy",
        _c(rule_category="agent_kv_scope", fallback_access_level=30, updated_by="sec"),
        _ok,
    ),
    Step("get_fallback_policy", _c(rule_category="agent_kv_scope"), _policy(30, "sec", True)),
    # roles: not implemented by aether-gateway
    Step(
        "create_role",
        _c(name="ops", description="operators", created_by="ops", metadata={"team": "a"}),
        _not_implemented,
    ),
    Step("get_role", _c(name="ops"), _not_implemented),
    Step("list_roles", _c(), _not_implemented),
    Step(
        "assign_role",
        _c(name="ops", assignee_type="user", assignee_id="alice", granted_by="ops"),
        _not_implemented,
    ),
    Step("list_role_assignments", _c(name="ops"), _not_implemented),
    Step("list_principal_roles", _c(**ALICE), _not_implemented),
    Step(
        "unassign_role", _c(name="ops", assignee_type="user", assignee_id="alice"), _not_implemented
    ),
    Step("delete_role", _c(name="ops"), _not_implemented),
    # groups: not implemented by aether-gateway
    Step("create_group", _c(name="eng", description="engineers"), _not_implemented),
    Step("get_group", _c(name="eng"), _not_implemented),
    Step("list_groups", _c(), _not_implemented),
    Step(
        "add_group_member", _c(name="eng", member_type="user", member_id="alice"), _not_implemented
    ),
    Step("list_group_members", _c(name="eng"), _not_implemented),
    Step("list_principal_groups", _c(**ALICE), _not_implemented),
    Step(
        "remove_group_member",
        _c(name="eng", member_type="user", member_id="alice"),
        _not_implemented,
    ),
    Step("delete_group", _c(name="eng"), _not_implemented),
    # workspaces
    Step(
        "create_workspace",
        _c(workspace_id="ws-a", display_name="A", description="d", metadata={"k": "v"}),
        _ok,
    ),
    Step(
        "create_workspace",
        _c(workspace_id="ws-a", display_name="again"),
        _fails(lambda c: "workspace already exists: ws-a"),
    ),
    Step(
        "get_workspace",
        _c(workspace_id="ws-a"),
        _succeeds(
            lambda r, c: (
                (r.workspace.workspace_id, r.workspace.display_name, r.workspace.description)
                == ("ws-a", "A", "d")
                and dict(r.workspace.metadata) == {"k": "v"}
            )
        ),
    ),
    Step("update_workspace", _c(workspace_id="ws-a", display_name="A2"), _ok),
    Step(
        "get_workspace",
        _c(workspace_id="ws-a"),
        _succeeds(lambda r, c: r.workspace.display_name == "A2"),
    ),
    Step(
        "list_workspaces",
        _c(limit=50),
        _succeeds(lambda r, c: "ws-a" in {w.workspace_id for w in r.workspaces}),
    ),
    Step("list_workspaces", _c(limit=1, offset=0), _succeeds(lambda r, c: len(r.workspaces) == 1)),
    Step("delete_workspace", _c(workspace_id="ws-a"), _ok),
    Step("get_workspace", _c(workspace_id="ws-a"), _fails(lambda c: "workspace not found: ws-a")),
    Step(
        "list_workspaces",
        _c(limit=50),
        _succeeds(lambda r, c: "ws-a" not in {w.workspace_id for w in r.workspaces}),
    ),
    # agents
    Step(
        "register_agent",
        _c(
            implementation=IMPL,
            orchestrator_profile="local",
            description="echo",
            launch_params={"cmd": "echo"},
            capabilities={"streaming": True},
            extensions=["urn:aether:x"],
            resource_schema=SCHEMA,
        ),
        _ok,
    ),
    Step(
        "get_agent",
        _c(implementation=IMPL),
        _succeeds(
            lambda r, c: (
                r.agent.description == "echo"
                and dict(r.agent.capabilities) == {"streaming": True}
                and [e.resource_type_prefix for e in r.agent.resource_schema] == ["doc", "db"]
            )
        ),
    ),
    Step(
        "update_agent",
        _c(implementation=IMPL, orchestrator_profile="local", description="echo 2"),
        _ok,
    ),
    Step("list_agents", _c(), _succeeds(lambda r, c: IMPL in {a.implementation for a in r.agents})),
    Step(
        "list_agents",
        _c(orchestrator_profile="local", limit=10, offset=0),
        _succeeds(lambda r, c: [a.description for a in r.agents] == ["echo 2"]),
    ),
    Step(
        "list_orchestrators",
        _c(),
        _succeeds(
            lambda r, c: (
                [(o.orchestrator_id, list(o.profiles)) for o in r.orchestrators]
                == [(c["orchestrator"], ["local"])]
            )
        ),
    ),
    Step("delete_agent", _c(implementation=IMPL), _ok),
    Step("get_agent", _c(implementation=IMPL), _fails(lambda c: f"agent not found: {IMPL}")),
    # workflow rules: not gated by the gateway, answered by the connected workflow engine
    Step(
        "list_workflow_rules",
        _c(workspace="ws-1"),
        _succeeds(lambda r, c: [x["ID"] for x in json.loads(r.data)] == [7]),
        gated=False,
    ),
    Step(
        "get_workflow_rule",
        _c(rule_id=7, workspace="ws-1"),
        _succeeds(lambda r, c: json.loads(r.data)["RuleName"] == "notify"),
        gated=False,
    ),
    # sessions (that the victim really goes is checked after the steps: it takes a moment)
    Step(
        "list_connections",
        _c(),
        _succeeds(lambda r, c: c["own"] in {x.session_id for x in r.connections}),
    ),
    Step(
        "list_connections",
        _c(principal_type="agent", workspace="ws-1", limit=10),
        _succeeds(lambda r, c: {x.session_id for x in r.connections} == {c["own"], c["victim"]}),
    ),
    Step(
        "get_connection",
        lambda c: {"session_id": c["own"]},
        _succeeds(lambda r, c: r.connection.identity == "ag::ws-1::admin::a1"),
    ),
    Step("disconnect_session", lambda c: {"session_id": c["victim"], "reason": "ops cleanup"}, _ok),
    Step(
        "disconnect_session",
        _c(session_id="abc-123", reason="ops cleanup"),
        _fails(lambda c: "session not found: abc-123"),
    ),
    # health (ungated in the embedded gateway; see test_health_counts_match_the_clients)
    Step(
        "health",
        _c(),
        _healthy,
        gated=False,
    ),
]

#: Placeholders for the ids a refused run never gets to learn.
REFUSED_CTX: Ctx = {"token_id": "tok-x", "rule_id": "1", "own": "s-1", "victim": "s-2"}


def test_the_steps_cover_every_method() -> None:
    covered = {s.method for s in STEPS}
    assert covered == set(REFERENCE_SIGNATURES) | ADDITIONS


def _rules(op: aether_pb2.WorkflowOperation) -> aether_pb2.WorkflowResponse:
    rule = {"ID": 7, "RuleName": "notify", "Workspace": "ws-1", "Active": True}
    if op.op == WF.LIST_RULES:
        data: object = [rule] if op.workspace in ("", "ws-1") else []
    else:
        data = rule if op.id == "7" else None
    return aether_pb2.WorkflowResponse(
        success=data is not None, data=json.dumps(data).encode(), request_id=op.request_id
    )


ORCHESTRATOR_ID = "orc::k8s::o1"  # the identity of OrchestratorClient("k8s", ..., specifier="o1")


def _ctx(own: str, victim: str) -> Ctx:
    return {"own": own, "victim": victim, "orchestrator": ORCHESTRATOR_ID}


def _session_ids(r: aether_pb2.SessionOperationResponse | None) -> set[str]:
    assert r is not None and r.success, r
    return {x.session_id for x in r.connections}


def _creds(
    gw: EmbeddedGateway | None, name: str, *scopes: str, principal_type: str = "Agent"
) -> Credentials | None:
    """An API key minted in the gateway's store, or None in dev mode."""
    if gw is None or gw.config.dev_mode:
        return None
    _record, plaintext = gw.services.tokens.create(
        name, principal_type, scopes=scopes, workspace_patterns=("*",)
    )
    return Credentials.api_key(plaintext)


# ---------------------------------------------------------------------- sync runs


@pytest.fixture
def sync_secure_gateway() -> Iterator[EmbeddedGateway]:
    with run_gateway(GatewayConfig(dev_mode=False)) as gw:
        yield gw


def _run_sync_steps(gw: EmbeddedGateway, scopes: tuple[str, ...]) -> None:
    creds = _creds(gw, "admin", *scopes)
    with (
        AgentClient("ws-1", "admin", "a1", credentials=creds) as agent,
        AgentClient("ws-1", "bot", "victim", credentials=_creds(gw, "v", "connect")) as victim,
        WorkflowEngineClient(
            credentials=_creds(gw, "e", principal_type="WorkflowEngine")
        ) as engine,
        OrchestratorClient(
            "k8s",
            ["local"],
            specifier="o1",
            credentials=_creds(gw, "o", principal_type="Orchestrator"),
        ) as orchestrator,
    ):
        engine.on_workflow_op = lambda op: engine.send_workflow_response(_rules(op))
        for client in (agent, victim, engine, orchestrator):
            client.connect(gw.target)
        admin = AdminClient(agent)
        ctx = _ctx(agent.session_id, victim.session_id)
        for step in STEPS:
            step.check(getattr(admin, step.method)(**step.args(ctx)), ctx)
        victim.wait_until_disconnected(5)  # FORCE_DISCONNECT: it must not come back
        assert not victim.is_running
        deadline = time.monotonic() + 5
        while ctx["victim"] in _session_ids(admin.list_connections()):
            assert time.monotonic() < deadline, "the disconnected session is still listed"
            time.sleep(0.02)


def test_sync_every_method_in_dev_mode(sync_gateway: EmbeddedGateway) -> None:
    _run_sync_steps(sync_gateway, ())


def test_sync_every_method_with_an_admin_key(sync_secure_gateway: EmbeddedGateway) -> None:
    _run_sync_steps(sync_secure_gateway, ("connect", "admin"))


def test_sync_every_method_refused_without_admin(sync_secure_gateway: EmbeddedGateway) -> None:
    gw = sync_secure_gateway
    with AgentClient("ws-1", "plain", "p1", credentials=_creds(gw, "plain", "connect")) as agent:
        agent.connect(gw.target)
        admin = AdminClient(agent)
        for step in STEPS:
            call = getattr(admin, step.method)
            if step.gated:
                with pytest.raises(PermissionDeniedError, match="permission denied"):
                    call(**step.args(REFUSED_CTX))
        with pytest.raises(PermissionDeniedError):  # health lists every session: admin only
            admin.health()
        # Not gated by the gateway (as in the reference): no engine, so a plain failure.
        answer = admin.list_workflow_rules(workspace="ws-1")
        assert answer is not None and answer.error == "workflow engine not connected"


def test_sync_readme_snippet(sync_gateway: EmbeddedGateway) -> None:
    agent = AgentClient("ws-1", "scitrera/echo-bot", "a1")
    agent.connect(sync_gateway.target)
    admin = AdminClient(agent)
    admin.create_workspace(workspace_id="ws-1", display_name="Workspace One")
    workspaces = admin.list_workspaces(limit=50)
    token = admin.create_token(name="ci-token", principal_type="agent")
    print(token.plaintext_token)
    admin.revoke_token(token_id=token.token.id)
    admin.create_acl_rule(
        principal_type="user",
        principal_id="alice",
        resource_type="workspace",
        resource_id="ws-1",
        access_level=20,
        granted_by="ops",
    )
    rules = admin.list_acl_rules(principal_type="user")
    agents = admin.list_agents()
    info = admin.get_agent(implementation="scitrera/echo-bot")
    admin.list_workflow_rules(workspace="ws-1")
    agent.close()
    assert [w.workspace_id for w in workspaces.workspaces] == ["ws-1"]
    assert token.plaintext_token and token.token.principal_type == "Agent"
    assert [r.principal_id for r in rules.rules] == ["alice"]
    assert agents.success and not info.success  # nothing registered under that name


def test_sync_health_and_bad_arguments(sync_gateway: EmbeddedGateway) -> None:
    with AgentClient("ws-1", "admin", "a1") as agent, AgentClient("ws-2", "bot", "b") as other:
        agent.connect(sync_gateway.target)
        other.connect(sync_gateway.target)
        admin = AdminClient(agent)
        health = admin.health()
        assert health.sessions_by_type == {"agent": 2} and health.total_sessions == 2
        assert health.version == sync_gateway.config.server_version
        with pytest.raises(InvalidArgumentError) as info:
            admin.create_workspace(workspace_id="")
        assert info.value.argument == "workspace_id"
        with pytest.raises(InvalidArgumentError) as info:
            admin.list_workspaces(timeout=0)
        assert info.value.argument == "timeout"


# ---------------------------------------------------------------------- async runs


@pytest.fixture
async def secure_gateway() -> AsyncIterator[EmbeddedGateway]:
    async with EmbeddedGateway(GatewayConfig(dev_mode=False)) as gw:
        yield gw


async def _run_async_steps(gw: EmbeddedGateway, scopes: tuple[str, ...]) -> None:
    agent = AsyncAgentClient("ws-1", "admin", "a1", credentials=_creds(gw, "admin", *scopes))
    victim = AsyncAgentClient("ws-1", "bot", "victim", credentials=_creds(gw, "v", "connect"))
    engine = AsyncWorkflowEngineClient(credentials=_creds(gw, "e", principal_type="WorkflowEngine"))

    async def answer(op: aether_pb2.WorkflowOperation) -> None:
        await engine.send_workflow_response(_rules(op))

    engine.on_workflow_op = answer
    orchestrator = AsyncOrchestratorClient(
        "k8s", ["local"], specifier="o1", credentials=_creds(gw, "o", principal_type="Orchestrator")
    )
    for client in (agent, victim, engine, orchestrator):
        await client.connect(gw.target)
    admin = AsyncAdminClient(agent)
    ctx = _ctx(agent.session_id, victim.session_id)
    for step in STEPS:
        step.check(await getattr(admin, step.method)(**step.args(ctx)), ctx)
    await asyncio.wait_for(victim.wait_until_disconnected(), 5)
    assert not victim.is_running
    deadline = time.monotonic() + 5
    while ctx["victim"] in _session_ids(await admin.list_connections()):
        assert time.monotonic() < deadline, "the disconnected session is still listed"
        await asyncio.sleep(0.02)
    for client in (agent, victim, engine, orchestrator):
        await client.close()


async def test_async_every_method_in_dev_mode(gateway: EmbeddedGateway) -> None:
    await _run_async_steps(gateway, ())


async def test_async_every_method_with_an_admin_key(secure_gateway: EmbeddedGateway) -> None:
    await _run_async_steps(secure_gateway, ("connect", "admin"))


async def test_async_every_method_refused_without_admin(secure_gateway: EmbeddedGateway) -> None:
    gw = secure_gateway
    agent = AsyncAgentClient("ws-1", "plain", "p1", credentials=_creds(gw, "plain", "connect"))
    await agent.connect(gw.target)
    admin = AsyncAdminClient(agent)
    for step in STEPS:
        if step.gated:
            with pytest.raises(PermissionDeniedError, match="permission denied"):
                await getattr(admin, step.method)(**step.args(REFUSED_CTX))
    with pytest.raises(PermissionDeniedError):
        await admin.health()
    await agent.close()


async def test_async_readme_snippets(gateway: EmbeddedGateway) -> None:
    agent = AsyncAgentClient("ws-1", "scitrera/echo-bot", "a1")
    await agent.connect(gateway.target)
    admin = AsyncAdminClient(agent)
    sessions = await admin.list_connections(workspace="ws-1")
    gone = await admin.disconnect_session(session_id="abc-123", reason="ops cleanup")
    assert [c.session_id for c in sessions.connections] == [agent.session_id]
    assert not gone.success and gone.error == "session not found: abc-123"
    await agent.close()


@dataclass
class _Fleet:
    clients: list[Any] = field(default_factory=list)

    async def join(self, client: Any, target: str) -> Any:
        await client.connect(target)
        self.clients.append(client)
        return client

    async def close(self) -> None:
        for client in self.clients:
            await client.close()


async def test_health_counts_match_the_clients(gateway: EmbeddedGateway) -> None:
    fleet = _Fleet()
    agent = await fleet.join(AsyncAgentClient("ws-1", "admin", "a1"), gateway.target)
    for spec in ("b1", "b2"):
        await fleet.join(AsyncAgentClient("ws-1", "bot", spec), gateway.target)
    await fleet.join(AsyncUserClient("alice", "w1"), gateway.target)
    await fleet.join(AsyncWorkflowEngineClient(), gateway.target)
    admin = AsyncAdminClient(agent)
    for i in range(3):  # an offline agent: its messages wait in the durable queue
        await agent.send_message_to_agent("ws-1", "bot", "offline", f"m{i}".encode())
    deadline = time.monotonic() + 5
    health = await admin.health()
    while health.queued_messages < 3 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        health = await admin.health()
    listed = await admin.list_connections()
    assert health.status == "healthy" and health.uptime_seconds >= 0
    assert health.sessions_by_type == {"agent": 3, "user": 1, "workflow_engine": 1}
    assert health.total_sessions == 5 == len(listed.connections)
    assert health.queued_messages == 3
    assert health.version == gateway.config.server_version
    await fleet.close()


def _go_style_admin_query(echo: bool) -> Callable[..., list[aether_pb2.DownstreamMessage]]:
    """The reference Go gateway's answer to AdminQuery: ERR_NOT_IMPLEMENTED."""

    def handle(*args: Any) -> list[aether_pb2.DownstreamMessage]:
        query: aether_pb2.AdminQuery = args[-1]
        error = aether_pb2.ErrorResponse(
            code="ERR_NOT_IMPLEMENTED",
            message="not implemented",
            request_id=query.request_id if echo else "",
        )
        return [aether_pb2.DownstreamMessage(error=error)]

    return handle


async def test_health_on_a_gateway_without_admin_query(
    gateway: EmbeddedGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ERR_NOT_IMPLEMENTED -> NotImplementedError; no answer (no request_id) -> TimeoutError."""
    import aether_gateway.services

    agent = AsyncAgentClient("ws-1", "admin", "a1")
    agent.on_error = lambda error: None  # the uncorrelated refusal lands here
    await agent.connect(gateway.target)
    admin = AsyncAdminClient(agent)
    monkeypatch.setattr(aether_gateway.services, "handle_admin_query", _go_style_admin_query(True))
    with pytest.raises(NotImplementedError, match="does not answer AdminQuery") as info:
        await admin.health()
    assert info.value.operation == "health" and info.value.code == "ERR_NOT_IMPLEMENTED"
    monkeypatch.setattr(aether_gateway.services, "handle_admin_query", _go_style_admin_query(False))
    with pytest.raises(AetherTimeoutError) as late:
        await admin.health(timeout=0.3)
    assert late.value.operation == "health"
    await agent.close()


def test_gateway_health_from_a_go_style_response() -> None:
    """Uptime as a Go duration, and per-type counts from GatewayStats when no rows are sent."""
    stats = aether_pb2.GatewayStats(
        agent_connections=2, user_connections=1, workflow_engine_connected=True
    )
    response = aether_pb2.AdminResponse(
        success=True,
        health=aether_pb2.HealthInfo(status=aether_pb2.HEALTH_STATUS_DEGRADED),
        info=aether_pb2.GatewayInfo(version="v1.2.3", uptime="1h2m3.5s", num_connections=4),
        stats=stats,
        total_count=7,
    )
    assert GatewayHealth.from_response(response) == GatewayHealth(
        status="degraded",
        version="v1.2.3",
        uptime_seconds=3723,
        sessions_by_type={"agent": 2, "user": 1, "workflow_engine": 1},
        total_sessions=4,
        queued_messages=7,
    )
    started = aether_pb2.GatewayInfo(started_at=int(time.time()) - 90, uptime="garbled")
    assert (
        89
        <= GatewayHealth.from_response(aether_pb2.AdminResponse(info=started)).uptime_seconds
        <= 91
    )


async def test_async_facade_rejects_a_sync_client() -> None:
    sync_agent = AgentClient("ws-1", "x", "y")
    with pytest.raises(InvalidArgumentError, match="use AdminClient"):
        AsyncAdminClient(sync_agent)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="use AsyncAdminClient"):
        AdminClient(AsyncAgentClient("ws-1", "x", "y"))  # type: ignore[arg-type]


def test_concurrent_sync_calls_are_correlated(sync_gateway: EmbeddedGateway) -> None:
    """Many threads share one AdminClient: every answer is its own (request_id, no locks)."""
    with AgentClient("ws-1", "admin", "a1") as agent:
        agent.connect(sync_gateway.target)
        admin = AdminClient(agent)
        errors: list[BaseException] = []

        def worker(i: int) -> None:
            try:
                created = admin.create_workspace(workspace_id=f"ws-c{i}", display_name=str(i))
                got = admin.get_workspace(workspace_id=f"ws-c{i}")
                assert created is not None and created.success
                assert got is not None and got.workspace.display_name == str(i)
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        assert not errors


ACL_KEY = ("user", "alice", "workspace", "ws-1")
BAD_ARGUMENTS: list[tuple[str, tuple[Any, ...], dict[str, Any], str]] = [
    ("create_workspace", (), {"workspace_id": ""}, "workspace_id"),
    ("create_workspace", ("a b",), {}, "workspace_id"),
    ("update_workspace", ("ws",), {"metadata": {"a": 1}}, "metadata"),
    ("create_acl_rule", (*ACL_KEY, 60), {}, "access_level"),
    ("create_acl_rule", (*ACL_KEY, True), {}, "access_level"),
    ("create_acl_rule", ("", "alice", "workspace", "ws-1", 10), {}, "principal_type"),
    ("create_acl_rule", (*ACL_KEY, 10), {"authorization": "me"}, "authorization"),
    ("revoke_acl_rule", ("user", "alice", "workspace", ""), {}, "resource_id"),
    ("delete_acl_rule", ("",), {}, "rule_id"),
    ("set_fallback_policy", ("agent_kv_scope", -1), {}, "fallback_access_level"),
    ("get_fallback_policy", ("",), {}, "rule_category"),
    ("explain_access", ACL_KEY, {"required_level": 99}, "required_level"),
    ("create_token", ("",), {}, "name"),
    ("create_token", ("ci",), {"scopes": "admin"}, "scopes"),
    ("create_token", ("ci",), {"expires_in_hours": -1}, "expires_in_hours"),
    ("list_tokens", (), {"limit": -1}, "limit"),
    ("list_workspaces", (), {"offset": 2**31}, "offset"),
    ("revoke_token", ("",), {}, "token_id"),
    ("get_agent", ("",), {}, "implementation"),
    ("register_agent", ("impl",), {"capabilities": {"a": "yes"}}, "capabilities"),
    ("register_agent", ("impl",), {"resource_schema": [{"bogus": 1}]}, "resource_schema"),
    ("update_agent", ("impl",), {"extensions": "urn:x"}, "extensions"),
    ("create_role", ("",), {}, "name"),
    ("assign_role", ("ops", "", "alice"), {}, "assignee_type"),
    ("add_group_member", ("eng", "user", ""), {}, "member_id"),
    ("list_principal_roles", ("", "alice"), {}, "principal_type"),
    ("list_connections", (), {"principal_type": "robot"}, "principal_type"),
    ("disconnect_session", ("",), {}, "session_id"),
    ("get_workflow_rule", ("",), {}, "rule_id"),
    ("list_tokens", (), {"timeout": 0}, "timeout"),
    ("health", (), {"timeout": -1.0}, "timeout"),
]


@pytest.mark.parametrize(("method", "args", "kwargs", "argument"), BAD_ARGUMENTS)
def test_bad_arguments_name_the_argument(
    method: str, args: tuple[Any, ...], kwargs: dict[str, Any], argument: str
) -> None:
    """Checked before anything is sent: the client need not even be connected."""
    admin = AdminClient(AgentClient("ws-1", "admin", "a1"))
    with pytest.raises(InvalidArgumentError) as info:
        getattr(admin, method)(*args, **kwargs)
    assert info.value.argument == argument
