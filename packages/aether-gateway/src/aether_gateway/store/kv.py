"""The key-value store behind KVOperation: byte values under (namespace, key), with lazy TTL expiry.

A row whose `expires_at` (unix ms) has passed is treated as absent by every method and deleted when
a method touches it, so no background sweeper is needed for correctness. Counters are stored as
ASCII decimal bytes, the representation a reader of the value (or another gateway) would expect.
Single-statement methods rely on SQLite's autocommit for atomicity; read-modify-write methods run
in one `Database.transaction()`.

`Operations` runs each served KVOperation op over a KVStore: one function per op, named by its
`store:` entry in schema/operations.yaml, which is all the KV handler dispatches on.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable

from aether_gateway.store.db import Database, now_ms
from scitrera_aether_client.wire import aether_pb2

Database.register_schema(
    """
    CREATE TABLE IF NOT EXISTS kv (
        namespace TEXT NOT NULL,
        key TEXT NOT NULL,
        value BLOB NOT NULL,
        expires_at INTEGER,
        PRIMARY KEY (namespace, key)
    ) WITHOUT ROWID;
    -- Lets LIST purge a namespace's expired rows without scanning the live ones.
    CREATE INDEX IF NOT EXISTS kv_expiry ON kv (namespace, expires_at)
        WHERE expires_at IS NOT NULL;
    """
)

DEFAULT_LIST_LIMIT = 100
MAX_LIST_LIMIT = 1000
# A LIST page stops early past this many key+value bytes: a frame over the client's 4 MiB receive
# limit (gRPC's default) would end its whole stream. The cursor still resumes exactly.
LIST_PAGE_BYTES = 3 << 20

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1
_DECIMAL = re.compile(rb"-?[0-9]+")
_LIVE = "(expires_at IS NULL OR expires_at > :now)"


class KVStore:
    """Durable KV rows in the gateway database. `clock` returns unix ms (tests inject one)."""

    def __init__(self, db: Database, *, clock: Callable[[], int] = now_ms) -> None:
        self._db = db
        self._clock = clock

    def get(self, namespace: str, key: str) -> bytes | None:
        return self._read(self._db.conn, namespace, key, self._clock())

    def put(self, namespace: str, key: str, value: bytes, ttl_s: int = 0) -> None:
        """Store `value`; ttl_s 0 means no expiry (an earlier TTL is cleared, as with SET)."""
        self._db.conn.execute(
            "INSERT INTO kv (namespace, key, value, expires_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (namespace, key) DO UPDATE"
            " SET value = excluded.value, expires_at = excluded.expires_at",
            (namespace, key, value, self._expiry(ttl_s)),
        )

    def delete(self, namespace: str, key: str) -> bool:
        """Remove the key; True if a live value was there."""
        rows = self._db.conn.execute(
            "DELETE FROM kv WHERE namespace = ? AND key = ? RETURNING expires_at",
            (namespace, key),
        ).fetchall()
        return bool(rows) and _alive(rows[0][0], self._clock())

    def list(
        self, namespace: str, prefix: str = "", limit: int = 100, cursor: str = ""
    ) -> tuple[dict[str, bytes], str, bool]:
        """One page of keys starting with `prefix`, in key order, after `cursor` (a key).

        Returns (entries, next_cursor, has_more); next_cursor is the last key of the page when more
        follow, else "".
        """
        if limit < 1:
            raise ValueError("limit must be at least 1")
        now = self._clock()
        # Expired rows are purged first (same `now`), so the page query needs no expiry filter.
        sql = "SELECT key, value FROM kv WHERE namespace = :ns AND key >= :prefix"
        params: dict[str, object] = {"ns": namespace, "prefix": prefix}
        end = _prefix_end(prefix)
        if end is not None:
            sql += " AND key < :end"
            params["end"] = end
        if cursor:
            sql += " AND key > :cursor"
            params["cursor"] = cursor
        sql += " ORDER BY key LIMIT :limit"
        params["limit"] = limit + 1  # one extra row tells whether another page exists
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM kv WHERE namespace = ? AND expires_at <= ?", (namespace, now))
            rows = conn.execute(sql, params).fetchall()
        has_more = len(rows) > limit
        next_cursor = rows[limit - 1][0] if has_more else ""
        return dict(rows[:limit]), next_cursor, has_more

    def increment(self, namespace: str, key: str, delta: int, ttl_s: int = 0) -> int:
        """Add `delta` (may be negative) to the counter, absent counting as 0; return the result.

        ttl_s > 0 (re)sets the expiry; 0 keeps whatever expiry the counter had, like INCRBY.
        Raises ValueError if the stored value is not a decimal integer or the result leaves int64.
        """
        with self._db.transaction() as conn:
            now = self._clock()
            current, expires_at = self._read_counter(conn, namespace, key, now)
            result = _checked(current + delta)
            if ttl_s > 0:
                expires_at = now + ttl_s * 1000
            self._write(conn, namespace, key, str(result).encode(), expires_at)
        return result

    def increment_if(
        self, namespace: str, key: str, delta: int, ceiling: int, ttl_s: int = 0
    ) -> tuple[int, bool]:
        """Add `delta` only if the result stays <= ceiling. Returns (value stored, applied)."""
        return self._conditional_add(namespace, key, delta, ttl_s, lambda n: n <= ceiling)

    def decrement_if(
        self, namespace: str, key: str, delta: int, floor: int, ttl_s: int = 0
    ) -> tuple[int, bool]:
        """Subtract `delta` only if the result stays >= floor. Returns (value stored, applied)."""
        return self._conditional_add(namespace, key, -delta, ttl_s, lambda n: n >= floor)

    def set_nx(self, namespace: str, key: str, value: bytes, ttl_s: int = 0) -> bool:
        """Store `value` only if the key is absent (or expired); True if it was stored."""
        cur = self._db.conn.execute(
            "INSERT INTO kv (namespace, key, value, expires_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (namespace, key) DO UPDATE"
            " SET value = excluded.value, expires_at = excluded.expires_at"
            " WHERE kv.expires_at IS NOT NULL AND kv.expires_at <= ?",
            (namespace, key, value, self._expiry(ttl_s), self._clock()),
        )
        return cur.rowcount > 0

    def compare_and_set(
        self, namespace: str, key: str, expected: bytes, new: bytes, ttl_s: int = 0
    ) -> tuple[bool, bytes | None]:
        """Replace the value only if it equals `expected` (an absent key never matches).

        Returns (applied, value stored afterwards), the latter None when the key is absent.
        """
        with self._db.transaction() as conn:
            current = self._read(conn, namespace, key, self._clock())
            if current != expected:
                return False, current
            self._write(conn, namespace, key, new, self._expiry(ttl_s))
        return True, new

    def compare_and_delete(
        self, namespace: str, key: str, expected: bytes
    ) -> tuple[bool, bytes | None]:
        """Delete only if the value equals `expected`. Returns (applied, value before the call)."""
        with self._db.transaction() as conn:
            current = self._read(conn, namespace, key, self._clock())
            if current != expected:
                return False, current
            conn.execute("DELETE FROM kv WHERE namespace = ? AND key = ?", (namespace, key))
        return True, current

    def footprint(self, namespace: str, overhead: int = 0) -> int:
        """Bytes of the namespace's live keys (UTF-8) and values, plus `overhead` per entry."""
        row = self._db.conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(length(CAST(key AS BLOB)) + length(value)), 0)"
            f" FROM kv WHERE namespace = :ns AND {_LIVE}",
            {"ns": namespace, "now": self._clock()},
        ).fetchone()
        return int(row[1]) + overhead * int(row[0])

    def _conditional_add(
        self, namespace: str, key: str, delta: int, ttl_s: int, allowed: Callable[[int], bool]
    ) -> tuple[int, bool]:
        with self._db.transaction() as conn:
            now = self._clock()
            current, expires_at = self._read_counter(conn, namespace, key, now)
            result = current + delta
            if not allowed(result):
                return current, False
            if ttl_s > 0:
                expires_at = now + ttl_s * 1000
            self._write(conn, namespace, key, str(_checked(result)).encode(), expires_at)
        return result, True

    def _read(self, conn: sqlite3.Connection, namespace: str, key: str, now: int) -> bytes | None:
        row = conn.execute(
            "SELECT value, expires_at FROM kv WHERE namespace = ? AND key = ?", (namespace, key)
        ).fetchone()
        if row is None:
            return None
        if not _alive(row[1], now):
            # The guard keeps a concurrent re-put with a fresh TTL from being deleted.
            conn.execute(
                "DELETE FROM kv WHERE namespace = ? AND key = ? AND expires_at <= ?",
                (namespace, key, now),
            )
            return None
        value: bytes = row[0]
        return value

    def _read_counter(
        self, conn: sqlite3.Connection, namespace: str, key: str, now: int
    ) -> tuple[int, int | None]:
        """The counter's value (0 when absent) and its current expiry."""
        row = conn.execute(
            f"SELECT value, expires_at FROM kv WHERE namespace = :ns AND key = :key AND {_LIVE}",
            {"ns": namespace, "key": key, "now": now},
        ).fetchone()
        if row is None:
            return 0, None
        if _DECIMAL.fullmatch(row[0]) is None:
            raise ValueError(f"value of {key!r} is not an integer")
        return int(row[0]), row[1]

    def _write(
        self,
        conn: sqlite3.Connection,
        namespace: str,
        key: str,
        value: bytes,
        expires_at: int | None,
    ) -> None:
        conn.execute(
            "INSERT OR REPLACE INTO kv (namespace, key, value, expires_at) VALUES (?, ?, ?, ?)",
            (namespace, key, value, expires_at),
        )

    def _expiry(self, ttl_s: int) -> int | None:
        return self._clock() + ttl_s * 1000 if ttl_s > 0 else None


Op = aether_pb2.KVOperation
Response = aether_pb2.KVResponse


class Operations:
    """The served KV operations, each `(store, namespace, op) -> KVResponse`.

    The handler has already checked the caller, the ACL, the key and the value size, and resolved
    `namespace`; it fills in success and request_id. A ValueError becomes a KV_ERROR with its text.
    """

    @staticmethod
    def get(store: KVStore, ns: str, op: Op) -> Response:
        return Response(value=store.get(ns, op.key) or b"")

    @staticmethod
    def put(store: KVStore, ns: str, op: Op) -> Response:
        store.put(ns, op.key, op.value, op.ttl)
        return Response()

    @staticmethod
    def list_page(store: KVStore, ns: str, op: Op) -> Response:
        limit = min(op.limit or DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT)
        page, next_cursor, has_more = store.list(ns, op.key, limit, op.cursor)
        kept = _within_budget(page)
        if len(kept) < len(page):
            next_cursor, has_more = next(reversed(kept)), True
        return Response(keys=list(kept), kv_map=kept, next_cursor=next_cursor, has_more=has_more)

    @staticmethod
    def delete(store: KVStore, ns: str, op: Op) -> Response:
        store.delete(ns, op.key)
        return Response()

    @staticmethod
    def increment(store: KVStore, ns: str, op: Op) -> Response:
        return Response(counter_value=store.increment(ns, op.key, _delta(op), op.ttl))

    @staticmethod
    def decrement(store: KVStore, ns: str, op: Op) -> Response:
        return Response(counter_value=store.increment(ns, op.key, -_delta(op), op.ttl))

    @staticmethod
    def increment_if(store: KVStore, ns: str, op: Op) -> Response:
        value, applied = store.increment_if(ns, op.key, _delta(op), op.guard_value, op.ttl)
        return Response(counter_value=value, applied=applied)

    @staticmethod
    def decrement_if(store: KVStore, ns: str, op: Op) -> Response:
        value, applied = store.decrement_if(ns, op.key, _delta(op), op.guard_value, op.ttl)
        return Response(counter_value=value, applied=applied)

    @staticmethod
    def set_nx(store: KVStore, ns: str, op: Op) -> Response:
        return Response(applied=store.set_nx(ns, op.key, op.value, op.ttl))

    @staticmethod
    def compare_and_set(store: KVStore, ns: str, op: Op) -> Response:
        applied, current = store.compare_and_set(ns, op.key, op.expected_value, op.value, op.ttl)
        # Only a failed comparison reports the stored value, so the caller can retry from it.
        return Response(applied=applied, value=b"" if applied else current or b"")

    @staticmethod
    def compare_and_delete(store: KVStore, ns: str, op: Op) -> Response:
        applied, current = store.compare_and_delete(ns, op.key, op.expected_value)
        return Response(applied=applied, value=b"" if applied else current or b"")


def _delta(op: Op) -> int:
    return op.delta_value or 1  # the wire default 0 means "by one"


def _within_budget(page: dict[str, bytes]) -> dict[str, bytes]:
    """The longest leading run of entries within LIST_PAGE_BYTES (at least one entry)."""
    kept: dict[str, bytes] = {}
    size = 0
    for key, value in page.items():
        size += len(key) + len(value)
        if kept and size > LIST_PAGE_BYTES:
            break
        kept[key] = value
    return kept


def _alive(expires_at: int | None, now: int) -> bool:
    return expires_at is None or expires_at > now


def _checked(value: int) -> int:
    if not _INT64_MIN <= value <= _INT64_MAX:
        raise ValueError("counter overflows int64")
    return value


def _prefix_end(prefix: str) -> str | None:
    """The smallest string greater than every string starting with `prefix` (None: unbounded).

    SQLite compares TEXT as UTF-8 bytes, which orders like code points, so bumping the last code
    point that can still grow gives the exclusive upper bound of the prefix range.
    """
    chars = list(prefix)
    while chars:
        last = ord(chars.pop())
        if last < 0x10FFFF:
            # UTF-8 cannot encode surrogates; the next encodable code point after U+D7FF is U+E000.
            return "".join(chars) + chr(0xE000 if last == 0xD7FF else last + 1)
    return None
