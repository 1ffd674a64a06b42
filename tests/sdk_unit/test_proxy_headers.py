"""Identity headers a terminator hands its application (docs/proxy.md, "Identity headers").

"passthrough" keeps the gateway-minted headers; "strict" strips every X-Auth-* / X-Aether-*
header (any case) and mints a set from the envelope and the serving client's own identity.
"""

from __future__ import annotations

from typing import Any

import pytest

from scitrera_aether_client import (
    AgentClient,
    AsyncAgentClient,
    AsyncServiceClient,
    BridgeClient,
    MetricsBridgeClient,
    OrchestratorClient,
    ServiceClient,
    TaskClient,
    UserClient,
    WorkflowEngineClient,
    proxy_server,
    proxy_terminator,
)
from scitrera_aether_client.http._headers import (
    HeaderMinter,
    ProxyRefusal,
    client_actor,
    strip_identity_headers,
)
from scitrera_aether_client.proto import aether_pb2

Kind = aether_pb2.ProxyError

# What a caller might try to smuggle in, mixed with ordinary headers that must survive.
INBOUND = {
    "Content-Type": "application/json",
    "Authorization": "Bearer app-token",
    "X-Authorization": "kept",  # "x-auth" is not followed by "-"
    "X-Aetherial": "kept",
    "x-auth-user-id": "mallory",
    "X-AUTH-Principal-Type": "System",
    "X-Auth-Authority-Mode": "on_behalf_of",
    "x-aether-caller-topic": "ag::ws::evil::1",
    "X-Aether-Actor-Topic": "ag::ws::evil::1",
}
KEPT = {
    "Content-Type": "application/json",
    "Authorization": "Bearer app-token",
    "X-Authorization": "kept",
    "X-Aetherial": "kept",
}


def test_strip_removes_identity_headers_in_any_case() -> None:
    original = dict(INBOUND)
    assert strip_identity_headers(INBOUND) == KEPT
    assert original == INBOUND  # the caller's dict is not modified


def test_proxy_terminator_is_the_proxy_server_machinery() -> None:
    assert proxy_terminator.ProxyHttpTerminator is proxy_server.ProxyHttpTerminator
    assert proxy_terminator.MintedRequest is proxy_server.MintedRequest
    assert proxy_terminator.Handler is proxy_server.Handler
    assert proxy_terminator.HandlerResult is proxy_server.HandlerResult
    assert set(proxy_terminator.__all__) == {
        "Handler",
        "HandlerResult",
        "ProxyHttpTerminator",
        "MintedRequest",
    }


@pytest.mark.parametrize(
    ("client", "actor"),
    [
        (ServiceClient("memorylayer", "default"), ("Service", "sv::memorylayer::default")),
        (AsyncServiceClient("memorylayer", "b-2"), ("Service", "sv::memorylayer::b-2")),
        (AgentClient("ws-1", "echo", "a1"), ("Agent", "ag::ws-1::echo::a1")),
        (AsyncAgentClient("ws-1", "echo", "a2"), ("Agent", "ag::ws-1::echo::a2")),
        (UserClient("alice", "w1"), None),
        (TaskClient("ws-1", "job", "u1"), None),
        (OrchestratorClient("orch", ["p"], "o1"), None),
        (WorkflowEngineClient(), None),
        (MetricsBridgeClient(), None),
        (BridgeClient("br", "1"), None),
        (object(), None),
    ],
    ids=lambda value: type(value).__name__,
)
def test_client_actor_only_for_services_and_agents(
    client: Any, actor: tuple[str, str] | None
) -> None:
    assert client_actor(client) == actor


SERVICE = ServiceClient("memorylayer", "default")
DIRECT = {
    **KEPT,
    "X-Auth-Authority-Mode": "direct",
    "X-Auth-Actor-Type": "Service",
    "X-Auth-Actor-ID": "sv::memorylayer::default",
}


async def test_passthrough_keeps_every_header_unchanged() -> None:
    minter = HeaderMinter(SERVICE, "passthrough", tenant_id="t-1")
    auth = aether_pb2.AuthorizationContext(authority_mode="on_behalf_of", grant_id="g")
    out = await minter.mint(INBOUND, auth)
    assert out == INBOUND
    out["X-Extra"] = "1"
    assert "X-Extra" not in INBOUND  # a copy: the handler may edit it freely


@pytest.mark.parametrize(
    "auth",
    [
        None,
        aether_pb2.AuthorizationContext(),
        aether_pb2.AuthorizationContext(authority_mode="direct"),
    ],
)
async def test_strict_direct_mints_mode_and_actor(
    auth: aether_pb2.AuthorizationContext | None,
) -> None:
    out = await HeaderMinter(SERVICE, "strict").mint(INBOUND, auth)
    assert out == DIRECT


async def test_strict_tenant_and_no_actor_for_users() -> None:
    out = await HeaderMinter(UserClient("alice", "w1"), "strict", tenant_id="t-1").mint(
        INBOUND, None
    )
    assert out == {**KEPT, "X-Auth-Authority-Mode": "direct", "X-Auth-Tenant-ID": "t-1"}


RESOLVED = aether_pb2.ResolvedAuthorityInfo(
    root_subject=aether_pb2.PrincipalRef(principal_type="user", principal_id="root-1"),
    audience_type="service",
    audience_id="memorylayer",
    max_access_level=20,
    workspace_scope=["ws-a", "ws-b"],
)


def _obo(
    resolved: aether_pb2.ResolvedAuthorityInfo | None = None,
) -> aether_pb2.AuthorizationContext:
    auth = aether_pb2.AuthorizationContext(
        authority_mode="on_behalf_of",
        subject=aether_pb2.PrincipalRef(principal_type="user", principal_id="alice"),
        grant_id="grant-7",
    )
    if resolved is not None:
        auth.resolved.CopyFrom(resolved)
    return auth


OBO_ENVELOPE = {
    **KEPT,
    "X-Auth-Authority-Mode": "on_behalf_of",
    "X-Auth-Actor-Type": "Service",
    "X-Auth-Actor-ID": "sv::memorylayer::default",
    "X-Auth-Grant-ID": "grant-7",
    "X-Auth-Subject-Type": "user",
    "X-Auth-Subject-ID": "alice",
    "X-Auth-Principal-Type": "user",
    "X-Auth-User-ID": "alice",
}
OBO_FULL = {
    **OBO_ENVELOPE,
    "X-Auth-Max-Access-Level": "20",
    "X-Auth-Workspace-Scope": "ws-a,ws-b",
    "X-Auth-Audience-Type": "service",
    "X-Auth-Audience-ID": "memorylayer",
    "X-Auth-Root-Subject-Type": "user",
    "X-Auth-Root-Subject-ID": "root-1",
}


def _never_called(auth: aether_pb2.AuthorizationContext) -> None:
    raise AssertionError("the resolver must not be asked when the envelope is resolved")


async def test_obo_trusts_the_resolved_grant_in_the_envelope() -> None:
    minter = HeaderMinter(SERVICE, "strict", resolver=_never_called)
    assert await minter.mint(INBOUND, _obo(RESOLVED)) == OBO_FULL


async def test_obo_without_resolved_limits_omits_empty_scope_and_root() -> None:
    bare = aether_pb2.ResolvedAuthorityInfo(audience_type="service", audience_id="m")
    out = await HeaderMinter(SERVICE, "strict").mint({}, _obo(bare))
    assert out["X-Auth-Max-Access-Level"] == "0"
    assert (out["X-Auth-Audience-Type"], out["X-Auth-Audience-ID"]) == ("service", "m")
    for absent in ("X-Auth-Workspace-Scope", "X-Auth-Root-Subject-Type", "X-Auth-Root-Subject-ID"):
        assert absent not in out


async def test_obo_without_any_resolution_is_refused_by_default() -> None:
    with pytest.raises(ProxyRefusal) as info:
        await HeaderMinter(SERVICE, "strict").mint(INBOUND, _obo())
    assert info.value.kind == Kind.ACL_DENIED


async def test_obo_allow_partial_mints_only_the_envelope_headers() -> None:
    out = await HeaderMinter(SERVICE, "strict", obo_policy="allow_partial").mint(INBOUND, _obo())
    assert out == OBO_ENVELOPE


class _ObjectResolver:
    def __init__(self) -> None:
        self.seen: list[aether_pb2.AuthorizationContext] = []

    def resolve(self, auth: aether_pb2.AuthorizationContext) -> aether_pb2.ResolvedAuthorityInfo:
        self.seen.append(auth)
        return RESOLVED


async def test_obo_resolver_object_sync_and_async_callables() -> None:
    obj = _ObjectResolver()
    assert await HeaderMinter(SERVICE, "strict", resolver=obj).mint(INBOUND, _obo()) == OBO_FULL
    assert [a.grant_id for a in obj.seen] == ["grant-7"]

    def sync_resolver(auth: aether_pb2.AuthorizationContext) -> aether_pb2.ResolvedAuthorityInfo:
        return RESOLVED

    async def async_resolver(
        auth: aether_pb2.AuthorizationContext,
    ) -> aether_pb2.ResolvedAuthorityInfo:
        return RESOLVED

    for resolver in (sync_resolver, async_resolver):
        assert (
            await HeaderMinter(SERVICE, "strict", resolver=resolver).mint(INBOUND, _obo())
            == OBO_FULL
        )


async def test_obo_resolver_returning_none_follows_the_policy() -> None:
    def nothing(auth: aether_pb2.AuthorizationContext) -> None:
        return None

    with pytest.raises(ProxyRefusal) as info:
        await HeaderMinter(SERVICE, "strict", resolver=nothing).mint(INBOUND, _obo())
    assert info.value.kind == Kind.ACL_DENIED
    partial = HeaderMinter(SERVICE, "strict", resolver=nothing, obo_policy="allow_partial")
    assert await partial.mint(INBOUND, _obo()) == OBO_ENVELOPE


async def test_failing_or_malformed_resolver_is_an_upstream_reset() -> None:
    def broken(auth: aether_pb2.AuthorizationContext) -> aether_pb2.ResolvedAuthorityInfo:
        raise RuntimeError("grant store down")

    def wrong_type(auth: aether_pb2.AuthorizationContext) -> dict[str, int]:
        return {"max_access_level": 20}

    for resolver, text in ((broken, "grant store down"), (wrong_type, "ResolvedAuthorityInfo")):
        minter = HeaderMinter(SERVICE, "strict", resolver=resolver, obo_policy="allow_partial")
        with pytest.raises(ProxyRefusal) as info:
            await minter.mint(INBOUND, _obo())
        assert info.value.kind == Kind.UPSTREAM_RESET
        assert text in info.value.message
