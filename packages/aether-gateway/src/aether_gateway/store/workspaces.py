"""Workspace records. A workspace is stored as its wire record, `WorkspaceInfo`, minus live counts.

Workspaces need not be created before use: identities name one at connect. These records are the
admin-visible catalogue (display name, description, tenant, metadata).
"""

from __future__ import annotations

import json
from typing import Any

from aether_gateway.store.db import Database, now_s
from scitrera_aether_client.wire import aether_pb2

Database.register_schema(
    """
    CREATE TABLE IF NOT EXISTS workspaces (
        workspace_id TEXT PRIMARY KEY,
        display_name TEXT NOT NULL DEFAULT '',
        description TEXT NOT NULL DEFAULT '',
        tenant_id TEXT NOT NULL DEFAULT '',
        metadata TEXT NOT NULL DEFAULT '{}',
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    );
    """
)

_COLUMNS = "workspace_id, display_name, description, tenant_id, metadata, created_at, updated_at"


def _info(row: tuple[Any, ...]) -> aether_pb2.WorkspaceInfo:
    wid, display_name, description, tenant_id, metadata, created_at, updated_at = row
    return aether_pb2.WorkspaceInfo(
        workspace_id=wid,
        display_name=display_name,
        description=description,
        tenant_id=tenant_id,
        metadata=json.loads(metadata),
        created_at=created_at,
        updated_at=updated_at,
    )


class WorkspaceStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def create(self, info: aether_pb2.WorkspaceInfo) -> aether_pb2.WorkspaceInfo | None:
        """Store a new workspace; None if the id is taken."""
        now = now_s()
        with self._db.transaction() as conn:
            cur = conn.execute(
                f"INSERT OR IGNORE INTO workspaces ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    info.workspace_id,
                    info.display_name,
                    info.description,
                    info.tenant_id,
                    json.dumps(dict(info.metadata)),
                    now,
                    now,
                ),
            )
        return self.get(info.workspace_id) if cur.rowcount == 1 else None

    def get(self, workspace_id: str) -> aether_pb2.WorkspaceInfo | None:
        row = self._db.conn.execute(
            f"SELECT {_COLUMNS} FROM workspaces WHERE workspace_id = ?", (workspace_id,)
        ).fetchone()
        return _info(row) if row else None

    def list_workspaces(
        self, tenant_id: str = "", limit: int = 100, offset: int = 0
    ) -> tuple[list[aether_pb2.WorkspaceInfo], int]:
        """One page in id order, and how many match in total."""
        where, args = (" WHERE tenant_id = ?", [tenant_id]) if tenant_id else ("", [])
        total = self._db.conn.execute(f"SELECT COUNT(*) FROM workspaces{where}", args).fetchone()
        rows = self._db.conn.execute(
            f"SELECT {_COLUMNS} FROM workspaces{where} ORDER BY workspace_id LIMIT ? OFFSET ?",
            [*args, limit, offset],
        ).fetchall()
        return [_info(r) for r in rows], int(total[0])

    def update(
        self, workspace_id: str, changes: aether_pb2.WorkspaceInfo
    ) -> aether_pb2.WorkspaceInfo | None:
        """Overwrite the non-empty fields of `changes`; None if the workspace does not exist.

        Empty fields are left alone because the SDK's update helper sends every field, set or not.
        """
        current = self.get(workspace_id)
        if current is None:
            return None
        for name in ("display_name", "description", "tenant_id"):
            if value := getattr(changes, name):
                setattr(current, name, value)
        if changes.metadata:
            current.metadata.clear()
            current.metadata.update(changes.metadata)
        with self._db.transaction() as conn:
            conn.execute(
                "UPDATE workspaces SET display_name = ?, description = ?, tenant_id = ?,"
                " metadata = ?, updated_at = ? WHERE workspace_id = ?",
                (
                    current.display_name,
                    current.description,
                    current.tenant_id,
                    json.dumps(dict(current.metadata)),
                    now_s(),
                    workspace_id,
                ),
            )
        return self.get(workspace_id)

    def delete(self, workspace_id: str) -> bool:
        with self._db.transaction() as conn:
            cur = conn.execute("DELETE FROM workspaces WHERE workspace_id = ?", (workspace_id,))
            return cur.rowcount == 1
