"""README snippets 14-18: "KV Operations" (sync, async), "Task Creation" and "Checkpointing"
(sync, async). Stored values are read back; refused task creations are checked code by code."""

from __future__ import annotations

import pytest

from aether_gateway.embedded import EmbeddedGateway
from scitrera_aether_client import AgentClient, AsyncAgentClient
from scitrera_aether_client.proto import aether_pb2

from ._support import Inbox

KV = aether_pb2.KVResponse


def test_14_sync_kv(sync_gateway: EmbeddedGateway) -> None:
    responses: Inbox[KV] = Inbox()
    client = AgentClient("default", "kv", "01")
    client.on_kv_response = responses  # the snippet's results arrive here
    client.connect(sync_gateway.target)
    assert client.kv_put_sync(key="config/old", value=b"stale", scope="global").success  # type: ignore[union-attr]

    # --- snippet 14 as written ---
    # Store a value (fire-and-forget)
    client.kv_put(key="config/setting", value=b"value", scope="global")

    # Store with workspace scope
    client.kv_put(key="team/setting", value=b"team-value", scope="workspace", workspace="default")

    # Get a value (response via callback)
    client.kv_get(key="config/setting", scope="global")

    # List keys
    client.kv_list(key_prefix="config/", scope="global")

    # Delete a key
    client.kv_delete(key="config/old", scope="global")
    # --- end of snippet ---

    put, team_put, get, listed, deleted = (responses.get() for _ in range(5))
    assert put.success and team_put.success and deleted.success
    assert get.success and get.value == b"value"
    assert listed.success and sorted(listed.keys) == ["config/old", "config/setting"]
    # Read back through other calls: the workspace value is stored under its scope only, and
    # the deleted key is gone.
    team = client.kv_get_sync(key="team/setting", scope="workspace", workspace="default")
    assert team is not None and team.value == b"team-value"
    assert client.kv_get_sync(key="team/setting", scope="global").value == b""  # type: ignore[union-attr]
    after = client.kv_list_sync(key_prefix="config/", scope="global")
    assert after is not None and list(after.keys) == ["config/setting"]
    client.close()


async def test_15_async_kv(gateway: EmbeddedGateway, capsys: pytest.CaptureFixture[str]) -> None:
    client = AsyncAgentClient("default", "kv-async", "01")
    await client.connect(gateway.target)

    # --- snippet 15 as written ---
    # Fire-and-forget
    await client.kv_put_nowait(key="setting", value=b"value", scope="global")

    # Await response
    response = await client.kv_get(key="setting", scope="global", timeout=5.0)
    if response:
        print(f"Value: {response.value}")  # type: ignore[str-bytes-safe]  # as written

    # Put and await confirmation
    response = await client.kv_put(key="setting", value=b"new-value", scope="global", timeout=5.0)
    # --- end of snippet ---

    assert response is not None and response.success
    # The fire-and-forget put was stored before the get ran (one stream, in order).
    assert capsys.readouterr().out == "Value: b'value'\n"
    # The confirmed put replaced it: another client reads the new value.
    reader = AsyncAgentClient("default", "reader", "01")
    await reader.connect(gateway.target)
    stored = await reader.kv_get(key="setting", scope="global", timeout=5.0)
    await reader.close()
    await client.close()
    assert stored is not None and stored.value == b"new-value"


def test_16_task_creation(sync_gateway: EmbeddedGateway) -> None:
    errors: Inbox[aether_pb2.ErrorResponse] = Inbox()
    client = AgentClient("default", "tasker", "01")
    client.on_error = errors
    client.connect(sync_gateway.target)

    # --- snippet 16 as written ---
    from scitrera_aether_client import POOL, SELF_ASSIGN, TARGETED

    # Self-assigned task (creator handles it)
    client.create_task(
        task_type="data-processing",
        workspace="default",
        assignment_mode=SELF_ASSIGN,
        metadata={"priority": "high"},
    )

    # Targeted task (assign to specific agent)
    client.create_task(
        task_type="specialized-work",
        workspace="default",
        assignment_mode=TARGETED,
        target_agent_id="ag.default.worker.specialist-01",
        launch_param_overrides={"memory": "4G"},
    )

    # Pool task (load-balanced to available workers)
    client.create_task(task_type="batch-job", workspace="default", assignment_mode=POOL)
    # --- end of snippet ---

    # Refused on purpose, in order (docs/sdk.md, "Reference README snippets our gateway
    # refuses"): the dotted target id is not an identity, and a POOL task names no implementation.
    targeted, pool = errors.get(), errors.get()
    assert (targeted.code, targeted.message) == (
        "ERR_INVALID_IDENTIFIER",
        "invalid target_agent_id: 'ag.default.worker.specialist-01'",
    )
    assert (pool.code, pool.message) == (
        "ERR_INVALID_ARGUMENT",
        "target_implementation is required for POOL",
    )
    # The self-assigned task is stored, assigned to its creator, with its metadata.
    listed = client.query_tasks(workspace="default", timeout=5)
    client.close()
    assert listed is not None
    assert [(t.task_type, t.assigned_to, dict(t.metadata)) for t in listed.tasks] == [
        ("data-processing", "ag::default::tasker::01", {"priority": "high"})
    ]


def test_17_sync_checkpoints(
    sync_gateway: EmbeddedGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    client = AgentClient("default", "ckpt", "01")
    client.connect(sync_gateway.target)

    # --- snippet 17 as written ---
    # Save checkpoint
    client.checkpoint_save(data=b"state data", key="my-checkpoint")

    # Save and wait for confirmation
    response = client.checkpoint_save_sync(data=b"state data", key="my-checkpoint", timeout=5.0)
    saved = response

    # Load checkpoint
    response = client.checkpoint_load_sync(key="my-checkpoint", timeout=5.0)
    if response and response.data:
        print(f"Restored state: {response.data}")  # type: ignore[str-bytes-safe]
    loaded = response

    # List checkpoints
    response = client.checkpoint_list_sync(timeout=5.0)
    if response:
        print(f"Checkpoints: {response.keys}")
    listed = response

    # Delete checkpoint
    client.checkpoint_delete_sync(key="my-checkpoint", timeout=5.0)
    # --- end of snippet ---

    assert saved is not None and saved.success
    assert loaded is not None and loaded.data == b"state data"
    assert listed is not None and list(listed.keys) == ["my-checkpoint"]
    assert capsys.readouterr().out.splitlines() == [
        "Restored state: b'state data'",
        "Checkpoints: ['my-checkpoint']",
    ]
    after = client.checkpoint_list_sync(timeout=5.0)
    gone = client.checkpoint_load_sync(key="my-checkpoint", timeout=5.0)
    client.close()
    assert after is not None and list(after.keys) == []
    assert gone is not None and gone.data == b""


async def test_18_async_checkpoints(gateway: EmbeddedGateway) -> None:
    client = AsyncAgentClient("default", "ckpt-async", "01")
    await client.connect(gateway.target)
    await client.checkpoint_save(data=b"old", key="old-checkpoint", timeout=5.0)

    # --- snippet 18 as written ---
    # Save and wait
    response = await client.checkpoint_save(data=b"state data", key="my-checkpoint", timeout=5.0)
    saved = response

    # Load
    response = await client.checkpoint_load(key="my-checkpoint", timeout=5.0)

    # Fire-and-forget operations
    await client.checkpoint_save_nowait(data=b"state", key="quick-save")
    await client.checkpoint_delete_nowait(key="old-checkpoint")
    # --- end of snippet ---

    assert saved is not None and saved.success
    assert response is not None and response.data == b"state data"
    # The fire-and-forget save and delete took effect (read back on the same stream, after them).
    listed = await client.checkpoint_list(timeout=5.0)
    quick = await client.checkpoint_load(key="quick-save", timeout=5.0)
    await client.close()
    assert listed is not None and sorted(listed.keys) == ["my-checkpoint", "quick-save"]
    assert quick is not None and quick.data == b"state"
