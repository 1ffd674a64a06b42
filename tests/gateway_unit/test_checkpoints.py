"""Checkpoints: the store, and handle_checkpoint's one-response-per-operation contract."""

from __future__ import annotations

from typing import Any

import pytest

from aether_gateway.context import Caller
from aether_gateway.handlers.checkpoints import handle_checkpoint
from aether_gateway.store.checkpoints import CheckpointStore
from aether_gateway.store.db import Database
from scitrera_aether_client._generated.principals import PRINCIPALS
from scitrera_aether_client.proto import aether_pb2

Op = aether_pb2.CheckpointOperation
START_MS = 1_700_000_000_500


class Clock:
    def __init__(self) -> None:
        self.now = START_MS

    def __call__(self) -> int:
        return self.now


def make_caller(kind: str, fields: dict[str, str]) -> Caller:
    principal = PRINCIPALS[kind]
    return Caller(
        session_id="s",
        principal=principal,
        identity=principal.lock_key.format(**fields),
        topic=principal.topic.format(**fields),
        fields=fields,
        workspace=fields.get("workspace", ""),
    )


AGENT = make_caller("agent", {"workspace": "ws", "implementation": "impl", "specifier": "a1"})
# Shares AGENT's identity text as a prefix: LIST must not leak AGENT's keys to it, or back.
LOOKALIKE = make_caller(
    "agent", {"workspace": "ws", "implementation": "impl", "specifier": "a1:default"}
)
USER = make_caller("user", {"user_id": "u1", "window_id": "w1"})


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(clock: Clock) -> CheckpointStore:
    return CheckpointStore(Database(":memory:"), clock=clock)


def run(
    store: CheckpointStore,
    caller: Caller = AGENT,
    *,
    config: dict[str, int] | None = None,
    **op: Any,
) -> Any:
    """The single CheckpointResponse answering `op`, after checking its framing."""
    op.setdefault("request_id", "cp-1")
    frames = handle_checkpoint(
        store, caller, aether_pb2.CheckpointOperation(**op), **(config or {})
    )
    assert len(frames) == 1
    assert frames[0].WhichOneof("payload") == "checkpoint"
    assert frames[0].checkpoint.request_id == op["request_id"]
    return frames[0].checkpoint


def test_store_save_load_delete_keys(store: CheckpointStore) -> None:
    assert store.save("id", "b", b"2") == START_MS // 1000
    store.save("id", "a", b"1")
    store.save("other", "c", b"3")
    assert store.load("id", "a") == (b"1", START_MS // 1000)
    assert store.keys("id") == ["a", "b"]
    assert store.delete("id", "a") is True
    assert store.delete("id", "a") is False
    assert store.load("id", "a") is None


def test_store_ttl_is_lazy(store: CheckpointStore, clock: Clock) -> None:
    store.save("id", "k", b"v", ttl_s=5)
    store.save("id", "forever", b"v")
    clock.now += 5000
    assert store.load("id", "k") is None
    assert store.keys("id") == ["forever"]
    store.save("id", "k2", b"v", ttl_s=1)
    clock.now += 1000
    assert store.delete("id", "k2") is False


def test_save_then_load_round_trip(store: CheckpointStore, clock: Clock) -> None:
    saved = run(store, op=Op.SAVE, key="state", data=b"\x00\x01payload")
    assert saved.success is True
    assert saved.saved_at == START_MS // 1000
    assert saved.error == ""
    clock.now += 60_000
    loaded = run(store, op=Op.LOAD, key="state", request_id="cp-2")
    assert (loaded.success, loaded.data, loaded.saved_at) == (
        True,
        b"\x00\x01payload",
        saved.saved_at,
    )


def test_empty_key_means_default(store: CheckpointStore) -> None:
    run(store, op=Op.SAVE, data=b"d")
    assert run(store, op=Op.LOAD, key="default").data == b"d"
    assert list(run(store, op=Op.LIST).keys) == ["default"]
    run(store, op=Op.DELETE)
    assert run(store, op=Op.LOAD).data == b""


def test_load_miss_is_success_with_nothing(store: CheckpointStore) -> None:
    response = run(store, op=Op.LOAD, key="absent")
    assert (response.success, response.data, response.saved_at, response.error) == (
        True,
        b"",
        0,
        "",
    )


def test_delete_missing_is_success(store: CheckpointStore) -> None:
    assert run(store, op=Op.DELETE, key="absent").success is True


def test_namespaces_are_per_identity(store: CheckpointStore) -> None:
    run(store, AGENT, op=Op.SAVE, key="k", data=b"agent")
    run(store, USER, op=Op.SAVE, key="k", data=b"user")
    run(store, LOOKALIKE, op=Op.SAVE, key="x", data=b"lookalike")
    assert run(store, AGENT, op=Op.LOAD, key="k").data == b"agent"
    assert run(store, USER, op=Op.LOAD, key="k").data == b"user"
    assert run(store, LOOKALIKE, op=Op.LOAD, key="k").data == b""
    assert list(run(store, AGENT, op=Op.LIST).keys) == ["k"]
    assert list(run(store, LOOKALIKE, op=Op.LIST).keys) == ["x"]


def test_list_is_sorted_and_empty_for_new_identity(store: CheckpointStore) -> None:
    for key in ["c", "a", "b"]:
        run(store, op=Op.SAVE, key=key, data=b"")
    assert list(run(store, op=Op.LIST).keys) == ["a", "b", "c"]
    response = run(store, USER, op=Op.LIST)
    assert (response.success, list(response.keys)) == (True, [])


def test_ttl_zero_never_expires(store: CheckpointStore, clock: Clock) -> None:
    run(store, op=Op.SAVE, key="k", data=b"v", ttl=0)
    clock.now += 10**12
    assert run(store, op=Op.LOAD, key="k").data == b"v"


def test_positive_ttl_expires(store: CheckpointStore, clock: Clock) -> None:
    run(store, op=Op.SAVE, key="k", data=b"v", ttl=3)
    clock.now += 2999
    assert run(store, op=Op.LOAD, key="k").data == b"v"
    clock.now += 1
    assert run(store, op=Op.LOAD, key="k").data == b""


def test_ttl_minus_one_uses_configured_default(store: CheckpointStore, clock: Clock) -> None:
    run(store, op=Op.SAVE, key="d", data=b"v", ttl=-1, config={"default_ttl_s": 10})
    run(store, op=Op.SAVE, key="never", data=b"v", ttl=-1)  # unset default: never expires
    clock.now += 10_000
    assert run(store, op=Op.LOAD, key="d").data == b""
    assert run(store, op=Op.LOAD, key="never").data == b"v"


def test_ttl_below_minus_one_is_an_error(store: CheckpointStore) -> None:
    response = run(store, op=Op.SAVE, key="k", data=b"v", ttl=-2)
    assert response.success is False
    assert "ttl" in response.error


def test_data_over_cap_is_refused_in_error_field(store: CheckpointStore) -> None:
    response = run(store, op=Op.SAVE, key="k", data=b"x" * ((8 << 20) + 1))
    assert response.success is False
    assert "exceeds" in response.error
    assert run(store, op=Op.LOAD, key="k").data == b""
    small = run(store, op=Op.SAVE, key="k", data=b"12345", config={"max_data_bytes": 4})
    assert small.success is False


def test_unknown_operation_fails_in_error_field(store: CheckpointStore) -> None:
    response = run(store, op=9, key="k")
    assert response.success is False
    assert "unsupported" in response.error


def test_storage_failure_still_answers_once() -> None:
    db = Database(":memory:")
    store = CheckpointStore(db)
    db.close()
    response = run(store, op=Op.LOAD, key="k")
    assert response.success is False
    assert response.error == "internal error processing checkpoint operation"
