"""Tasks: durable rows with an internal status string, changed only by conditional updates.

Internal statuses are the reference's: pending, assigned, starting, running, completed, failed,
cancelled. A TARGETED task whose agent is offline, a POOL task nobody has claimed and an
`agent_startup` task waiting for an orchestrator are all `pending`; claiming is an UPDATE guarded
on `status = 'pending'`, so two sessions can never both win a task.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field, fields
from typing import Any

from aether_gateway.store.db import Database, now_s
from scitrera_aether_client.proto import aether_pb2

Database.register_schema(
    """
    CREATE TABLE IF NOT EXISTS tasks (
        task_id TEXT PRIMARY KEY,
        task_type TEXT NOT NULL,
        status TEXT NOT NULL,
        workspace TEXT NOT NULL,
        assignment_mode INTEGER NOT NULL,
        target_topic TEXT NOT NULL DEFAULT '',
        assigned_to TEXT NOT NULL DEFAULT '',
        creator TEXT NOT NULL DEFAULT '',
        payload BLOB NOT NULL DEFAULT x'',
        metadata TEXT NOT NULL DEFAULT '{}',
        created_at INTEGER NOT NULL,
        started_at INTEGER NOT NULL DEFAULT 0,
        completed_at INTEGER NOT NULL DEFAULT 0,
        attempt INTEGER NOT NULL DEFAULT 1,
        max_attempts INTEGER NOT NULL DEFAULT 0,
        error TEXT NOT NULL DEFAULT '',
        task_class INTEGER NOT NULL DEFAULT 0,
        idempotency_key TEXT NOT NULL DEFAULT '',
        target_implementation TEXT NOT NULL DEFAULT '',
        specifier TEXT NOT NULL DEFAULT '',
        profile TEXT NOT NULL DEFAULT '',
        launch_params TEXT NOT NULL DEFAULT '{}',
        seq INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX IF NOT EXISTS tasks_by_status ON tasks (status, workspace);
    CREATE UNIQUE INDEX IF NOT EXISTS tasks_idempotency
        ON tasks (workspace, idempotency_key) WHERE idempotency_key != '';
    """
)

PENDING = "pending"
ASSIGNED = "assigned"
STARTING = "starting"
RUNNING = "running"
COMPLETED = "completed"
FAILED = "failed"
CANCELLED = "cancelled"
ACTIVE = frozenset({PENDING, ASSIGNED, STARTING, RUNNING})
TERMINAL = frozenset({COMPLETED, FAILED, CANCELLED})
AGENT_STARTUP = "agent_startup"

_JSON_COLUMNS = frozenset({"metadata", "launch_params"})


@dataclass(slots=True)
class TaskRecord:
    """One task row. Times are unix seconds; 0 means not yet."""

    task_id: str
    task_type: str
    status: str
    workspace: str
    assignment_mode: int  # aether_pb2.TaskAssignmentMode
    target_topic: str = ""  # TARGETED: the target identity
    assigned_to: str = ""  # identity string of the assignee
    creator: str = ""  # the creator's topic (identity string if it has none)
    payload: bytes = b""
    metadata: dict[str, str] = field(default_factory=dict)
    created_at: int = 0
    started_at: int = 0
    completed_at: int = 0
    attempt: int = 1
    max_attempts: int = 0  # 0 = no limit on RETRY
    error: str = ""
    task_class: int = 0  # aether_pb2.TaskClass
    idempotency_key: str = ""
    target_implementation: str = ""
    specifier: str = ""  # agent_startup: the specifier of the agent to launch
    profile: str = ""  # agent_startup: the orchestrator profile that may launch it
    launch_params: dict[str, str] = field(default_factory=dict)


_COLUMNS = tuple(f.name for f in fields(TaskRecord))
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM tasks"


def _record(row: tuple[Any, ...]) -> TaskRecord:
    values = {
        name: json.loads(value) if name in _JSON_COLUMNS else value
        for name, value in zip(_COLUMNS, row, strict=True)
    }
    return TaskRecord(**values)


class TaskStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def insert(self, task: TaskRecord) -> None:
        """Store a new task; `created_at` is stamped now if unset."""
        task.created_at = task.created_at or now_s()
        values = [
            json.dumps(getattr(task, n)) if n in _JSON_COLUMNS else getattr(task, n)
            for n in _COLUMNS
        ]
        with self._db.transaction() as conn:
            # seq orders tasks created within the same second.
            conn.execute(
                f"INSERT INTO tasks ({', '.join(_COLUMNS)}, seq)"
                f" VALUES ({', '.join('?' * len(_COLUMNS))},"
                " (SELECT COALESCE(MAX(seq), 0) + 1 FROM tasks))",
                values,
            )

    def get(self, task_id: str) -> TaskRecord | None:
        row = self._db.conn.execute(f"{_SELECT} WHERE task_id = ?", (task_id,)).fetchone()
        return _record(row) if row else None

    def by_idempotency_key(self, workspace: str, key: str) -> TaskRecord | None:
        row = self._db.conn.execute(
            f"{_SELECT} WHERE workspace = ? AND idempotency_key = ?", (workspace, key)
        ).fetchone()
        return _record(row) if row else None

    def list_tasks(
        self,
        workspace: str,
        statuses: Collection[str] = (),
        task_type: str = "",
        limit: int = 100,
        offset: int = 0,
    ) -> list[TaskRecord]:
        """Tasks of a workspace, newest first; empty `statuses` means any status."""
        sql, args = f"{_SELECT} WHERE workspace = ?", [workspace]
        if statuses:
            sql += f" AND status IN ({', '.join('?' * len(statuses))})"
            args += list(statuses)
        if task_type:
            sql += " AND task_type = ?"
            args.append(task_type)
        rows = self._db.conn.execute(
            f"{sql} ORDER BY seq DESC LIMIT ? OFFSET ?", [*args, limit, offset]
        ).fetchall()
        return [_record(r) for r in rows]

    def pending_targeted(self, identity: str) -> list[TaskRecord]:
        """TARGETED tasks queued for `identity` while it was offline, oldest first."""
        return self._pending(
            "assignment_mode = ? AND target_topic = ? AND task_type != ?",
            (aether_pb2.TARGETED, identity, AGENT_STARTUP),
        )

    def pending_pool(self, workspace: str, implementation: str) -> list[TaskRecord]:
        """Unclaimed POOL tasks for an implementation in a workspace, oldest first."""
        return self._pending(
            "assignment_mode = ? AND workspace = ? AND target_implementation = ?",
            (aether_pb2.POOL, workspace, implementation),
        )

    def pending_startups(self, profiles: Collection[str]) -> list[TaskRecord]:
        """agent_startup tasks no orchestrator has taken, for any of `profiles`, oldest first."""
        return self._pending(
            f"task_type = ? AND profile IN ({', '.join('?' * len(profiles))})",
            (AGENT_STARTUP, *profiles),
        )

    def _pending(self, where: str, args: tuple[object, ...]) -> list[TaskRecord]:
        rows = self._db.conn.execute(
            f"{_SELECT} WHERE status = 'pending' AND {where} ORDER BY seq", args
        ).fetchall()
        return [_record(r) for r in rows]

    def active_startup(self, target_identity: str) -> TaskRecord | None:
        """The unfinished agent_startup task launching `target_identity`, if any."""
        row = self._db.conn.execute(
            f"{_SELECT} WHERE task_type = ? AND target_topic = ?"
            f" AND status IN ({', '.join('?' * len(ACTIVE))}) ORDER BY seq LIMIT 1",
            (AGENT_STARTUP, target_identity, *ACTIVE),
        ).fetchone()
        return _record(row) if row else None

    def active_count(self, assignee: str) -> int:
        """How many unfinished tasks `assignee` holds: the load used to pick pool workers."""
        row = self._db.conn.execute(
            "SELECT COUNT(*) FROM tasks WHERE assigned_to = ?"
            f" AND status IN ({', '.join('?' * len(ACTIVE))})",
            (assignee, *ACTIVE),
        ).fetchone()
        return int(row[0])

    def claim(self, task_id: str, assignee: str) -> TaskRecord | None:
        """Assign a pending task; None if it is no longer pending (someone else won)."""
        with self._db.transaction() as conn:
            cur = conn.execute(
                "UPDATE tasks SET status = 'assigned', assigned_to = ?, started_at = ?"
                " WHERE task_id = ? AND status = 'pending'",
                (assignee, now_s(), task_id),
            )
        return self.get(task_id) if cur.rowcount == 1 else None

    def transition(
        self, task_id: str, expected: Collection[str], status: str, error: str = ""
    ) -> TaskRecord | None:
        """Move a task in one of the `expected` statuses to `status`; None if it was not.

        Terminal statuses stamp completed_at. Going back to pending is a retry: the attempt
        counter goes up and the previous assignee and result are cleared.
        """
        now = now_s()
        if status == PENDING:
            sets = "attempt = attempt + 1, assigned_to = '', started_at = 0, completed_at = 0"
        elif status in TERMINAL:
            sets = f"completed_at = {now}"
        else:
            sets = f"started_at = CASE started_at WHEN 0 THEN {now} ELSE started_at END"
        with self._db.transaction() as conn:
            cur = conn.execute(
                f"UPDATE tasks SET status = ?, error = ?, {sets} WHERE task_id = ?"
                f" AND status IN ({', '.join('?' * len(expected))})",
                (status, error, task_id, *expected),
            )
        return self.get(task_id) if cur.rowcount == 1 else None
