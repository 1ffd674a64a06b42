"""API keys: minted by admins, presented at connect as the `x-api-key` / `api_key` credential.

Only a SHA-256 digest of each key is stored; the plaintext exists once, in the CREATE response.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from aether_gateway.store.db import Database, now_s

Database.register_schema(
    """
    CREATE TABLE IF NOT EXISTS api_tokens (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        principal_type TEXT NOT NULL,
        workspace_patterns TEXT NOT NULL,
        scopes TEXT NOT NULL,
        created_by TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        expires_at INTEGER NOT NULL DEFAULT 0,
        last_used_at INTEGER NOT NULL DEFAULT 0,
        revoked INTEGER NOT NULL DEFAULT 0,
        revoked_at INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    );
    """
)

_COLUMNS = (
    "id, name, principal_type, workspace_patterns, scopes, created_by, expires_at, "
    "last_used_at, revoked, revoked_at, created_at, updated_at"
)
_KEY_PREFIX = "ak_"  # makes a leaked key recognisable to secret scanners and humans


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """A stored API key, without its secret. Times are unix seconds; 0 means unset."""

    id: str
    name: str
    principal_type: str
    workspace_patterns: tuple[str, ...]
    scopes: tuple[str, ...]
    created_by: str
    expires_at: int
    last_used_at: int
    revoked: bool
    revoked_at: int
    created_at: int
    updated_at: int

    @property
    def is_admin(self) -> bool:
        return "admin" in self.scopes


def _record(row: tuple[Any, ...]) -> TokenRecord:
    tid, name, ptype, patterns, scopes, created_by, expires, used, revoked, revoked_at, ca, ua = row
    return TokenRecord(
        id=tid,
        name=name,
        principal_type=ptype,
        workspace_patterns=tuple(json.loads(patterns)),
        scopes=tuple(json.loads(scopes)),
        created_by=created_by,
        expires_at=expires,
        last_used_at=used,
        revoked=bool(revoked),
        revoked_at=revoked_at,
        created_at=ca,
        updated_at=ua,
    )


def _digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


class TokenStore:
    """API keys in the gateway database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def create(
        self,
        name: str,
        principal_type: str,
        *,
        workspace_patterns: tuple[str, ...] = ("*",),
        scopes: tuple[str, ...] = ("connect",),
        created_by: str = "admin",
        expires_in_hours: int = 0,
    ) -> tuple[TokenRecord, str]:
        """Mint a key; returns its record and the plaintext, which is not kept."""
        plaintext = _KEY_PREFIX + secrets.token_urlsafe(32)
        now = now_s()
        expires_at = now + expires_in_hours * 3600 if expires_in_hours > 0 else 0
        token_id = str(uuid.uuid4())
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO api_tokens (id, name, principal_type, workspace_patterns, scopes,"
                " created_by, token_hash, expires_at, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    token_id,
                    name,
                    principal_type,
                    json.dumps(list(workspace_patterns)),
                    json.dumps(list(scopes)),
                    created_by,
                    _digest(plaintext),
                    expires_at,
                    now,
                    now,
                ),
            )
        record = self.get(token_id)
        assert record is not None
        return record, plaintext

    def get(self, token_id: str) -> TokenRecord | None:
        row = self._db.conn.execute(
            f"SELECT {_COLUMNS} FROM api_tokens WHERE id = ?", (token_id,)
        ).fetchone()
        return _record(row) if row else None

    def list_tokens(
        self, limit: int = 100, offset: int = 0, include_revoked: bool = False
    ) -> tuple[list[TokenRecord], int]:
        """One page of keys, oldest first, and how many match in total."""
        where = "" if include_revoked else " WHERE revoked = 0"
        total = self._db.conn.execute(f"SELECT COUNT(*) FROM api_tokens{where}").fetchone()[0]
        rows = self._db.conn.execute(
            f"SELECT {_COLUMNS} FROM api_tokens{where} ORDER BY created_at, rowid LIMIT ? OFFSET ?",
            (limit, offset),
        ).fetchall()
        return [_record(r) for r in rows], int(total)

    def revoke(self, token_id: str) -> bool:
        now = now_s()
        with self._db.transaction() as conn:
            # Revoking twice keeps the first revocation time.
            cur = conn.execute(
                "UPDATE api_tokens SET revoked = 1, updated_at = ?,"
                " revoked_at = CASE revoked WHEN 1 THEN revoked_at ELSE ? END WHERE id = ?",
                (now, now, token_id),
            )
            return cur.rowcount == 1

    def delete(self, token_id: str) -> bool:
        with self._db.transaction() as conn:
            return conn.execute("DELETE FROM api_tokens WHERE id = ?", (token_id,)).rowcount == 1

    def authenticate(self, plaintext: str) -> TokenRecord | None:
        """The live key behind `plaintext`, or None if unknown, revoked or expired."""
        now = now_s()
        with self._db.transaction() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM api_tokens WHERE token_hash = ? AND revoked = 0"
                " AND (expires_at = 0 OR expires_at > ?)",
                (_digest(plaintext), now),
            ).fetchone()
            if row is None:
                return None
            conn.execute("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", (now, row[0]))
        return _record(row)


def bind_check(
    record: TokenRecord, principal_type_name: str, workspace: str, user_id: str
) -> str | None:
    """Why `record` may not connect as the claimed identity (a PERMISSION_DENIED message), or None.

    `principal_type_name` is the claimed type as the key stores it ("Agent", "User", ...). Users
    have no workspace at connect, so an empty `workspace` skips the pattern check.
    """
    if record.principal_type != principal_type_name:
        return f"API key is for principal type {record.principal_type}, not {principal_type_name}"
    if user_id and user_id != record.created_by:
        return f"API key not authorized for user {user_id}"
    if workspace and not any(fnmatchcase(workspace, p) for p in record.workspace_patterns):
        return f"API key not authorized for workspace {workspace}"
    return None
