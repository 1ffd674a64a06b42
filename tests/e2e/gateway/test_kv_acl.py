"""The KV ACL stage outside dev mode: shared scopes need a grant, exclusive ones never do."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from aether_gateway.config import GatewayConfig
from aether_gateway.embedded import EmbeddedGateway
from scitrera_aether_client import AsyncAgentClient, Credentials


@pytest.fixture
async def secure() -> AsyncIterator[EmbeddedGateway]:
    async with EmbeddedGateway(GatewayConfig(dev_mode=False)) as gw:
        yield gw


async def _agent(gw: EmbeddedGateway, spec: str) -> AsyncAgentClient:
    _record, key = gw.services.tokens.create(f"key-{spec}", "Agent", workspace_patterns=("ws",))
    client = AsyncAgentClient("ws", "bot", spec, credentials=Credentials.api_key(key))
    await client.connect(gw.target)
    return client


async def test_shared_scopes_are_denied_without_a_grant(secure: EmbeddedGateway) -> None:
    agent = await _agent(secure, "plain")
    refused = await agent.kv_put("team/config", b"x", scope="workspace")
    assert refused is not None and not refused.success
    own = await agent.kv_put("mine", b"x", scope="workspace-exclusive")
    assert own is not None and own.success
    await agent.close()


async def test_a_scope_rule_opens_reads_but_not_writes(secure: EmbeddedGateway) -> None:
    secure.services.acl.grant("agent", "*", "kv_scope", "global", 10)  # READ
    agent = await _agent(secure, "reader")
    read = await agent.kv_get("anything", scope="global")
    assert read is not None and read.success
    write = await agent.kv_put("anything", b"x", scope="global")
    assert write is not None and not write.success
    await agent.close()


async def test_a_key_rule_decides_before_the_scope(secure: EmbeddedGateway) -> None:
    agent = await _agent(secure, "keyed")
    secure.services.acl.grant("agent", "ag::ws::bot::keyed", "kv_key", "app/*", 20)  # READWRITE
    allowed = await agent.kv_put("app/setting", b"on", scope="global")
    assert allowed is not None and allowed.success
    other = await agent.kv_put("other/setting", b"on", scope="global")
    assert other is not None and not other.success
    await agent.close()
