"""ACL rules and fallback policies (ACLStore, handle_acl_op) and the admin policy built on them."""

from __future__ import annotations

from pathlib import Path

import pytest

from aether_gateway.context import Caller
from aether_gateway.handlers.acl import handle_acl_op
from aether_gateway.handlers.admin_policy import (
    acl_op_level,
    acl_subject,
    admin_allowed,
    denial_error,
)
from aether_gateway.store import acl as acl_module
from aether_gateway.store.acl import AccessLevel, ACLStore, access_level_name
from aether_gateway.store.db import Database
from scitrera_aether_client._generated.principals import PRINCIPALS
from scitrera_aether_client.proto import aether_pb2

Op = aether_pb2.ACLOperation

FIELDS: dict[str, dict[str, str]] = {
    "agent": {"workspace": "ws", "implementation": "impl", "specifier": "a1"},
    "user": {"user_id": "alice", "window_id": "w1"},
    "orchestrator": {"implementation": "orc", "specifier": "o1"},
    "workflow_engine": {"instance_id": "e1"},
    "service": {"implementation": "svc", "specifier": "s1"},
}


def make_caller(kind: str, *, is_admin: bool = False) -> Caller:
    principal = PRINCIPALS[kind]
    fields = FIELDS[kind]
    return Caller(
        session_id=f"session-{kind}",
        principal=principal,
        identity=principal.lock_key.format(**fields),
        topic=principal.topic.format(**fields),
        fields=fields,
        workspace=fields.get("workspace", ""),
        is_admin=is_admin,
    )


@pytest.fixture
def acl() -> ACLStore:
    return ACLStore(Database(":memory:"))


def run(acl: ACLStore, op: aether_pb2.ACLOperation) -> aether_pb2.ACLResponse:
    frames = handle_acl_op(acl, make_caller("agent"), op, True)
    assert len(frames) == 1 and frames[0].WhichOneof("payload") == "acl"
    assert frames[0].acl.request_id == op.request_id
    return frames[0].acl


def grant_op(**fields: object) -> aether_pb2.ACLOperation:
    request = {
        "principal_type": "agent",
        "principal_id": "ag::ws::impl::a1",
        "resource_type": "workspace",
        "resource_id": "ws",
        "access_level": 20,
        **fields,
    }
    return Op(op=Op.GRANT, grant_request=aether_pb2.ACLGrantRequest(**request), request_id="g")  # type: ignore[arg-type]


def composite(resource_id: str = "ws") -> aether_pb2.ACLRuleFilter:
    return aether_pb2.ACLRuleFilter(
        principal_type="agent",
        principal_id="ag::ws::impl::a1",
        resource_type="workspace",
        resource_id=resource_id,
    )


# ------------------------------------------------------------------------------------ store


def test_levels_have_names() -> None:
    names = {level: access_level_name(level) for level in (0, 10, 20, 30, 40, 50, 7)}
    assert names == {
        0: "NONE",
        10: "READ",
        20: "READWRITE",
        30: "MANAGE",
        40: "ADMIN",
        50: "SUPERADMIN",
        7: "UNKNOWN",
    }


def test_granting_the_same_key_again_updates_the_rule(acl: ACLStore) -> None:
    first = acl.grant("agent", "a", "workspace", "ws", 10, granted_by="x", reason="r")
    second = acl.grant("agent", "a", "workspace", "ws", 30, granted_by="y")
    assert second.rule_id == first.rule_id and second.access_level == 30
    assert second.granted_by == "y" and second.reason == ""
    assert acl.get_rule(first.rule_id) == second
    assert len(acl.list_rules()) == 1


def test_glob_resource_ids_match(acl: ACLStore) -> None:
    acl.grant("agent", "a", "admin", "*", AccessLevel.ADMIN)
    acl.grant("agent", "b", "kv_key", "shared/*", AccessLevel.READ)
    assert acl.check("agent", "a", "admin", "tokens", AccessLevel.ADMIN)
    assert acl.check("agent", "b", "kv_key", "shared/x", AccessLevel.READ)
    assert not acl.check("agent", "b", "kv_key", "shared/x", AccessLevel.READWRITE)
    assert not acl.check("agent", "b", "kv_key", "private/x", AccessLevel.READ)


def test_wildcard_principals_match_anyone(acl: ACLStore) -> None:
    acl.grant("wildcard", "*", "capability", "event_broadcast", AccessLevel.READWRITE)
    acl.grant("service", "*", "workspace", "ws", AccessLevel.READ)
    assert acl.check("bridge", "br::x::y", "capability", "event_broadcast", 20)
    assert acl.check("service", "sv::any::one", "workspace", "ws", 10)
    assert not acl.check("bridge", "br::x::y", "workspace", "ws", 10)


def test_the_highest_matching_rule_wins(acl: ACLStore) -> None:
    acl.grant("agent", "a", "admin", "*", AccessLevel.ADMIN)
    acl.grant("agent", "a", "admin", "tokens", AccessLevel.NONE)
    assert acl.access("agent", "a", "admin", "tokens") == (AccessLevel.ADMIN, False)


def test_expired_rules_do_not_count_and_are_cleaned_up(
    acl: ACLStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(acl_module, "now_s", lambda: 1000)
    acl.grant("agent", "a", "admin", "*", 40, expires_at=1500)
    acl.grant("agent", "a", "kv_scope", "global", 20)
    assert acl.check("agent", "a", "admin", "acl", 40)
    monkeypatch.setattr(acl_module, "now_s", lambda: 1500)
    assert not acl.check("agent", "a", "admin", "acl", 40)
    assert acl.cleanup_expired() == 1
    assert [r.resource_type for r in acl.list_rules()] == ["kv_scope"]


def test_fallback_policies_decide_when_no_rule_matches(acl: ACLStore) -> None:
    for ptype in ("user", "agent", "task"):
        assert acl.get_fallback(f"{ptype}_workspace").fallback_access_level == 20
        assert acl.access(ptype, "x", "workspace", "any") == (20, True)
    unset = acl.get_fallback("service_workspace")
    assert (unset.policy_id, unset.fallback_access_level) == (0, 0)
    assert not acl.check("service", "sv::a::b", "workspace", "ws", AccessLevel.READ)
    acl.set_fallback("service_workspace", AccessLevel.READ, "ops")
    assert acl.check("service", "sv::a::b", "workspace", "ws", AccessLevel.READ)
    acl.grant("agent", "a", "workspace", "locked", AccessLevel.NONE)
    assert acl.access("agent", "a", "workspace", "locked") == (0, False)


def test_rules_and_policies_survive_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "acl.db"
    first = ACLStore(Database(path))
    rule = first.grant("user", "alice", "admin", "*", 40, reason="ops")
    first.set_fallback("agent_workspace", 0, "ops")
    reopened = ACLStore(Database(path))
    assert reopened.get_rule(rule.rule_id) == rule
    # The seed runs on every open but must not undo an admin's change.
    assert reopened.get_fallback("agent_workspace").fallback_access_level == 0
    assert reopened.get_fallback("user_workspace").fallback_access_level == 20


# ---------------------------------------------------------------------------------- handler


def test_grant_returns_the_rule(acl: ACLStore) -> None:
    response = run(acl, grant_op(reason="because", expires_at=0))
    assert response.success and response.message == "ACL access granted"
    rule = response.rule
    assert rule.rule_id.isdigit() and rule.access_level_name == "READWRITE"
    assert rule.granted_by == "ag::ws::impl::a1" and rule.reason == "because"
    assert rule.granted_at > 0


@pytest.mark.parametrize(
    "missing", ["principal_type", "principal_id", "resource_type", "resource_id"]
)
def test_grant_needs_the_whole_key(acl: ACLStore, missing: str) -> None:
    response = run(acl, grant_op(**{missing: ""}))
    assert not response.success and "required" in response.error


def test_grant_refuses_a_negative_level(acl: ACLStore) -> None:
    assert run(acl, grant_op(access_level=-1)).error == "access_level must not be negative"


def test_revoke_by_rule_id(acl: ACLStore) -> None:
    rule_id = run(acl, grant_op()).rule.rule_id
    response = run(acl, Op(op=Op.REVOKE, rule_id=rule_id, request_id="rv"))
    assert response.success and response.message == "ACL access revoked"
    again = run(acl, Op(op=Op.REVOKE, rule_id=rule_id))
    assert not again.success and again.error == "rule not found"
    assert run(acl, Op(op=Op.REVOKE, rule_id="not-a-number")).error == "rule not found"


def test_revoke_by_composite_key(acl: ACLStore) -> None:
    run(acl, grant_op())
    response = run(acl, Op(op=Op.REVOKE, rule_filter=composite()))
    assert response.success and acl.list_rules() == []
    partial = run(acl, Op(op=Op.REVOKE, rule_filter=composite(resource_id="")))
    assert partial.error == "rule_id or a complete rule_filter is required"


def test_list_rules_filters_and_counts_what_it_returns(acl: ACLStore) -> None:
    run(acl, grant_op())
    run(acl, grant_op(resource_id="other"))
    run(acl, grant_op(principal_id="ag::ws::impl::a2"))
    listing = run(acl, Op(op=Op.LIST_RULES, rule_filter=aether_pb2.ACLRuleFilter(), request_id="l"))
    assert listing.total_rules == 3 and len(listing.rules) == 3
    mine = run(
        acl,
        Op(op=Op.LIST_RULES, rule_filter=aether_pb2.ACLRuleFilter(principal_id="ag::ws::impl::a1")),
    )
    assert [r.resource_id for r in mine.rules] == ["ws", "other"] and mine.total_rules == 2
    page = run(acl, Op(op=Op.LIST_RULES, rule_filter=aether_pb2.ACLRuleFilter(limit=1, offset=1)))
    assert [r.resource_id for r in page.rules] == ["other"] and page.total_rules == 1


def test_get_rule_by_composite_key_or_id(acl: ACLStore) -> None:
    granted = run(acl, grant_op()).rule
    by_key = run(acl, Op(op=Op.GET_RULE, rule_filter=composite(), request_id="k"))
    assert by_key.success and by_key.rule == granted
    by_id = run(acl, Op(op=Op.GET_RULE, rule_id=granted.rule_id))
    assert by_id.rule == granted
    missing = run(acl, Op(op=Op.GET_RULE, rule_filter=composite(resource_id="nope")))
    assert not missing.success and missing.error == "rule not found"


def test_fallback_policies_through_the_handler(acl: ACLStore) -> None:
    seeded = run(acl, Op(op=Op.GET_FALLBACK_POLICY, rule_category="user_workspace"))
    policy = seeded.fallback_policy
    assert seeded.success and policy.fallback_access_level == 20
    assert policy.fallback_access_level_name == "READWRITE" and policy.policy_id
    request = aether_pb2.ACLSetFallbackRequest(
        rule_category="agent_kv_scope", fallback_access_level=10
    )
    updated = run(acl, Op(op=Op.SET_FALLBACK_POLICY, fallback_request=request, request_id="s"))
    assert updated.success and updated.message == "fallback policy updated"
    assert not updated.HasField("fallback_policy")
    read = run(acl, Op(op=Op.GET_FALLBACK_POLICY, rule_category="agent_kv_scope"))
    assert read.fallback_policy.fallback_access_level_name == "READ"
    assert read.fallback_policy.updated_by == "ag::ws::impl::a1"
    unset = run(acl, Op(op=Op.GET_FALLBACK_POLICY, rule_category="bridge_workspace"))
    assert unset.success and unset.fallback_policy.fallback_access_level == 0
    assert run(acl, Op(op=Op.GET_FALLBACK_POLICY)).error == "rule_category is required"
    assert run(acl, Op(op=Op.SET_FALLBACK_POLICY)).error == "rule_category is required"


def test_cleanup_expired_reports_the_count(acl: ACLStore) -> None:
    acl.grant("agent", "a", "admin", "*", 40, expires_at=1)
    response = run(acl, Op(op=Op.CLEANUP_EXPIRED, request_id="c"))
    assert response.success and response.cleanup_result.deleted_count == 1
    assert response.cleanup_result.message == "deleted 1 expired rules"


@pytest.mark.parametrize("op", [Op.QUERY_AUDIT, Op.CREATE_GROUP, Op.CREATE_ROLE])
def test_other_operations_are_not_implemented(acl: ACLStore, op: int) -> None:
    response = run(acl, Op(op=op, request_id="n"))  # type: ignore[arg-type]
    assert not response.success and response.error == "not implemented"


def test_refusal_is_an_acl_response(acl: ACLStore) -> None:
    frames = handle_acl_op(acl, make_caller("agent"), grant_op(), False)
    assert len(frames) == 1 and frames[0].WhichOneof("payload") == "acl"
    assert not frames[0].acl.success and "admin/acl" in frames[0].acl.error
    assert frames[0].acl.request_id == "g"
    assert acl.list_rules() == []


# ----------------------------------------------------------------------------- admin policy


def test_dev_mode_and_admin_keys_are_allowed(acl: ACLStore) -> None:
    assert admin_allowed(make_caller("agent"), True, acl, "tokens")
    assert admin_allowed(make_caller("service", is_admin=True), False, acl, "acl")
    assert not admin_allowed(make_caller("agent"), False, acl, "tokens")


def test_credential_free_system_principals_get_no_admin_outside_dev_mode(acl: ACLStore) -> None:
    # They connect without a key, so a bypass would hand admin to anyone claiming to be one.
    assert not admin_allowed(make_caller("workflow_engine"), False, acl, "sessions")
    assert not admin_allowed(make_caller("orchestrator"), False, acl)


def test_an_admin_glob_rule_covers_every_area(acl: ACLStore) -> None:
    acl.grant("agent", "ag::ws::impl::a1", "admin", "*", AccessLevel.ADMIN)
    agent = make_caller("agent")
    for area in ("workspaces", "agents", "tokens", "sessions", "acl", "*"):
        assert admin_allowed(agent, False, acl, area)


def test_an_area_rule_covers_only_its_area_and_level(acl: ACLStore) -> None:
    acl.grant("user", "alice", "admin", "acl", AccessLevel.READ)
    user = make_caller("user")
    assert acl_subject(user) == ("user", "alice")
    assert admin_allowed(user, False, acl, "acl", acl_op_level(Op.LIST_RULES))
    assert not admin_allowed(user, False, acl, "acl", acl_op_level(Op.GRANT))
    assert not admin_allowed(user, False, acl, "tokens")
    assert not admin_allowed(user, False, acl)


def test_acl_read_operations_need_only_read() -> None:
    for op in (Op.LIST_RULES, Op.GET_RULE, Op.QUERY_AUDIT, Op.GET_FALLBACK_POLICY):
        assert acl_op_level(op) == AccessLevel.READ
    for op in (Op.GRANT, Op.REVOKE, Op.SET_FALLBACK_POLICY, Op.CLEANUP_EXPIRED):
        assert acl_op_level(op) == AccessLevel.ADMIN


def test_denial_error_names_the_caller_and_echoes_the_request_id() -> None:
    frame = denial_error(make_caller("service"), "agents", "r1")
    assert frame.error.code == "ERR_PERMISSION_DENIED" and frame.error.request_id == "r1"
    assert "sv::svc::s1" in frame.error.message and "admin/agents" in frame.error.message
