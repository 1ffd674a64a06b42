"""KVStore against real SQLite: values, lazy TTL expiry, pagination, counters, conditional ops."""

from __future__ import annotations

from pathlib import Path

import pytest

from aether_gateway.store.db import Database
from aether_gateway.store.kv import KVStore, _prefix_end

NS = "kv:global"


class Clock:
    """A settable unix-ms clock, so TTL tests never sleep."""

    def __init__(self) -> None:
        self.now = 1_700_000_000_000

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += int(seconds * 1000)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def db() -> Database:
    return Database(":memory:")


@pytest.fixture
def store(db: Database, clock: Clock) -> KVStore:
    return KVStore(db, clock=clock)


def _rows(db: Database) -> int:
    count: int = db.conn.execute("SELECT COUNT(*) FROM kv").fetchone()[0]
    return count


def test_put_get_overwrite_delete(store: KVStore) -> None:
    assert store.get(NS, "k") is None
    store.put(NS, "k", b"one")
    store.put(NS, "k", b"two")
    assert store.get(NS, "k") == b"two"
    assert store.delete(NS, "k") is True
    assert store.delete(NS, "k") is False
    assert store.get(NS, "k") is None


def test_binary_values_round_trip(store: KVStore) -> None:
    value = bytes(range(256)) * 4
    store.put(NS, "bin", value)
    assert store.get(NS, "bin") == value


def test_namespaces_do_not_share_keys(store: KVStore) -> None:
    store.put("kv:agent:a|1:global", "k", b"a1")
    store.put("kv:agent:a|2:global", "k", b"a2")
    assert store.get("kv:agent:a|1:global", "k") == b"a1"
    assert store.get("kv:agent:a|2:global", "k") == b"a2"
    assert store.list("kv:agent:a|1:global")[0] == {"k": b"a1"}


def test_ttl_expires_lazily_and_row_is_removed_when_touched(
    store: KVStore, db: Database, clock: Clock
) -> None:
    store.put(NS, "k", b"v", ttl_s=10)
    clock.advance(9.999)
    assert store.get(NS, "k") == b"v"
    clock.advance(0.001)
    assert _rows(db) == 1
    assert store.get(NS, "k") is None
    assert _rows(db) == 0


def test_put_without_ttl_clears_an_earlier_ttl(store: KVStore, clock: Clock) -> None:
    store.put(NS, "k", b"v", ttl_s=1)
    store.put(NS, "k", b"w")
    clock.advance(3600)
    assert store.get(NS, "k") == b"w"


def test_delete_of_expired_key_reports_absent(store: KVStore, clock: Clock) -> None:
    store.put(NS, "k", b"v", ttl_s=1)
    clock.advance(2)
    assert store.delete(NS, "k") is False


def test_list_orders_filters_prefix_and_pages(store: KVStore) -> None:
    for key in ["b/2", "a/1", "b/1", "b/3", "c", "b"]:
        store.put(NS, key, key.encode())
    page, cursor, more = store.list(NS, prefix="b/", limit=2)
    assert list(page) == ["b/1", "b/2"]
    assert (cursor, more) == ("b/2", True)
    page, cursor, more = store.list(NS, prefix="b/", limit=2, cursor=cursor)
    assert page == {"b/3": b"b/3"}
    assert (cursor, more) == ("", False)
    everything, _, more = store.list(NS, limit=100)
    assert list(everything) == ["a/1", "b", "b/1", "b/2", "b/3", "c"]
    assert more is False


def test_list_exact_page_has_no_more(store: KVStore) -> None:
    store.put(NS, "x", b"1")
    store.put(NS, "y", b"2")
    assert store.list(NS, limit=2) == ({"x": b"1", "y": b"2"}, "", False)


def test_list_skips_and_purges_expired(store: KVStore, db: Database, clock: Clock) -> None:
    store.put(NS, "live", b"1")
    store.put(NS, "short", b"2", ttl_s=1)
    store.put("other", "short", b"3", ttl_s=1)
    clock.advance(5)
    assert store.list(NS)[0] == {"live": b"1"}
    assert _rows(db) == 2  # only NS was touched


def test_list_prefix_boundaries_with_unusual_code_points(store: KVStore) -> None:
    keys = ["a", "a\U0010ffff", "a\U0010ffff\U0010ffff", "b", "\ud7ffz", "\ue000"]
    for key in keys:
        store.put(NS, key, b"")
    assert list(store.list(NS, prefix="a")[0]) == keys[:3]
    assert list(store.list(NS, prefix="a\U0010ffff")[0]) == keys[1:3]
    assert list(store.list(NS, prefix="\ud7ff")[0]) == ["\ud7ffz"]


def test_prefix_end() -> None:
    assert _prefix_end("") is None
    assert _prefix_end("ab") == "ac"
    assert _prefix_end("a\U0010ffff") == "b"
    assert _prefix_end("\U0010ffff") is None
    assert _prefix_end("\ud7ff") == "\ue000"


def test_list_rejects_non_positive_limit(store: KVStore) -> None:
    with pytest.raises(ValueError, match="limit"):
        store.list(NS, limit=0)


def test_increment_creates_adds_and_stores_ascii(store: KVStore, db: Database) -> None:
    assert store.increment(NS, "n", 5) == 5
    assert store.increment(NS, "n", -7) == -2
    assert store.get(NS, "n") == b"-2"
    store.put(NS, "m", b"41")
    assert store.increment(NS, "m", 1) == 42


def test_increment_ttl_sets_on_positive_and_keeps_on_zero(store: KVStore, clock: Clock) -> None:
    store.increment(NS, "n", 1, ttl_s=10)
    clock.advance(5)
    store.increment(NS, "n", 1)  # keeps the 10 s expiry
    clock.advance(5)
    assert store.get(NS, "n") is None
    assert store.increment(NS, "n", 1) == 1  # expired counts as absent
    store.increment(NS, "n", 1, ttl_s=10)
    clock.advance(9)
    store.increment(NS, "n", 1, ttl_s=10)  # refreshed
    clock.advance(9)
    assert store.get(NS, "n") == b"3"


@pytest.mark.parametrize("stored", [b"abc", b"", b" 1", b"1.5", b"1_000", b"+1"])
def test_increment_of_non_integer_raises(store: KVStore, stored: bytes) -> None:
    store.put(NS, "n", stored)
    with pytest.raises(ValueError, match="not an integer"):
        store.increment(NS, "n", 1)
    assert store.get(NS, "n") == stored


def test_increment_overflow_raises_and_keeps_value(store: KVStore) -> None:
    store.put(NS, "n", str(2**63 - 1).encode())
    with pytest.raises(ValueError, match="int64"):
        store.increment(NS, "n", 1)
    assert store.get(NS, "n") == str(2**63 - 1).encode()


def test_increment_if_respects_ceiling(store: KVStore) -> None:
    assert store.increment_if(NS, "n", 2, ceiling=3) == (2, True)
    assert store.increment_if(NS, "n", 2, ceiling=3) == (2, False)
    assert store.increment_if(NS, "n", 1, ceiling=3) == (3, True)
    assert store.get(NS, "n") == b"3"


def test_increment_if_refused_on_absent_key_creates_nothing(store: KVStore) -> None:
    assert store.increment_if(NS, "n", 5, ceiling=4) == (0, False)
    assert store.get(NS, "n") is None


def test_decrement_if_respects_floor(store: KVStore) -> None:
    store.put(NS, "n", b"3")
    assert store.decrement_if(NS, "n", 2, floor=0) == (1, True)
    assert store.decrement_if(NS, "n", 2, floor=0) == (1, False)
    assert store.decrement_if(NS, "n", 1, floor=0) == (0, True)


def test_conditional_add_applies_ttl_only_when_applied(store: KVStore, clock: Clock) -> None:
    store.increment_if(NS, "n", 1, ceiling=10, ttl_s=5)
    clock.advance(6)
    assert store.get(NS, "n") is None


def test_set_nx(store: KVStore, clock: Clock) -> None:
    assert store.set_nx(NS, "k", b"first") is True
    assert store.set_nx(NS, "k", b"second") is False
    assert store.get(NS, "k") == b"first"
    store.put(NS, "t", b"old", ttl_s=1)
    assert store.set_nx(NS, "t", b"new") is False
    clock.advance(2)
    assert store.set_nx(NS, "t", b"new", ttl_s=60) is True
    clock.advance(30)
    assert store.get(NS, "t") == b"new"


def test_compare_and_set(store: KVStore) -> None:
    assert store.compare_and_set(NS, "k", b"", b"x") == (False, None)  # absent never matches
    store.put(NS, "k", b"v1")
    assert store.compare_and_set(NS, "k", b"nope", b"v2") == (False, b"v1")
    assert store.compare_and_set(NS, "k", b"v1", b"v2") == (True, b"v2")
    assert store.get(NS, "k") == b"v2"


def test_compare_and_set_on_expired_key_sees_absent(store: KVStore, clock: Clock) -> None:
    store.put(NS, "k", b"v", ttl_s=1)
    clock.advance(2)
    assert store.compare_and_set(NS, "k", b"v", b"w") == (False, None)


def test_compare_and_delete(store: KVStore) -> None:
    store.put(NS, "k", b"v")
    assert store.compare_and_delete(NS, "k", b"x") == (False, b"v")
    assert store.compare_and_delete(NS, "k", b"v") == (True, b"v")
    assert store.get(NS, "k") is None
    assert store.compare_and_delete(NS, "k", b"v") == (False, None)


def test_failed_transaction_rolls_back(store: KVStore, db: Database) -> None:
    store.put(NS, "n", b"x")
    with pytest.raises(ValueError):
        store.increment(NS, "n", 1)
    assert db.conn.in_transaction is False
    store.put(NS, "n", b"1")  # the connection is usable again
    assert store.increment(NS, "n", 1) == 2


def test_file_database_reopens_with_data(tmp_path: Path) -> None:
    path = tmp_path / "gw.db"
    first = Database(path)
    KVStore(first).put(NS, "k", b"persisted")
    first.close()
    assert KVStore(Database(path)).get(NS, "k") == b"persisted"
