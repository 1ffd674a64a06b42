"""Issue 3 item 5: checkpoints in each identity's namespace."""

from __future__ import annotations

from aether_gateway.embedded import EmbeddedGateway
from scitrera_aether_client import AsyncAgentClient, AsyncTaskClient, AsyncUserClient
from scitrera_aether_client.proto import aether_pb2

from ._support import Up, agent_init, poll, released

CP = aether_pb2.CheckpointOperation


async def test_save_load_delete_list(gateway: EmbeddedGateway, opened) -> None:
    agent = await opened(AsyncAgentClient("ws", "bot", "saver"), gateway.target)
    saved = await agent.checkpoint_save(b"state-1", key="step")
    assert saved.success and saved.saved_at > 0
    await agent.checkpoint_save(b"default state")  # key "" is "default"
    loaded = await agent.checkpoint_load("step")
    assert loaded.success and loaded.data == b"state-1" and loaded.saved_at == saved.saved_at
    assert (await agent.checkpoint_load()).data == b"default state"
    assert sorted((await agent.checkpoint_list()).keys) == ["default", "step"]
    await agent.checkpoint_save(b"state-2", key="step")
    assert (await agent.checkpoint_load("step")).data == b"state-2"
    assert (await agent.checkpoint_delete("step")).success
    missing = await agent.checkpoint_load("step")
    assert missing.success and missing.data == b"" and missing.saved_at == 0
    assert list((await agent.checkpoint_list()).keys) == ["default"]


async def test_each_identity_has_its_own_namespace(gateway: EmbeddedGateway, opened) -> None:
    agent = await opened(AsyncAgentClient("ws", "bot", "one"), gateway.target)
    twin = await opened(AsyncAgentClient("ws", "bot", "two"), gateway.target)
    user = await opened(AsyncUserClient("alice", "w1"), gateway.target)
    task = await opened(AsyncTaskClient("ws", "bot", "one"), gateway.target)
    for i, client in enumerate([agent, twin, user, task]):
        assert (await client.checkpoint_save(f"state-{i}".encode(), key="k")).success
    for i, client in enumerate([agent, twin, user, task]):
        assert (await client.checkpoint_load("k")).data == f"state-{i}".encode()
        assert list((await client.checkpoint_list()).keys) == ["k"]
    await twin.checkpoint_delete("k")
    assert (await agent.checkpoint_load("k")).data == b"state-0"


async def test_checkpoints_survive_a_reconnect_of_the_same_identity(
    gateway: EmbeddedGateway, opened
) -> None:
    first = await opened(AsyncAgentClient("ws", "bot", "again"), gateway.target)
    await first.checkpoint_save(b"keep me", key="k")
    await first.close()
    await released(gateway, "ag::ws::bot::again")
    second = await opened(AsyncAgentClient("ws", "bot", "again"), gateway.target)
    assert (await second.checkpoint_load("k")).data == b"keep me"


async def test_ttl_expires_a_checkpoint(gateway: EmbeddedGateway, opened) -> None:
    agent = await opened(AsyncAgentClient("ws", "bot", "fleeting"), gateway.target)
    await agent.checkpoint_save(b"brief", key="short", ttl=1)
    await agent.checkpoint_save(b"forever", key="long", ttl=0)
    assert (await agent.checkpoint_load("short")).data == b"brief"

    async def short() -> bytes:
        return (await agent.checkpoint_load("short")).data

    await poll(short, lambda data: data == b"")
    assert list((await agent.checkpoint_list()).keys) == ["long"]
    assert (await agent.checkpoint_load("long")).data == b"forever"


async def test_exactly_one_response_per_operation(gateway: EmbeddedGateway, raw) -> None:
    stream = await raw(gateway.target, agent_init(spec="counted"))
    await stream.read_arm("config")
    ops = [
        CP(op=CP.SAVE, key="a", data=b"1", request_id="save"),
        CP(op=CP.LOAD, key="a", request_id="load"),
        CP(op=CP.LOAD, key="missing", request_id="miss"),
        CP(op=CP.LIST, request_id="list"),
        CP(op=CP.SAVE, key="b", data=b"2", ttl=-7, request_id="bad-ttl"),
        CP(op=CP.DELETE, key="a", request_id="delete"),
    ]
    for op in ops:
        await stream.send(Up(checkpoint_op=op))
    barrier = aether_pb2.KVOperation(op=aether_pb2.KVOperation.GET, key="k", request_id="end")
    await stream.send(Up(kv_op=barrier))
    frames = []
    while (frame := await stream.read()).WhichOneof("payload") != "kv":
        frames.append(frame)
    assert [f.WhichOneof("payload") for f in frames] == ["checkpoint"] * len(ops)
    replies = {f.checkpoint.request_id: f.checkpoint for f in frames}
    assert list(replies) == [op.request_id for op in ops]
    assert replies["load"].data == b"1"
    assert replies["bad-ttl"].success is False and replies["bad-ttl"].error
    assert all(r.success for rid, r in replies.items() if rid != "bad-ttl")
