"""workspace_reach: which workspace a topic names, and which workspaces a session may reach."""

from __future__ import annotations

import pytest

from aether_gateway.context import Caller
from aether_gateway.store.acl import AccessLevel, ACLStore
from aether_gateway.store.db import Database
from aether_gateway.workspace_reach import may_reach, topic_workspace
from scitrera_aether_client._generated.principals import PRINCIPALS


@pytest.mark.parametrize(
    ("topic", "workspace"),
    [
        ("ag::ws-b::bot::x", "ws-b"),
        ("tu::ws-b::bot::x", "ws-b"),
        ("ta::ws-b::bot::123", "ws-b"),
        ("tb::ws-b::bot", "ws-b"),
        ("ga::ws-b", "ws-b"),
        ("gu::ws-b", "ws-b"),
        ("pg::ws-b", "ws-b"),
        ("tk::ws-b::t1::msg", "ws-b"),
        ("uw::alice::ws-b", "ws-b"),
        ("ag::ws-b", "ws-b"),  # malformed, but still addressed to ws-b
        ("pg::us::alice", ""),  # a user's own progress lane
        ("pg::us", "us"),  # the progress lane of a workspace named "us"
        ("us::alice::w1", ""),
        ("uu::alice", ""),
        ("sv::ocr::s1", ""),
        ("sv::ocr", ""),
        ("br::b::1", ""),
        ("event::*", ""),
        ("metric::ws-b", ""),
        ("uw::alice", ""),
    ],
)
def test_the_workspace_a_topic_names(topic: str, workspace: str) -> None:
    assert topic_workspace(topic) == workspace


def _agent(patterns: tuple[str, ...] = (), *, is_admin: bool = False) -> Caller:
    fields = {"workspace": "ws-a", "implementation": "bot", "specifier": "x"}
    return Caller(
        session_id="s",
        principal=PRINCIPALS["agent"],
        identity="ag::ws-a::bot::x",
        topic="ag::ws-a::bot::x",
        fields=fields,
        workspace="ws-a",
        is_admin=is_admin,
        workspace_patterns=patterns,
    )


@pytest.fixture
def acl() -> ACLStore:
    return ACLStore(Database(":memory:"))


def test_own_workspace_and_key_patterns_are_reachable(acl: ACLStore) -> None:
    assert may_reach(_agent(), acl, "ws-a", AccessLevel.READWRITE)
    assert not may_reach(_agent(), acl, "ws-b", AccessLevel.READ)
    assert may_reach(_agent(("team-*",)), acl, "team-b", AccessLevel.READWRITE)
    assert not may_reach(_agent(("team-*",)), acl, "prod", AccessLevel.READ)


def test_a_foreign_workspace_needs_a_rule_not_a_fallback(acl: ACLStore) -> None:
    acl.set_fallback("agent_workspace", AccessLevel.ADMIN, "ops")
    assert not may_reach(_agent(), acl, "ws-b", AccessLevel.READ)
    acl.grant("agent", "ag::ws-a::bot::x", "workspace", "ws-b", AccessLevel.READ)
    assert may_reach(_agent(), acl, "ws-b", AccessLevel.READ)
    assert not may_reach(_agent(), acl, "ws-b", AccessLevel.READWRITE)


def test_admins_dev_mode_and_workspace_less_targets_are_open(acl: ACLStore) -> None:
    assert may_reach(_agent(is_admin=True), acl, "ws-b", AccessLevel.ADMIN)
    assert may_reach(_agent(), None, "ws-b", AccessLevel.ADMIN)
    assert may_reach(_agent(), acl, "", AccessLevel.ADMIN)
