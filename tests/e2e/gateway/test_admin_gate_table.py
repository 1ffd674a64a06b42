"""The gateway's admin gate reads schema/operations.yaml (issue 11): who may send each admin arm
(`callers`), the area whose admin/<area> rule grants it and the level each op needs (`admin`).

A principal with no admin-scoped key and a READ rule on one area is admitted to exactly the ops
the table marks `admin_level: read` there: ACL reads and health, not the reads of workspaces,
agents, tokens or sessions (today's behaviour, which the table declares). Narrowing an arm's
`callers` in the table refuses the other principal types even with an admin-scoped key.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from aether_gateway.config import GatewayConfig
from aether_gateway.embedded import EmbeddedGateway
from aether_gateway.handlers import admin_policy
from aether_gateway.store.acl import AccessLevel
from scitrera_aether_client import AsyncAgentClient, Credentials, PermissionDeniedError
from scitrera_aether_client.proto import aether_pb2
from scitrera_aether_client.wire import ADMIN_AREAS, ARMS, OPERATIONS

#: The request message of each admin arm, and the client primitive sending it.
MESSAGES: dict[str, tuple[Any, str]] = {
    "workspace_op": (aether_pb2.WorkspaceOperation, "workspace_op"),
    "agent_op": (aether_pb2.AgentOperation, "agent_op"),
    "acl_op": (aether_pb2.ACLOperation, "acl_op"),
    "token_op": (aether_pb2.TokenOperation, "token_op"),
    "session_op": (aether_pb2.SessionOperation, "session_op"),
    "admin_query": (aether_pb2.AdminQuery, "admin_query"),
}

#: What a READ rule on each area opens, as the gateway behaved before the table was read (and
#: as tests/e2e/gateway/test_admin.py and the unit tests pin it): ACL reads and health only.
READ_RULE_OPENS = {
    ("acl_op", "LIST_RULES"),
    ("acl_op", "GET_RULE"),
    ("acl_op", "GET_FALLBACK_POLICY"),
    ("acl_op", "EXPLAIN_ACCESS"),
    ("admin_query", "GET_HEALTH"),
    ("admin_query", "GET_STATS"),
}


Opened = Callable[[AsyncAgentClient, str], Awaitable[AsyncAgentClient]]


@pytest.fixture
async def secure_gateway() -> AsyncIterator[EmbeddedGateway]:
    async with EmbeddedGateway(GatewayConfig(dev_mode=False)) as gw:
        yield gw


async def _keyed_agent(
    gw: EmbeddedGateway, opened: Opened, name: str, *scopes: str
) -> AsyncAgentClient:
    _, key = gw.services.tokens.create(name, "Agent", scopes=("connect", *scopes))
    agent = AsyncAgentClient("ws", "bot", name, credentials=Credentials.api_key(key))
    return await opened(agent, gw.target)


async def _denied(agent: AsyncAgentClient, arm: str, op: int) -> bool:
    """Whether the gateway refused the op as an admin denial (either form the arm uses)."""
    message, primitive = MESSAGES[arm]
    try:
        response = await getattr(agent, primitive)(message(op=op), timeout=10.0)
    except PermissionDeniedError:
        return True
    assert response is not None, f"{arm} op {op} got no answer"
    return "permission denied" in getattr(response, "error", "")


def test_every_admin_arm_is_in_the_table() -> None:
    assert set(ADMIN_AREAS) == set(MESSAGES)
    levels = {(s.arm, s.name): s.admin_level for s in OPERATIONS.values() if s.arm in MESSAGES}
    assert {key for key, level in levels.items() if level == "read"} >= READ_RULE_OPENS
    assert all(level in ("read", "admin") for level in levels.values())


async def test_a_read_rule_opens_exactly_the_ops_the_table_marks_read(
    secure_gateway: EmbeddedGateway, opened: Opened
) -> None:
    agent = await _keyed_agent(secure_gateway, opened, "reader")
    acl = secure_gateway.services.acl
    for area in set(ADMIN_AREAS.values()):
        acl.grant("agent", "ag::ws::bot::reader", "admin", area, AccessLevel.READ)
    admitted = set()
    for spec in OPERATIONS.values():
        if spec.arm in MESSAGES and spec.served and not await _denied(agent, spec.arm, spec.op):
            admitted.add((spec.arm, spec.name))
    assert admitted == READ_RULE_OPENS
    # Without the rule on its area, the same read is refused.
    rule = acl.find_rule("agent", "ag::ws::bot::reader", "admin", "acl")
    assert rule is not None and acl.delete_rule(rule.rule_id)
    assert await _denied(agent, "acl_op", aether_pb2.ACLOperation.LIST_RULES)
    assert not await _denied(agent, "admin_query", aether_pb2.AdminQuery.GET_HEALTH)


async def test_an_admin_rule_on_an_area_opens_its_writes_only(
    secure_gateway: EmbeddedGateway, opened: Opened
) -> None:
    agent = await _keyed_agent(secure_gateway, opened, "tokens")
    secure_gateway.services.acl.grant(
        "agent", "ag::ws::bot::tokens", "admin", "tokens", AccessLevel.ADMIN
    )
    assert not await _denied(agent, "token_op", aether_pb2.TokenOperation.REVOKE)
    assert not await _denied(agent, "token_op", aether_pb2.TokenOperation.LIST)
    assert await _denied(agent, "workspace_op", aether_pb2.WorkspaceOperation.LIST)
    assert await _denied(agent, "acl_op", aether_pb2.ACLOperation.GRANT)


async def test_an_arm_the_table_gives_other_callers_is_refused(
    secure_gateway: EmbeddedGateway, opened: Opened, monkeypatch: pytest.MonkeyPatch
) -> None:
    agent = await _keyed_agent(secure_gateway, opened, "root", "admin")
    assert not await _denied(agent, "token_op", aether_pb2.TokenOperation.LIST)
    narrowed = dict(ARMS)
    narrowed["token_op"] = (ARMS["token_op"][0], frozenset({"user"}))
    monkeypatch.setattr(admin_policy, "ARMS", narrowed)  # the embedded gateway shares the module
    assert await _denied(agent, "token_op", aether_pb2.TokenOperation.LIST)
    assert not await _denied(agent, "workspace_op", aether_pb2.WorkspaceOperation.LIST)
