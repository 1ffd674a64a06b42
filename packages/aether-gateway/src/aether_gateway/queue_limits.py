"""Bounds on the durable queues (docs/gateway.md "Limits").

A message to an identity topic is stored before it is delivered (hub.py), so whoever can send can
make the gateway write to disk. Three rules keep that bounded:

* Only targets that can exist are queued for: a live identity; outside dev mode, an identity that
  connected within the queue TTL, one that a live API key or task token could connect as, an
  agent or task whose implementation is registered (an orchestrator can start it), and the
  fan-in receivers (workflow engine, metrics bridge). Anything else offline is refused with
  ERR_TARGET_UNKNOWN. In dev mode anyone may connect as anything, so
  every identity can exist and only the caps below apply.
* Caps per offline identity topic (messages and bytes) and over all topics (bytes): a send past
  one is refused with ERR_QUEUE_FULL (retryable) and nothing is stored. A live target is not
  capped: its frames are stored only until delivered, and a session too far behind is ended.
* Stored frames older than the TTL are deleted undelivered by a periodic sweep.

Usage per topic is tracked as an over-estimate: each accepted offline send adds to it,
deliveries and expiry are not subtracted, and a live send drops the estimate (recounted when
next needed). Only when the estimate reaches a cap is the exact figure read from the database
(at most once a second per topic), so the hot path costs no query and a refusal is exact.
Expiry needs no column in the queue: the sweep records the highest sequence number handed out so
far with the time, and a later sweep deletes every row at or below the newest mark older than TTL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Mapping
from dataclasses import dataclass

from aether_gateway.config import GatewayConfig
from aether_gateway.context import Caller
from aether_gateway.hub import Hub
from aether_gateway.identity import TopicOwner, topic_owners
from aether_gateway.store.agents import AgentStore
from aether_gateway.store.db import Database, now_ms
from aether_gateway.store.tokens import TokenStore, bind_check
from scitrera_aether_client.wire import PrincipalSpec, aether_pb2

log = logging.getLogger("aether_gateway")

Database.register_schema(
    """
    -- Identities that connected (not pooled tasks): offline targets that can come back.
    CREATE TABLE IF NOT EXISTS known_identities (
        topic TEXT PRIMARY KEY,
        seen_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    -- (time, highest queue sequence at that time): rows at or below `seq` are older than `at_ms`.
    CREATE TABLE IF NOT EXISTS queue_age_marks (
        at_ms INTEGER PRIMARY KEY,
        seq INTEGER NOT NULL
    );
    """
)

ERR_QUEUE_FULL = "ERR_QUEUE_FULL"
ERR_TARGET_UNKNOWN = "ERR_TARGET_UNKNOWN"
RECHECK_S = 1.0  # a topic found full is refused without a new count for this long
MAX_TRACKED = 100_000  # usage estimates kept in memory; past it they are re-read lazily
KEY_CACHE_S = 5.0  # how long "a key could admit this identity" is remembered, either way
MAX_KEYS_SCANNED = 20_000
_SPECIFIERS = ("specifier", "unique_specifier")  # the identity part a key's specifier: scope names


@dataclass
class Usage:
    messages: int
    size: int
    checked_at: float  # monotonic time of the last exact count


class QueueLimits:
    def __init__(
        self,
        config: GatewayConfig,
        db: Database,
        hub: Hub,
        agents: AgentStore,
        tokens: TokenStore,
        table: Mapping[str, PrincipalSpec],
    ) -> None:
        self.config = config
        self.db = db
        self.hub = hub
        self.agents = agents
        self.tokens = tokens
        # Topics without placeholders are the fan-in receivers (event::receiver0, ...).
        self.fixed = {s.topic for s in table.values() if s.topic and "{" not in s.topic}
        self.owners = topic_owners(table)  # which key type could connect as an identity topic
        self.usage: dict[str, Usage] = {}
        self._admissible: dict[str, tuple[bool, float]] = {}  # topic -> (a key admits it, until)
        self.total: Usage | None = None

    # ------------------------------------------------------------------ the check (router)

    def refusal(self, target: str, size: int) -> aether_pb2.DownstreamMessage | None:
        """An ErrorResponse when a frame of `size` bytes may not be queued for `target`."""
        if not self.hub.is_durable(target):
            return None
        total = self._total()
        if self.hub.subscribers.get(target):
            # Live: stored only until it settles; what a session leaves behind is recounted
            # exactly at the next offline send. The total keeps growing: an over-estimate.
            self.usage.pop(target, None)
            total.messages += 1
            total.size += size
            return None
        if not self._may_exist(target):
            return _error(
                ERR_TARGET_UNKNOWN,
                f"{target} is offline and unknown here: it never connected and no orchestrator "
                "can start it, so the message was not stored",
            )
        usage = self._usage(target)
        cfg = self.config
        if usage.messages + 1 > cfg.queue_max_messages or usage.size + size > cfg.queue_max_bytes:
            usage = self._recount(target, usage)
            if (
                usage.messages + 1 > cfg.queue_max_messages
                or usage.size + size > cfg.queue_max_bytes
            ):
                return _full(
                    f"the queue of {target} is full ({usage.messages} messages, {usage.size} "
                    f"bytes; limits {cfg.queue_max_messages} and {cfg.queue_max_bytes})"
                )
        if total.size + size > cfg.queue_max_total_bytes:
            total = self._recount_total(total)
            if total.size + size > cfg.queue_max_total_bytes:
                return _full(
                    f"the gateway's queues hold {total.size} bytes "
                    f"(limit {cfg.queue_max_total_bytes})"
                )
        usage.messages += 1
        usage.size += size
        total.messages += 1
        total.size += size
        return None

    def _may_exist(self, target: str) -> bool:
        if self.config.dev_mode or target in self.fixed:
            return True
        conn = self.db.conn
        if conn.execute("SELECT 1 FROM known_identities WHERE topic = ?", (target,)).fetchone():
            return True
        parts = target.split("::")
        if len(parts) == 4 and parts[0] in ("ag", "tu") and self.agents.get(parts[2]) is not None:
            return True
        cached = self._admissible.get(target)
        now = time.monotonic()
        if cached is None or cached[1] < now:
            if len(self._admissible) >= MAX_TRACKED:
                self._admissible.clear()
            cached = self._admissible[target] = (self._key_admits(parts), now + KEY_CACHE_S)
        return cached[0]

    def _key_admits(self, parts: list[str]) -> bool:
        """Whether a live API key or task token could connect as the identity of this topic."""
        claim = _claim(self.owners, parts)
        if claim is None:
            return False
        type_name, workspace, user_id, implementation, specifier = claim
        identity = "::".join(parts)
        now = int(time.time())
        offset = 0
        while offset < MAX_KEYS_SCANNED:
            records, total = self.tokens.list_tokens(500, offset)
            for record in records:
                if record.expires_at and record.expires_at <= now:
                    continue
                if record.is_task_token:
                    if record.name == f"task:{identity}":
                        return True
                    continue
                problem = bind_check(
                    record,
                    type_name,
                    workspace,
                    user_id,
                    implementation=implementation,
                    specifier=specifier,
                )
                if problem is None:
                    return True
            offset += len(records)
            if not records or offset >= total:
                break
        return False

    def _usage(self, topic: str) -> Usage:
        usage = self.usage.get(topic)
        if usage is None:
            if len(self.usage) >= MAX_TRACKED:
                self.usage.clear()
            usage = self.usage[topic] = self._recount(topic, None)
        return usage

    def _recount(self, topic: str, usage: Usage | None) -> Usage:
        now = time.monotonic()
        if usage is not None and now - usage.checked_at < RECHECK_S:
            return usage
        self.hub.commit.flush()  # rows of this tick count too
        row = self.db.conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(length(frame)), 0) FROM message_queue WHERE topic = ?",
            (topic,),
        ).fetchone()
        fresh = Usage(int(row[0]), int(row[1]), now)
        self.usage[topic] = fresh
        return fresh

    def _total(self) -> Usage:
        if self.total is None:
            self.total = self._recount_total(None)
        return self.total

    def _recount_total(self, usage: Usage | None) -> Usage:
        now = time.monotonic()
        if usage is not None and now - usage.checked_at < RECHECK_S:
            return usage
        self.hub.commit.flush()
        row = self.db.conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(length(frame)), 0) FROM message_queue"
        ).fetchone()
        self.total = Usage(int(row[0]), int(row[1]), now)
        return self.total

    # ------------------------------------------------------------------ identities seen

    def seen(self, caller: Caller) -> None:
        """Remember an identity topic that connected (pooled task topics never come back)."""
        if not caller.topic or "task_id" in caller.fields:
            return
        with contextlib.suppress(sqlite3.Error):  # also called while the gateway stops
            self.db.conn.execute(
                "INSERT INTO known_identities (topic, seen_at) VALUES (?, ?)"
                " ON CONFLICT (topic) DO UPDATE SET seen_at = excluded.seen_at",
                (caller.topic, now_ms()),
            )

    # ------------------------------------------------------------------ expiry

    def sweep(self) -> int:
        """Delete frames older than the TTL (and identities not seen within it); rows deleted."""
        now = now_ms()
        cutoff = now - int(self.config.queue_ttl_s * 1000)
        self.hub.commit.flush()
        with self.db.transaction() as conn:
            high = conn.execute(
                "SELECT seq FROM sqlite_sequence WHERE name = 'message_queue'"
            ).fetchone()
            conn.execute(
                "INSERT OR REPLACE INTO queue_age_marks (at_ms, seq) VALUES (?, ?)",
                (now, int(high[0]) if high else 0),
            )
            mark = conn.execute(
                "SELECT seq FROM queue_age_marks WHERE at_ms <= ? ORDER BY at_ms DESC LIMIT 1",
                (cutoff,),
            ).fetchone()
            deleted = 0
            if mark is not None:
                deleted = conn.execute(
                    "DELETE FROM message_queue WHERE seq <= ?", (mark[0],)
                ).rowcount
                conn.execute("DELETE FROM queue_age_marks WHERE at_ms < ?", (cutoff,))
            conn.execute("DELETE FROM known_identities WHERE seen_at < ?", (cutoff,))
        if deleted:
            log.info(
                "queue expiry: %d frames older than %gs deleted", deleted, self.config.queue_ttl_s
            )
            self.usage.clear()  # estimates are re-read from what is left
            self.total = None
        return deleted

    def sweep_interval_s(self) -> float:
        return min(60.0, max(0.1, self.config.queue_ttl_s / 4))

    async def sweep_forever(self) -> None:
        while True:
            try:
                self.sweep()
            except sqlite3.Error:
                log.warning("queue expiry sweep failed; retrying at the next interval")
            await asyncio.sleep(self.sweep_interval_s())


def _claim(
    owners: Mapping[str, TopicOwner], parts: list[str]
) -> tuple[str, str, str, str | None, str | None] | None:
    """(key type, workspace, user_id, implementation, specifier) of an identity topic: its owner
    in the principal table (identity.topic_owners) says which type and which part is which."""
    owner = owners.get(parts[0])
    fields = owner.claim(parts) if owner is not None else None
    if owner is None or fields is None:
        return None
    specifier = next((fields[f] for f in _SPECIFIERS if f in fields), None)
    return (
        owner.principal.type_name,
        fields.get("workspace", ""),
        fields.get("user_id", ""),
        fields.get("implementation"),
        specifier,
    )


def _error(code: str, message: str, retryable: bool = False) -> aether_pb2.DownstreamMessage:
    return aether_pb2.DownstreamMessage(
        error=aether_pb2.ErrorResponse(code=code, message=message, retryable=retryable)
    )


def _full(message: str) -> aether_pb2.DownstreamMessage:
    out = _error(ERR_QUEUE_FULL, message + ": the message was not stored", retryable=True)
    out.error.retry_after_ms = int(RECHECK_S * 1000)
    return out
