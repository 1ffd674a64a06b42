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
from typing import Any, cast

from aether_gateway.store.db import Database, now_s
from scitrera_aether_client.wire import aether_pb2

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
    CREATE INDEX IF NOT EXISTS tasks_by_workspace ON tasks (workspace, seq);
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
WIRE_STATUS = {
    PENDING: aether_pb2.TASK_STATUS_QUEUED,
    ASSIGNED: aether_pb2.TASK_STATUS_QUEUED,
    STARTING: aether_pb2.TASK_STATUS_QUEUED,
    RUNNING: aether_pb2.TASK_STATUS_RUNNING,
    COMPLETED: aether_pb2.TASK_STATUS_COMPLETED,
    FAILED: aether_pb2.TASK_STATUS_FAILED,
    CANCELLED: aether_pb2.TASK_STATUS_CANCELLED,
}

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

    def to_info(self) -> aether_pb2.TaskInfo:
        return aether_pb2.TaskInfo(
            task_id=self.task_id,
            task_type=self.task_type,
            status=WIRE_STATUS.get(self.status, aether_pb2.TASK_STATUS_UNSPECIFIED),
            workspace=self.workspace,
            target_topic=self.target_topic,
            assigned_to=self.assigned_to,
            created_at=self.created_at,
            started_at=self.started_at,
            completed_at=self.completed_at,
            attempt=self.attempt,
            max_attempts=self.max_attempts,
            error=self.error,
            metadata=self.metadata,
            creator_actor_id=self.creator,
            task_class=cast(aether_pb2.TaskClass, self.task_class),
        )

    def to_assignment(self, assigned_at: int) -> aether_pb2.TaskAssignment:
        """What the assignee receives. A startup order for an orchestrator carries what to
        launch instead of the task's metadata and payload."""
        frame = aether_pb2.TaskAssignment(
            task_id=self.task_id,
            task_type=self.task_type,
            assigned_to=self.assigned_to,
            assigned_at=assigned_at,
            workspace=self.workspace,
            target_implementation=self.target_implementation,
            task_class=cast(aether_pb2.TaskClass, self.task_class),
        )
        if self.task_type == AGENT_STARTUP:
            frame.profile = self.profile
            frame.specifier = self.specifier
            frame.launch_params.update(self.launch_params)
        else:
            frame.metadata.update(self.metadata)
            frame.payload = self.payload
        return frame

    def to_progress(self, source: str, timestamp_ms: int) -> aether_pb2.ProgressUpdate:
        """The task's current status as a progress event addressed to its creator."""
        return aether_pb2.ProgressUpdate(
            source=source,
            task_id=self.task_id,
            state=self.status,
            summary=f"task {self.status}" + (f": {self.error}" if self.error else ""),
            timestamp_ms=timestamp_ms,
            workspace=self.workspace,
            recipient=self.creator,
            kind=aether_pb2.PROGRESS_KIND_TASK,
        )


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
            # seq keeps creation order within a second (rowids may change on VACUUM).
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
        self,
        task_id: str,
        expected: Collection[str],
        status: str,
        error: str = "",
        *,
        retry: bool = False,
    ) -> TaskRecord | None:
        """Move a task in one of the `expected` statuses to `status`; None if it was not.

        Terminal statuses stamp completed_at, others started_at (once). A retry counts an attempt
        and clears the previous result; a retry back to pending also drops the assignee so that
        the task can be claimed afresh.
        """
        if status in TERMINAL:
            sets = ["completed_at = :now"]
        elif status == PENDING:
            sets = ["assigned_to = ''", "started_at = 0"]
        else:
            sets = ["started_at = CASE started_at WHEN 0 THEN :now ELSE started_at END"]
        if retry:
            sets += ["attempt = attempt + 1", "completed_at = 0"]
        params: dict[str, object] = {
            "status": status,
            "error": error,
            "id": task_id,
            "now": now_s(),
        }
        params |= {f"s{i}": old for i, old in enumerate(expected)}
        olds = ", ".join(f":s{i}" for i in range(len(expected)))
        with self._db.transaction() as conn:
            cur = conn.execute(
                f"UPDATE tasks SET status = :status, error = :error, {', '.join(sets)}"
                f" WHERE task_id = :id AND status IN ({olds})",
                params,
            )
        return self.get(task_id) if cur.rowcount == 1 else None
