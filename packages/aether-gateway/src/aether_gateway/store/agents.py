"""The agent registry (durable) and the live orchestrators (in memory).

A registered implementation is what TARGETED tasks may name and what orchestrators can launch:
its `orchestrator_profile` (or a `profile` launch param) picks the orchestrator. Each record is
stored as its serialized wire message, `AgentRegistrationInfo`, so every field round-trips.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aether_gateway.store.db import Database, now_s
from scitrera_aether_client.wire import aether_pb2

Database.register_schema(
    """
    CREATE TABLE IF NOT EXISTS agent_registry (
        implementation TEXT PRIMARY KEY,
        orchestrator_profile TEXT NOT NULL DEFAULT '',
        info BLOB NOT NULL
    );
    """
)


def _info(blob: bytes) -> aether_pb2.AgentRegistrationInfo:
    return aether_pb2.AgentRegistrationInfo.FromString(blob)


@dataclass(frozen=True, slots=True)
class OrchestratorEntry:
    session_id: str
    orchestrator_id: str  # its identity string, "orc::{impl}::{spec}"
    profiles: tuple[str, ...]
    connected_at: int  # unix seconds


class OrchestratorRegistry:
    """Profiles of the orchestrators connected to this gateway.

    Keyed by session so that a resumed orchestrator's new session is not removed when its old
    session ends.
    """

    def __init__(self) -> None:
        self._entries: dict[str, OrchestratorEntry] = {}

    def add(
        self, session_id: str, orchestrator_id: str, profiles: Sequence[str], connected_at: int
    ) -> None:
        self._entries[session_id] = OrchestratorEntry(
            session_id, orchestrator_id, tuple(profiles), connected_at
        )

    def remove(self, session_id: str) -> None:
        self._entries.pop(session_id, None)

    def get(self, session_id: str) -> OrchestratorEntry | None:
        return self._entries.get(session_id)

    def list_entries(self) -> list[OrchestratorEntry]:
        return list(self._entries.values())


class AgentStore:
    """Registered implementations, plus the live orchestrators that can launch them."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.orchestrators = OrchestratorRegistry()

    def register(self, info: aether_pb2.AgentRegistrationInfo) -> aether_pb2.AgentRegistrationInfo:
        """Insert or replace; re-registering keeps the original registered_at."""
        record = aether_pb2.AgentRegistrationInfo()
        record.CopyFrom(info)
        existing = self.get(info.implementation)
        now = now_s()
        record.registered_at = existing.registered_at if existing else now
        record.updated_at = now
        self._write(record)
        return record

    def update(
        self, info: aether_pb2.AgentRegistrationInfo
    ) -> aether_pb2.AgentRegistrationInfo | None:
        """Replace an existing registration; None if the implementation is not registered."""
        if self.get(info.implementation) is None:
            return None
        return self.register(info)

    def get(self, implementation: str) -> aether_pb2.AgentRegistrationInfo | None:
        row = self._db.conn.execute(
            "SELECT info FROM agent_registry WHERE implementation = ?", (implementation,)
        ).fetchone()
        return _info(row[0]) if row else None

    def list_agents(
        self, orchestrator_profile: str = "", limit: int = 100, offset: int = 0
    ) -> tuple[list[aether_pb2.AgentRegistrationInfo], int]:
        """One page in implementation order, and how many match in total."""
        where, args = (
            (" WHERE orchestrator_profile = ?", [orchestrator_profile])
            if orchestrator_profile
            else ("", [])
        )
        total = self._db.conn.execute(
            f"SELECT COUNT(*) FROM agent_registry{where}", args
        ).fetchone()
        rows = self._db.conn.execute(
            f"SELECT info FROM agent_registry{where} ORDER BY implementation LIMIT ? OFFSET ?",
            [*args, limit, offset],
        ).fetchall()
        return [_info(r[0]) for r in rows], int(total[0])

    def delete(self, implementation: str) -> bool:
        with self._db.transaction() as conn:
            cur = conn.execute(
                "DELETE FROM agent_registry WHERE implementation = ?", (implementation,)
            )
            return cur.rowcount == 1

    def _write(self, record: aether_pb2.AgentRegistrationInfo) -> None:
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO agent_registry (implementation, orchestrator_profile, info)"
                " VALUES (?, ?, ?) ON CONFLICT (implementation) DO UPDATE SET"
                " orchestrator_profile = excluded.orchestrator_profile, info = excluded.info",
                (record.implementation, record.orchestrator_profile, record.SerializeToString()),
            )
