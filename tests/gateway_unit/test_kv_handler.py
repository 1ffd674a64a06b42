"""handle_kv: principal gate, scope namespaces, every operation, and the frames it answers with."""

from __future__ import annotations

from typing import Any

import pytest

from aether_gateway.context import Caller
from aether_gateway.handlers import kv as kv_handler
from aether_gateway.handlers.kv import handle_kv, snapshot_exclusive
from aether_gateway.handlers.kv import kv_namespace as ns
from aether_gateway.store import kv as kv_store
from aether_gateway.store.db import Database
from aether_gateway.store.kv import KVStore
from scitrera_aether_client._generated.principals import PRINCIPALS
from scitrera_aether_client.proto import aether_pb2

Op = aether_pb2.KVOperation

FIELDS: dict[str, dict[str, str]] = {
    "agent": {"workspace": "ws1", "implementation": "impl", "specifier": "a1"},
    "task": {"workspace": "ws1", "implementation": "impl", "unique_specifier": "t1"},
    "user": {"user_id": "u1", "window_id": "w1"},
    "orchestrator": {"implementation": "orc", "specifier": "o1", "supported_profiles": ""},
    "workflow_engine": {"instance_id": "e1"},
    "metrics_bridge": {"instance_id": "m1"},
    "service": {"implementation": "svc", "specifier": "s1", "no_pool_consumer": ""},
    "bridge": {"implementation": "br", "specifier": "b1"},
}


def make_caller(kind: str, **overrides: str) -> Caller:
    principal = PRINCIPALS[kind]
    fields = {**FIELDS[kind], **overrides}
    return Caller(
        session_id=f"session-{kind}",
        principal=principal,
        identity=principal.lock_key.format(**fields),
        topic=principal.topic.format(**fields),
        fields=fields,
        workspace=fields.get("workspace", ""),
    )


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000_000

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(clock: Clock) -> KVStore:
    return KVStore(Database(":memory:"), clock=clock)


AGENT = make_caller("agent")


def run(store: KVStore, caller: Caller = AGENT, **op: Any) -> list[aether_pb2.DownstreamMessage]:
    op.setdefault("request_id", "rid-1")
    return handle_kv(store, caller, aether_pb2.KVOperation(**op))


def ok(frames: list[aether_pb2.DownstreamMessage], request_id: str = "rid-1") -> Any:
    assert len(frames) == 1, frames
    assert frames[0].WhichOneof("payload") == "kv"
    assert frames[0].kv.success is True
    assert frames[0].kv.request_id == request_id
    return frames[0].kv


def failed(frames: list[aether_pb2.DownstreamMessage], code: str) -> str:
    """Assert the KVResponse{success=false} + ErrorResponse pair; returns the error message."""
    assert [f.WhichOneof("payload") for f in frames] == ["kv", "error"]
    assert frames[0].kv.success is False
    assert frames[0].kv.request_id == "rid-1"
    assert frames[1].error.code == code
    assert frames[1].error.request_id == "rid-1"
    message: str = frames[1].error.message
    return message


@pytest.mark.parametrize("kind", ["user", "orchestrator", "bridge"])
def test_type_gate_refuses_principals_without_kv(store: KVStore, kind: str) -> None:
    frames = run(store, make_caller(kind), op=Op.PUT, scope=Op.GLOBAL, key="k", value=b"v")
    assert "may not use the KV store" in failed(frames, "ERR_PERMISSION_DENIED")
    assert store.get(ns("global"), "k") is None


@pytest.mark.parametrize("kind", ["agent", "task", "service", "workflow_engine", "metrics_bridge"])
def test_kv_principals_are_admitted(store: KVStore, kind: str) -> None:
    caller = make_caller(kind)
    ok(run(store, caller, op=Op.PUT, scope=Op.GLOBAL, key="k", value=kind.encode()))
    assert ok(run(store, caller, op=Op.GET, scope=Op.GLOBAL, key="k")).value == kind.encode()


A1 = ("own", "agent", "ws1", "impl", "a1")  # the namespace prefix of AGENT's own scopes


@pytest.mark.parametrize(
    ("caller", "fields", "namespace"),
    [
        (AGENT, {"scope": Op.SCOPE_UNSPECIFIED}, ns("ws", "ws1")),
        (AGENT, {"scope": Op.GLOBAL}, ns("global")),
        (AGENT, {"scope": Op.WORKSPACE}, ns("ws", "ws1")),
        (AGENT, {"scope": Op.WORKSPACE, "workspace": "ws2"}, ns("ws", "ws2")),
        (AGENT, {"scope": Op.USER_SHARED, "user_id": "u1"}, ns("user", "u1")),
        (AGENT, {"scope": Op.USER_WORKSPACE_SHARED, "user_id": "u1"}, ns("user-ws", "u1", "ws1")),
        (AGENT, {"scope": Op.GLOBAL_EXCLUSIVE}, ns(*A1, "global")),
        (AGENT, {"scope": Op.WORKSPACE_EXCLUSIVE}, ns(*A1, "ws", "ws1")),
        (AGENT, {"scope": Op.USER, "user_id": "u1"}, ns(*A1, "user", "u1")),
        (
            AGENT,
            {"scope": Op.USER_WORKSPACE, "user_id": "u1", "workspace": "ws2"},
            ns(*A1, "user-ws", "u1", "ws2"),
        ),
        (
            make_caller("task"),
            {"scope": Op.GLOBAL_EXCLUSIVE},
            ns("own", "task", "ws1", "impl", "t1", "global"),
        ),
        (
            make_caller("service"),
            {"scope": Op.GLOBAL_EXCLUSIVE},
            ns("own", "service", "", "svc", "s1", "global"),
        ),
        (make_caller("service"), {"scope": Op.WORKSPACE, "workspace": "w9"}, ns("ws", "w9")),
    ],
)
def test_scope_maps_to_namespace(
    store: KVStore, caller: Caller, fields: dict[str, Any], namespace: str
) -> None:
    ok(run(store, caller, op=Op.PUT, key="k", value=b"v", **fields))
    assert store.get(namespace, "k") == b"v"
    assert ok(run(store, caller, op=Op.GET, key="k", **fields)).value == b"v"


@pytest.mark.parametrize(
    ("caller", "fields", "needed"),
    [
        (make_caller("service"), {"scope": Op.WORKSPACE}, "a workspace"),
        (make_caller("service"), {"scope": Op.SCOPE_UNSPECIFIED}, "a workspace"),
        (AGENT, {"scope": Op.USER_SHARED}, "a user_id"),
        (AGENT, {"scope": Op.USER_WORKSPACE_SHARED}, "a user_id"),
        (make_caller("service"), {"scope": Op.WORKSPACE_EXCLUSIVE}, "a workspace"),
        (AGENT, {"scope": Op.USER}, "a user_id"),
        (make_caller("workflow_engine"), {"scope": Op.GLOBAL_EXCLUSIVE}, "an implementation"),
        (make_caller("task", unique_specifier=""), {"scope": Op.GLOBAL_EXCLUSIVE}, "specifier"),
        (AGENT, {"scope": 99}, "unknown KV scope 99"),
    ],
)
def test_missing_scope_requirement_is_invalid_argument(
    store: KVStore, caller: Caller, fields: dict[str, Any], needed: str
) -> None:
    frames = run(store, caller, op=Op.PUT, key="k", value=b"v", **fields)
    assert needed in failed(frames, "ERR_INVALID_ARGUMENT")


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("p|q", "r"), ("p", "q|r")),
        (("ws-a", ":coll"), ("ws-a:", "coll")),
        (("a", "b"), ("a,b",)),
        (('a"', "b"), ("a", '"b')),
        (("a\\", "b"), ("a", "\\b")),
        (("x", ""), ("x",)),
    ],
)
def test_namespaces_of_different_parts_never_collide(
    first: tuple[str, ...], second: tuple[str, ...]
) -> None:
    assert ns(*first) != ns(*second)


def test_exclusive_scopes_isolate_agents(store: KVStore) -> None:
    other = make_caller("agent", specifier="a2")
    ok(run(store, op=Op.PUT, scope=Op.GLOBAL_EXCLUSIVE, key="k", value=b"mine"))
    ok(run(store, op=Op.PUT, scope=Op.GLOBAL, key="shared", value=b"all"))
    assert ok(run(store, other, op=Op.GET, scope=Op.GLOBAL_EXCLUSIVE, key="k")).value == b""
    assert list(ok(run(store, other, op=Op.LIST, scope=Op.GLOBAL_EXCLUSIVE)).keys) == []
    assert ok(run(store, other, op=Op.GET, scope=Op.GLOBAL, key="shared")).value == b"all"


def test_get_miss_is_success_with_empty_value(store: KVStore) -> None:
    response = ok(run(store, op=Op.GET, scope=Op.GLOBAL, key="absent"))
    assert response.value == b""


def test_put_ttl_and_delete(store: KVStore, clock: Clock) -> None:
    ok(run(store, op=Op.PUT, scope=Op.GLOBAL, key="k", value=b"v", ttl=2))
    clock.now += 1999
    assert ok(run(store, op=Op.GET, scope=Op.GLOBAL, key="k")).value == b"v"
    clock.now += 1
    assert ok(run(store, op=Op.GET, scope=Op.GLOBAL, key="k")).value == b""
    ok(run(store, op=Op.PUT, scope=Op.GLOBAL, key="k", value=b"v"))
    ok(run(store, op=Op.DELETE, scope=Op.GLOBAL, key="k", request_id="rid-2"), "rid-2")
    assert store.get(ns("global"), "k") is None
    ok(run(store, op=Op.DELETE, scope=Op.GLOBAL, key="k"))  # deleting a missing key is fine


def test_list_defaults_to_100_and_pages_with_cursor(store: KVStore) -> None:
    for i in range(150):
        store.put(ns("ws", "ws1"), f"job/{i:03d}", str(i).encode())
    store.put(ns("ws", "ws1"), "other", b"x")
    first = ok(run(store, op=Op.LIST, scope=Op.WORKSPACE, key="job/"))
    assert len(first.keys) == 100
    assert list(first.keys) == sorted(first.kv_map)
    assert first.kv_map["job/007"] == b"7"
    assert (first.has_more, first.next_cursor) == (True, "job/099")
    rest = ok(run(store, op=Op.LIST, scope=Op.WORKSPACE, key="job/", cursor=first.next_cursor))
    assert list(rest.keys) == [f"job/{i:03d}" for i in range(100, 150)]
    assert (rest.has_more, rest.next_cursor) == (False, "")


def test_list_limit_is_capped(store: KVStore) -> None:
    for i in range(kv_handler.MAX_LIST_LIMIT + 5):
        store.put(ns("global"), f"{i:05d}", b"")
    response = ok(run(store, op=Op.LIST, scope=Op.GLOBAL, limit=5000))
    assert len(response.keys) == kv_handler.MAX_LIST_LIMIT
    assert response.has_more is True


def test_list_page_stops_at_byte_budget(store: KVStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kv_store, "LIST_PAGE_BYTES", 25)
    for key in ["a", "b", "c", "d"]:
        store.put(ns("global"), key, b"0123456789")
    store.put(ns("global"), "e", b"x" * 100)  # larger than the budget on its own
    seen: list[str] = []
    cursor, more = "", True
    while more:
        page = ok(run(store, op=Op.LIST, scope=Op.GLOBAL, cursor=cursor))
        assert 1 <= len(page.keys) <= 2
        seen += page.keys
        cursor, more = page.next_cursor, page.has_more
    assert seen == ["a", "b", "c", "d", "e"]


def test_increment_and_decrement(store: KVStore, clock: Clock) -> None:
    assert ok(run(store, op=Op.INCREMENT, scope=Op.GLOBAL, key="n")).counter_value == 1
    response = ok(run(store, op=Op.INCREMENT, scope=Op.GLOBAL, key="n", delta_value=5, ttl=10))
    assert response.counter_value == 6
    assert ok(run(store, op=Op.DECREMENT, scope=Op.GLOBAL, key="n")).counter_value == 5
    response = ok(run(store, op=Op.DECREMENT, scope=Op.GLOBAL, key="n", delta_value=10))
    assert response.counter_value == -5
    assert ok(run(store, op=Op.GET, scope=Op.GLOBAL, key="n")).value == b"-5"
    clock.now += 10_000
    assert ok(run(store, op=Op.GET, scope=Op.GLOBAL, key="n")).value == b""


@pytest.mark.parametrize("op", [Op.INCREMENT, Op.DECREMENT, Op.INCREMENT_IF, Op.DECREMENT_IF])
def test_negative_delta_is_rejected(store: KVStore, op: int) -> None:
    frames = run(store, op=op, scope=Op.GLOBAL, key="n", delta_value=-1)
    assert "delta_value" in failed(frames, "ERR_INVALID_ARGUMENT")


def test_counter_on_non_integer_value_is_kv_error(store: KVStore) -> None:
    store.put(ns("global"), "n", b"hello")
    frames = run(store, op=Op.INCREMENT, scope=Op.GLOBAL, key="n")
    assert "not an integer" in failed(frames, "KV_ERROR")


def test_increment_if_uses_guard_value_as_ceiling(store: KVStore) -> None:
    def inc() -> tuple[int, bool]:
        r = ok(
            run(store, op=Op.INCREMENT_IF, scope=Op.GLOBAL, key="n", delta_value=2, guard_value=3)
        )
        return r.counter_value, r.applied

    assert inc() == (2, True)
    assert inc() == (2, False)


def test_decrement_if_uses_guard_value_as_floor(store: KVStore) -> None:
    store.put(ns("global"), "n", b"2")

    def dec() -> tuple[int, bool]:
        r = ok(run(store, op=Op.DECREMENT_IF, scope=Op.GLOBAL, key="n", guard_value=1))
        return r.counter_value, r.applied

    assert dec() == (1, True)
    assert dec() == (1, False)


def test_set_nx(store: KVStore) -> None:
    assert ok(run(store, op=Op.SET_NX, scope=Op.GLOBAL, key="k", value=b"a")).applied is True
    assert ok(run(store, op=Op.SET_NX, scope=Op.GLOBAL, key="k", value=b"b")).applied is False
    assert store.get(ns("global"), "k") == b"a"


def test_compare_and_set(store: KVStore) -> None:
    store.put(ns("global"), "k", b"v1")
    miss = ok(
        run(
            store, op=Op.COMPARE_AND_SET, scope=Op.GLOBAL, key="k", expected_value=b"x", value=b"v2"
        )
    )
    assert (miss.applied, miss.value) == (False, b"v1")
    hit = ok(
        run(
            store,
            op=Op.COMPARE_AND_SET,
            scope=Op.GLOBAL,
            key="k",
            expected_value=b"v1",
            value=b"v2",
        )
    )
    assert (hit.applied, hit.value) == (True, b"")
    assert store.get(ns("global"), "k") == b"v2"


def test_compare_and_delete(store: KVStore) -> None:
    store.put(ns("global"), "k", b"v1")
    miss = ok(run(store, op=Op.COMPARE_AND_DELETE, scope=Op.GLOBAL, key="k", expected_value=b"x"))
    assert (miss.applied, miss.value) == (False, b"v1")
    hit = ok(run(store, op=Op.COMPARE_AND_DELETE, scope=Op.GLOBAL, key="k", expected_value=b"v1"))
    assert hit.applied is True
    assert store.get(ns("global"), "k") is None


@pytest.mark.parametrize(
    ("op", "name"),
    [
        (Op.PURGE_IDENTITY, "PURGE_IDENTITY"),
        (Op.SET_ADD, "SET_ADD"),
        (Op.SET_CARD, "SET_CARD"),
        (77, "77"),
    ],
)
def test_unsupported_operations(store: KVStore, op: int, name: str) -> None:
    frames = run(store, op=op, scope=Op.GLOBAL, key="k")
    assert name in failed(frames, "ERR_NOT_IMPLEMENTED")


@pytest.mark.parametrize("op", [Op.GET, Op.PUT, Op.DELETE, Op.INCREMENT, Op.SET_NX])
def test_empty_key_is_rejected(store: KVStore, op: int) -> None:
    assert "empty" in failed(run(store, op=op, scope=Op.GLOBAL), "ERR_INVALID_ARGUMENT")


def test_empty_list_prefix_is_allowed(store: KVStore) -> None:
    store.put(ns("global"), "k", b"v")
    assert list(ok(run(store, op=Op.LIST, scope=Op.GLOBAL)).keys) == ["k"]


def test_key_length_is_counted_in_utf8_bytes(store: KVStore) -> None:
    ok(run(store, op=Op.PUT, scope=Op.GLOBAL, key="k" * 1024, value=b""))
    frames = run(store, op=Op.PUT, scope=Op.GLOBAL, key="é" * 513, value=b"")  # 1026 bytes
    assert "1024 bytes" in failed(frames, "ERR_INVALID_ARGUMENT")
    frames = run(store, op=Op.LIST, scope=Op.GLOBAL, key="p" * 1025)
    failed(frames, "ERR_INVALID_ARGUMENT")


@pytest.mark.parametrize(
    ("fields", "text"), [({"ttl": -1}, "ttl"), ({"op": Op.LIST, "limit": -1}, "limit")]
)
def test_negative_ttl_and_limit_are_rejected(
    store: KVStore, fields: dict[str, Any], text: str
) -> None:
    op = {"op": Op.PUT, "scope": Op.GLOBAL, "key": "k", **fields}
    assert text in failed(run(store, **op), "ERR_INVALID_ARGUMENT")


@pytest.mark.parametrize("op", [Op.PUT, Op.SET_NX, Op.COMPARE_AND_SET])
def test_value_over_quota_answers_with_error_only(store: KVStore, op: int) -> None:
    frames = run(store, op=op, scope=Op.GLOBAL, key="k", value=b"x" * ((1 << 20) + 1))
    assert [f.WhichOneof("payload") for f in frames] == ["error"]
    assert frames[0].error.code == "ERR_QUOTA_001"
    assert frames[0].error.request_id == "rid-1"
    assert store.get(ns("global"), "k") is None


def test_value_quota_is_configurable_and_inclusive(store: KVStore) -> None:
    op = aether_pb2.KVOperation(op=Op.PUT, scope=Op.GLOBAL, key="k", value=b"1234", request_id="r")
    ok(handle_kv(store, AGENT, op, max_value_bytes=4), "r")
    op.value = b"12345"
    assert handle_kv(store, AGENT, op, max_value_bytes=4)[0].error.code == "ERR_QUOTA_001"
    ok(run(store, op=Op.PUT, scope=Op.GLOBAL, key="big", value=b"x" * (1 << 20)))


def test_storage_failure_is_generic_kv_error() -> None:
    db = Database(":memory:")
    store = KVStore(db)
    db.close()
    frames = run(store, op=Op.GET, scope=Op.GLOBAL, key="k")
    assert failed(frames, "KV_ERROR") == "internal error processing KV operation"


def test_request_id_is_echoed_verbatim(store: KVStore) -> None:
    ok(run(store, op=Op.GET, scope=Op.GLOBAL, key="k", request_id="r-ü-42"), "r-ü-42")
    ok(run(store, op=Op.GET, scope=Op.GLOBAL, key="k", request_id=""), "")


def test_snapshot_exclusive(store: KVStore) -> None:
    store.put(ns(*A1, "ws", "ws1"), "w", b"1")
    store.put(ns(*A1, "ws", "ws2"), "elsewhere", b"2")
    store.put(ns(*A1, "global"), "g", b"3")
    store.put(ns("own", "agent", "ws1", "impl", "a2", "global"), "not-mine", b"4")
    store.put(ns("global"), "shared", b"5")
    assert snapshot_exclusive(store, AGENT) == ({"w": b"1"}, {"g": b"3"})
    assert snapshot_exclusive(store, make_caller("workflow_engine")) == ({}, {})
    assert snapshot_exclusive(store, make_caller("user")) == ({}, {})
    store.put(ns("own", "service", "", "svc", "s1", "global"), "s", b"6")
    assert snapshot_exclusive(store, make_caller("service")) == ({}, {"s": b"6"})


def test_snapshot_reads_past_one_page(store: KVStore) -> None:
    for i in range(kv_handler.MAX_LIST_LIMIT + 1):
        store.put(ns(*A1, "global"), f"{i:05d}", b"")
    assert len(snapshot_exclusive(store, AGENT)[1]) == kv_handler.MAX_LIST_LIMIT + 1
