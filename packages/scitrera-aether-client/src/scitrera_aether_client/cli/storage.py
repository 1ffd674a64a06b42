"""`aether kv ...` and `aether checkpoint ...`: the gateway's key-value store, and the
checkpoints of the CLI's identity."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from scitrera_aether_client._core.validation import KV_SCOPES
from scitrera_aether_client.cli.output import bytes_field, emit, human_text
from scitrera_aether_client.cli.running import answered, run_async, succeeded
from scitrera_aether_client.cli.settings import settings
from scitrera_aether_client.client_async import BaseAsyncAetherClient
from scitrera_aether_client.proto import aether_pb2


def kv_options(function: Callable[..., Any]) -> Callable[..., Any]:
    function = click.option(
        "--scope", type=click.Choice(list(KV_SCOPES)), default="global", show_default=True
    )(function)
    function = click.option("--workspace", default="", help="For workspace scopes.")(function)
    return click.option("--user-id", default="", help="For user scopes.")(function)


@click.group()
def kv() -> None:
    """Read and write the gateway's key-value store."""


@kv.command("get")
@click.argument("key")
@kv_options
def kv_get(key: str, scope: str, workspace: str, user_id: str) -> None:
    """Print the value of KEY (empty when the key is absent, as the gateway answers)."""
    s = settings()

    async def work(client: BaseAsyncAetherClient) -> aether_pb2.KVResponse:
        found = await client.kv_get(key, scope, user_id, workspace, timeout=s.timeout)
        return answered(found, f"kv get {key}")

    response = run_async(work)
    succeeded(response, f"kv get {key}")
    emit(human_text(response.value), {"key": key, **bytes_field("value", response.value)})


@kv.command("put")
@click.argument("key")
@click.argument("value")
@click.option("--ttl", type=click.IntRange(min=0), default=0, help="Seconds; 0: no expiry.")
@kv_options
def kv_put(key: str, value: str, ttl: int, scope: str, workspace: str, user_id: str) -> None:
    """Store VALUE (text) under KEY."""
    s = settings()

    async def work(client: BaseAsyncAetherClient) -> aether_pb2.KVResponse:
        stored = await client.kv_put(
            key, value.encode(), scope, user_id, workspace, ttl, timeout=s.timeout
        )
        return answered(stored, f"kv put {key}")

    succeeded(run_async(work), f"kv put {key}")
    emit(f"stored {key}", {"key": key, "stored": True})


@kv.command("list")
@click.argument("prefix", default="")
@click.option("--limit", type=click.IntRange(min=0), default=0, help="At most this many keys.")
@kv_options
def kv_list(prefix: str, limit: int, scope: str, workspace: str, user_id: str) -> None:
    """List the keys that start with PREFIX, with their values under --json."""
    s = settings()

    async def work(client: BaseAsyncAetherClient) -> aether_pb2.KVResponse:
        page = await client.kv_list(
            prefix, scope, user_id, workspace, timeout=s.timeout, limit=limit
        )
        return answered(page, "kv list")

    response = run_async(work)
    succeeded(response, "kv list")
    keys = list(response.keys) or sorted(response.kv_map)
    entries = [{"key": k, **bytes_field("value", response.kv_map.get(k, b""))} for k in keys]
    emit(keys, {"keys": entries, "has_more": response.has_more})


@kv.command("delete")
@click.argument("key")
@kv_options
def kv_delete(key: str, scope: str, workspace: str, user_id: str) -> None:
    """Delete KEY."""
    s = settings()

    async def work(client: BaseAsyncAetherClient) -> aether_pb2.KVResponse:
        deleted = await client.kv_delete(key, scope, user_id, workspace, timeout=s.timeout)
        return answered(deleted, f"kv delete {key}")

    succeeded(run_async(work), f"kv delete {key}")
    emit(f"deleted {key}", {"key": key, "deleted": True})


# ---------------------------------------------------------------------- checkpoints


@click.group()
def checkpoint() -> None:
    """The checkpoints of the CLI's identity (see --as)."""


@checkpoint.command("list")
def checkpoint_list() -> None:
    """List the identity's checkpoint keys."""
    s = settings()

    async def work(client: BaseAsyncAetherClient) -> aether_pb2.CheckpointResponse:
        return answered(await client.checkpoint_list(timeout=s.timeout), "checkpoint list")

    response = run_async(work)
    succeeded(response, "checkpoint list")
    emit(list(response.keys), {"keys": list(response.keys)})


@checkpoint.command("load")
@click.argument("key", default="")
def checkpoint_load(key: str) -> None:
    """Print the checkpoint saved under KEY (default: the identity's unnamed checkpoint)."""
    s = settings()

    async def work(client: BaseAsyncAetherClient) -> aether_pb2.CheckpointResponse:
        return answered(await client.checkpoint_load(key, timeout=s.timeout), "checkpoint load")

    response = run_async(work)
    succeeded(response, f"checkpoint load {key}".rstrip())
    emit(
        human_text(response.data),
        {"key": key, "saved_at": response.saved_at, **bytes_field("data", response.data)},
    )


@checkpoint.command("save")
@click.argument("data")
@click.option("--key", default="", help="Checkpoint name (default: the unnamed one).")
@click.option("--ttl", type=click.IntRange(min=-1), default=-1, help="-1: the gateway's default.")
def checkpoint_save(data: str, key: str, ttl: int) -> None:
    """Save DATA (text) as a checkpoint of the identity."""
    s = settings()

    async def work(client: BaseAsyncAetherClient) -> aether_pb2.CheckpointResponse:
        saved = await client.checkpoint_save(data.encode(), key, ttl, timeout=s.timeout)
        return answered(saved, "checkpoint save")

    succeeded(run_async(work), "checkpoint save")
    emit(f"saved checkpoint {key or '(unnamed)'}", {"key": key, "saved": True})
