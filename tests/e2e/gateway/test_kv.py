"""Issue 3 item 4: the KV store over the 8 scopes, through the SDK and the wire."""

from __future__ import annotations

import pytest

from aether_gateway.embedded import EmbeddedGateway
from scitrera_aether_client import (
    AetherError,
    AsyncAgentClient,
    AsyncBridgeClient,
    AsyncOrchestratorClient,
    AsyncServiceClient,
    AsyncUserClient,
)
from scitrera_aether_client.proto import aether_pb2

from ._support import Up, agent_init, eventually, poll

KV = aether_pb2.KVOperation
SHARED = ["global", "workspace", "user-shared", "user-workspace-shared"]
EXCLUSIVE = ["global-exclusive", "workspace-exclusive", "user", "user-workspace"]


def scope_args(scope: str) -> dict[str, str]:
    return {"scope": scope, "user_id": "u1"} if "user" in scope else {"scope": scope}


@pytest.mark.parametrize("scope", SHARED + EXCLUSIVE)
async def test_every_operation_in_every_scope(gateway: EmbeddedGateway, opened, scope: str) -> None:
    agent = await opened(AsyncAgentClient("ws", "bot", "kv"), gateway.target)
    kw = scope_args(scope)
    assert (await agent.kv_put("cfg/a", b"1", **kw)).success
    assert (await agent.kv_get("cfg/a", **kw)).value == b"1"
    missing = await agent.kv_get("cfg/none", **kw)
    assert missing.success and missing.value == b""
    assert (await agent.kv_set_nx("cfg/a", b"other", **kw)).applied is False
    assert (await agent.kv_set_nx("cfg/b", b"2", **kw)).applied is True
    stale = await agent.kv_compare_and_set("cfg/a", b"wrong", b"x", **kw)
    assert stale.applied is False and stale.value == b"1"
    assert (await agent.kv_compare_and_set("cfg/a", b"1", b"3", **kw)).applied is True
    assert (await agent.kv_get("cfg/a", **kw)).value == b"3"
    listed = await agent.kv_list("cfg/", **kw)
    assert sorted(listed.keys) == ["cfg/a", "cfg/b"]
    assert dict(listed.kv_map) == {"cfg/a": b"3", "cfg/b": b"2"}
    assert (await agent.kv_increment("n", **kw)).counter_value == 1
    assert (await agent.kv_increment("n", delta=5, **kw)).counter_value == 6
    assert (await agent.kv_decrement("n", delta=2, **kw)).counter_value == 4
    assert await agent.kv_increment_if("n", delta=1, ceiling=5, **kw) == (5, True)
    assert await agent.kv_increment_if("n", delta=1, ceiling=5, **kw) == (5, False)
    assert await agent.kv_decrement_if("n", delta=5, floor=0, **kw) == (0, True)
    assert await agent.kv_decrement_if("n", delta=1, floor=0, **kw) == (0, False)
    assert (await agent.kv_delete("cfg/a", **kw)).success
    assert (await agent.kv_get("cfg/a", **kw)).value == b""
    assert (await agent.kv_list("cfg/", **kw)).keys == ["cfg/b"]


@pytest.mark.parametrize("scope", EXCLUSIVE)
async def test_exclusive_scopes_are_private_to_each_agent(
    gateway: EmbeddedGateway, opened, scope: str
) -> None:
    owner = await opened(AsyncAgentClient("ws", "bot", "owner"), gateway.target)
    peer = await opened(AsyncAgentClient("ws", "bot", "peer"), gateway.target)
    kw = scope_args(scope)
    await owner.kv_put("secret", b"mine", **kw)
    await peer.kv_put("secret", b"theirs", **kw)
    assert (await owner.kv_get("secret", **kw)).value == b"mine"
    assert (await peer.kv_get("secret", **kw)).value == b"theirs"
    await peer.kv_delete("secret", **kw)
    assert (await owner.kv_get("secret", **kw)).value == b"mine"


@pytest.mark.parametrize("scope", SHARED)
async def test_shared_scopes_are_shared_between_principals(
    gateway: EmbeddedGateway, opened, scope: str
) -> None:
    writer = await opened(AsyncAgentClient("ws", "bot", "writer"), gateway.target)
    reader = await opened(AsyncAgentClient("ws", "other", "reader"), gateway.target)
    kw = scope_args(scope)
    await writer.kv_put("shared", b"hello", **kw)
    assert (await reader.kv_get("shared", **kw)).value == b"hello"


async def test_workspace_scope_is_per_workspace(gateway: EmbeddedGateway, opened) -> None:
    one = await opened(AsyncAgentClient("ws1", "bot", "a"), gateway.target)
    two = await opened(AsyncAgentClient("ws2", "bot", "a"), gateway.target)
    await one.kv_put("k", b"ws1", scope="workspace")
    assert (await two.kv_get("k", scope="workspace")).value == b""
    assert (await two.kv_get("k", scope="workspace", workspace="ws1")).value == b"ws1"


async def test_services_use_kv_too(gateway: EmbeddedGateway, opened) -> None:
    service = await opened(AsyncServiceClient("cache", "one"), gateway.target)
    assert (await service.kv_put("svc", b"v", scope="global-exclusive")).success
    assert (await service.kv_get("svc", scope="global-exclusive")).value == b"v"


async def test_ttl_expires_a_value(gateway: EmbeddedGateway, opened) -> None:
    agent = await opened(AsyncAgentClient("ws", "bot", "ttl"), gateway.target)
    await agent.kv_put("short", b"lived", ttl=1)
    await agent.kv_put("long", b"lived")
    assert (await agent.kv_get("short")).value == b"lived"

    async def short() -> bytes:
        return (await agent.kv_get("short")).value

    assert await poll(short, lambda value: value == b"") == b""
    assert (await agent.kv_get("long")).value == b"lived"
    assert (await agent.kv_list("short")).keys == []


async def test_list_pages_with_a_cursor(gateway: EmbeddedGateway, opened) -> None:
    agent = await opened(AsyncAgentClient("ws", "bot", "pager"), gateway.target)
    wanted = [f"page/{i:02d}" for i in range(25)]
    for key in wanted:
        await agent.kv_put(key, key.encode())
    await agent.kv_put("pagination-other", b"not in the prefix")
    seen: list[str] = []
    cursor, pages = "", 0
    while True:
        page = await agent.kv_list("page/", limit=10, cursor=cursor)
        assert page.success and len(page.keys) <= 10
        seen += list(page.keys)
        pages += 1
        if not page.has_more:
            assert page.next_cursor == ""
            break
        cursor = page.next_cursor
    assert seen == wanted and pages == 3


async def test_request_id_is_echoed(gateway: EmbeddedGateway, raw) -> None:
    stream = await raw(gateway.target, agent_init(spec="echo"))
    await stream.read_arm("config")
    for i, op in enumerate([KV.PUT, KV.GET, KV.LIST, KV.INCREMENT, KV.DELETE]):
        key = "" if op == KV.LIST else "echo-key"
        await stream.send(Up(kv_op=KV(op=op, key=key, value=b"1", request_id=f"rid-{i}")))
        reply = await stream.read_arm("kv")
        assert reply.request_id == f"rid-{i}"


@pytest.mark.parametrize(
    "principal",
    [
        Up(
            init=aether_pb2.InitConnection(user=aether_pb2.UserIdentity(user_id="u", window_id="w"))
        ),
        Up(
            init=aether_pb2.InitConnection(
                orchestrator=aether_pb2.OrchestratorIdentity(
                    implementation="orc", specifier="s", supported_profiles=["p"]
                )
            )
        ),
        Up(
            init=aether_pb2.InitConnection(
                bridge=aether_pb2.BridgeIdentity(implementation="br", specifier="s")
            )
        ),
    ],
    ids=["user", "orchestrator", "bridge"],
)
async def test_refused_principals_get_a_failed_response_then_an_error(
    gateway: EmbeddedGateway, raw, principal: Up
) -> None:
    stream = await raw(gateway.target, principal)
    await stream.send(Up(kv_op=KV(op=KV.GET, key="k", request_id="refused")))
    first = await stream.read()
    second = await stream.read()
    assert first.WhichOneof("payload") == "kv"
    assert first.kv.success is False and first.kv.request_id == "refused"
    assert second.WhichOneof("payload") == "error"
    assert second.error.code == "ERR_PERMISSION_DENIED" and second.error.request_id == "refused"


@pytest.mark.parametrize(
    "client_type", [AsyncUserClient, AsyncOrchestratorClient, AsyncBridgeClient]
)
async def test_sdk_sees_the_refusal_as_success_false(
    gateway: EmbeddedGateway, opened, client_type: type
) -> None:
    args = {
        AsyncUserClient: ("u", "w"),
        AsyncOrchestratorClient: ("orc", ["p"]),
        AsyncBridgeClient: ("br", "s"),
    }[client_type]
    client = await opened(client_type(*args), gateway.target)
    response = await client.kv_put("k", b"v")
    assert response is not None and response.success is False


async def test_a_scope_missing_its_user_id_is_invalid_argument(
    gateway: EmbeddedGateway, raw
) -> None:
    stream = await raw(gateway.target, agent_init(spec="nouser"))
    await stream.read_arm("config")
    await stream.send(Up(kv_op=KV(op=KV.GET, key="k", scope=KV.USER_SHARED, request_id="r")))
    failed = await stream.read_arm("kv")
    error = await stream.read_arm("error")
    assert failed.success is False
    assert error.code == "ERR_INVALID_ARGUMENT" and error.request_id == "r"


async def test_counter_on_a_non_integer_is_kv_error(gateway: EmbeddedGateway, opened) -> None:
    agent = await opened(AsyncAgentClient("ws", "bot", "counter"), gateway.target)
    await agent.kv_put("word", b"hello")
    failures: list[aether_pb2.ErrorResponse] = []
    agent.on_error = failures.append
    response = await agent.kv_increment("word")
    assert response is not None and response.success is False
    await eventually(lambda: bool(failures), "the KV_ERROR frame")
    assert failures[0].code == "KV_ERROR"
    assert (await agent.kv_get("word")).value == b"hello"


async def test_a_value_over_the_quota_gets_only_err_quota(gateway: EmbeddedGateway, raw) -> None:
    stream = await raw(gateway.target, agent_init(spec="quota"))
    await stream.read_arm("config")
    big = KV(op=KV.PUT, scope=KV.GLOBAL, key="big", value=b"x" * ((1 << 20) + 1), request_id="q")
    await stream.send(Up(kv_op=big))
    await stream.send(Up(kv_op=KV(op=KV.GET, scope=KV.GLOBAL, key="big", request_id="after")))
    error = await stream.read_arm("error")
    assert error.code == "ERR_QUOTA_001" and error.request_id == "q"
    after = await stream.read_arm("kv")  # no failed KVResponse came in between
    assert after.request_id == "after" and after.value == b""


async def test_sdk_raises_for_a_value_over_the_quota(gateway: EmbeddedGateway, opened) -> None:
    agent = await opened(AsyncAgentClient("ws", "bot", "quota-sdk"), gateway.target)
    with pytest.raises(AetherError) as refused:
        await agent.kv_put("big", b"x" * ((1 << 20) + 1))
    assert refused.value.code == "ERR_QUOTA_001"
