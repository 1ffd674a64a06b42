"""The KV handler and ACL take what an op is from the generated operation table.

Served ops dispatch to the store.kv.Operations function the table names, unserved ones answer
ERR_NOT_IMPLEMENTED, the value-size quota applies to the value writes, and the ACL asks READ for
the reads and READWRITE for everything else (ops unknown to the table included).
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from aether_gateway.context import Caller
from aether_gateway.handlers import kv as kv_handler
from aether_gateway.handlers.kv import handle_kv
from aether_gateway.handlers.kv_acl import kv_refusal
from aether_gateway.store.acl import ACLStore
from aether_gateway.store.db import Database
from aether_gateway.store.kv import KVStore, Operations
from scitrera_aether_client.wire import PRINCIPALS, OperationSpec, aether_pb2, of_arm

Op = aether_pb2.KVOperation
TABLE = of_arm("kv_op")
_FIELDS = {"workspace": "ws1", "implementation": "impl", "specifier": "a1"}
AGENT = Caller(
    session_id="session-agent",
    principal=PRINCIPALS["agent"],
    identity=PRINCIPALS["agent"].lock_key.format(**_FIELDS),
    topic=PRINCIPALS["agent"].topic.format(**_FIELDS),
    fields=_FIELDS,
    workspace="ws1",
)


def run(store: KVStore, **op: Any) -> list[aether_pb2.DownstreamMessage]:
    return handle_kv(store, AGENT, Op(request_id="rid", **op))


@pytest.fixture
def store() -> KVStore:
    return KVStore(Database(":memory:"))


def arms(frames: list[aether_pb2.DownstreamMessage]) -> list[str | None]:
    return [f.WhichOneof("payload") for f in frames]


def test_every_kv_op_of_the_proto_is_in_the_table() -> None:
    assert set(TABLE) == set(Op.OpType.values())


def test_served_ops_name_a_store_function_and_every_function_is_named() -> None:
    named = {spec.store for spec in TABLE.values() if spec.served}
    assert all(callable(getattr(Operations, name, None)) for name in named), named
    functions = {n for n, _ in inspect.getmembers(Operations, inspect.isfunction)}
    assert functions == named  # no store function that nothing dispatches to


@pytest.mark.parametrize("spec", list(TABLE.values()), ids=lambda s: s.name)
def test_the_table_decides_what_is_served(store: KVStore, spec: OperationSpec) -> None:
    frames = run(store, op=spec.op, scope=Op.GLOBAL, key="k", value=b"1", expected_value=b"1")
    codes = [f.error.code for f in frames if f.HasField("error")]
    if spec.served:
        assert "ERR_NOT_IMPLEMENTED" not in codes
        assert frames[0].kv.success is True, frames
    else:
        assert codes == ["ERR_NOT_IMPLEMENTED"] and frames[0].kv.success is False


def test_a_table_without_an_op_stops_serving_it(
    store: KVStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    swapped = {op: spec for op, spec in TABLE.items() if op != Op.GET}
    monkeypatch.setattr(kv_handler, "KV_OPERATIONS", swapped)
    frames = run(store, op=Op.GET, scope=Op.GLOBAL, key="k")
    assert frames[1].error.code == "ERR_NOT_IMPLEMENTED"


@pytest.mark.parametrize("spec", [s for s in TABLE.values() if s.served], ids=lambda s: s.name)
def test_the_value_quota_applies_to_value_writes_only(store: KVStore, spec: OperationSpec) -> None:
    op = Op(
        op=spec.op,  # type: ignore[arg-type]
        scope=Op.GLOBAL,
        key="k",
        value=b"x" * 10,
        request_id="r",
    )
    frames = handle_kv(store, AGENT, op, max_value_bytes=4)
    quota = arms(frames) == ["error"] and frames[0].error.code == "ERR_QUOTA_001"
    assert quota is (spec.kind == "value_write")


@pytest.mark.parametrize("spec", list(TABLE.values()), ids=lambda s: s.name)
def test_acl_asks_read_for_reads_and_readwrite_for_the_rest(spec: OperationSpec) -> None:
    acl = ACLStore(Database(":memory:"))
    acl.grant("agent", "*", "kv_scope", "global", 10)  # READ only
    op = Op(
        op=spec.op,  # type: ignore[arg-type]
        scope=Op.GLOBAL,
        key="k",
    )
    allowed = kv_refusal(acl, AGENT, op, spec) is None
    assert allowed is spec.reads
    acl.grant("agent", "*", "kv_scope", "global", 20)  # READWRITE
    assert kv_refusal(acl, AGENT, op, spec) is None


def test_an_op_unknown_to_the_table_needs_readwrite(store: KVStore) -> None:
    acl = ACLStore(Database(":memory:"))
    acl.grant("agent", "*", "kv_scope", "global", 10)
    op = Op(
        op=99,  # type: ignore[arg-type]
        scope=Op.GLOBAL,
        key="k",
        request_id="r",
    )  # proto3 enums are open
    assert kv_refusal(acl, AGENT, op, None) is not None
    frames = handle_kv(store, AGENT, op, acl=acl)
    assert frames[1].error.code == "ERR_PERMISSION_DENIED"
