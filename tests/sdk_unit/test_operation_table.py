"""The generated operation table and the KV/checkpoint methods generated from it.

The methods keep the reference's parameters, in its order (additions only after them); every op
the table marks served and gives a method exists in both flavours, in every form; and the calls
the SDK resends after a reconnect are exactly the table's idempotent ones.
"""

from __future__ import annotations

import inspect

import pytest

from scitrera_aether_client import BaseAetherClient, BaseAsyncAetherClient
from scitrera_aether_client._core import frames
from scitrera_aether_client._generated.operations import OPERATIONS, is_idempotent
from scitrera_aether_client.proto import aether_pb2

KV = aether_pb2.KVOperation
CP = aether_pb2.CheckpointOperation
_SHARED = [("scope", "global"), ("user_id", ""), ("workspace", "")]
_REQUIRED = inspect.Parameter.empty

#: The reference client's KV and checkpoint parameters (reference-sdk-api.md, section 2.4),
#: before its async `timeout`/`authorization` and anything we added.
REFERENCE: dict[str, list[tuple[str, object]]] = {
    "kv_get": [("key", _REQUIRED), *_SHARED],
    "kv_put": [("key", _REQUIRED), ("value", _REQUIRED), *_SHARED, ("ttl", 0)],
    "kv_list": [("key_prefix", ""), *_SHARED],
    "kv_delete": [("key", _REQUIRED), *_SHARED],
    "kv_increment": [("key", _REQUIRED), *_SHARED, ("ttl", 0)],
    "kv_decrement": [("key", _REQUIRED), *_SHARED],
    "kv_increment_if": [("key", _REQUIRED), ("delta", 1), ("ceiling", 0), *_SHARED, ("ttl", 0)],
    "kv_decrement_if": [("key", _REQUIRED), ("delta", 1), ("floor", 0), *_SHARED],
    "checkpoint_save": [("data", _REQUIRED), ("key", ""), ("ttl", -1)],
    "checkpoint_load": [("key", "")],
    "checkpoint_delete": [("key", "")],
    "checkpoint_list": [],
}
#: The reference's async-only fire-and-forget twins.
REFERENCE_NOWAIT = {"kv_put", "kv_delete", *(m for m in REFERENCE if m.startswith("checkpoint"))}


def _params(cls: type, name: str) -> list[tuple[str, object]]:
    signature = inspect.signature(getattr(cls, name))
    return [(p.name, p.default) for p in list(signature.parameters.values())[1:]]


@pytest.mark.parametrize("method", sorted(REFERENCE))
def test_reference_parameters_come_first_in_their_order(method: str) -> None:
    ref = REFERENCE[method]
    timeout: list[tuple[str, object]] = [("timeout", 5.0)]
    auth: list[tuple[str, object]] = [("authorization", None)] if method.startswith("kv_") else []
    assert _params(BaseAsyncAetherClient, method)[: len(ref) + len(timeout + auth)] == (
        ref + timeout + auth
    )
    assert _params(BaseAetherClient, method)[: len(ref)] == ref
    assert _params(BaseAetherClient, f"{method}_sync")[: len(ref) + 1] == ref + timeout
    if method in REFERENCE_NOWAIT:
        assert _params(BaseAsyncAetherClient, f"{method}_nowait")[: len(ref)] == ref


def test_sync_fire_and_forget_forms_return_nothing() -> None:
    for spec in OPERATIONS.values():
        if spec.method:
            assert inspect.signature(getattr(BaseAetherClient, spec.method)).return_annotation in (
                None,
                "None",
            ), spec.method


def test_every_served_op_with_a_method_exists_in_both_flavours() -> None:
    methods = [spec for spec in OPERATIONS.values() if spec.method]
    assert {s.method for s in methods} >= set(REFERENCE) | {
        "kv_set_nx",
        "kv_compare_and_set",
        "kv_compare_and_delete",
    }
    for spec in methods:
        assert spec.served, f"{spec.name} has a method but is not served"
        assert inspect.iscoroutinefunction(getattr(BaseAsyncAetherClient, spec.method))
        assert not inspect.iscoroutinefunction(getattr(BaseAetherClient, spec.method))
        assert callable(getattr(BaseAetherClient, f"{spec.method}_sync"))


def test_unserved_ops_have_no_method() -> None:
    unserved = {(s.arm, s.name) for s in OPERATIONS.values() if not s.served}
    assert {("kv_op", "PURGE_IDENTITY"), ("kv_op", "SET_ADD"), ("kv_op", "SET_CARD")} <= unserved
    for name in ("kv_purge_identity", "kv_set_add", "kv_set_card"):
        assert not hasattr(BaseAsyncAetherClient, name) and not hasattr(BaseAetherClient, name)


def test_resent_after_reconnect_means_idempotent_in_the_table() -> None:
    reads = {KV.GET, KV.LIST}
    for op in KV.OpType.values():
        assert is_idempotent(frames.kv(op, "k")) is (op in reads), KV.OpType.Name(op)
    for op in CP.OpType.values():
        expected = op in (CP.LOAD, CP.LIST)
        assert is_idempotent(frames.checkpoint(op)) is expected, CP.OpType.Name(op)
    assert is_idempotent(frames.task_query_get("t1")) is True
    assert is_idempotent(frames.task_op(aether_pb2.TaskOperation.CANCEL, "t1")) is False
    assert is_idempotent(frames.create_task("t", "ws")) is False  # an arm without ops
