"""API keys: minted by admins, presented at connect as the `x-api-key` / `api_key` credential.

Only a SHA-256 digest of each key is stored; the plaintext exists once, in the CREATE response.
A key binds the identities it admits: a principal type, workspace patterns, and implementation
and specifier patterns. aether.v1's TokenCreateRequest has no field for the last two, so they
travel, and are stored, as scope entries `implementation:<glob>` and `specifier:<glob>`; the Go
gateway ignores unknown scopes. In every pattern only `*` is a wildcard (docs/security.md).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
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
    -- The session a task token opened: it may resume that session, and open no other.
    CREATE TABLE IF NOT EXISTS task_token_sessions (
        token_id TEXT PRIMARY KEY REFERENCES api_tokens (id) ON DELETE CASCADE,
        session_id TEXT NOT NULL,
        used_at INTEGER NOT NULL
    );
    """
)

_COLUMNS = (
    "id, name, principal_type, workspace_patterns, scopes, created_by, expires_at, "
    "last_used_at, revoked, revoked_at, created_at, updated_at"
)
_KEY_PREFIX = "ak_"  # makes a leaked key recognisable to secret scanners and humans
IMPLEMENTATION_SCOPE = "implementation:"
SPECIFIER_SCOPE = "specifier:"


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

    @property
    def is_task_token(self) -> bool:
        return "task" in self.scopes

    @property
    def implementation_patterns(self) -> tuple[str, ...]:
        return _scoped(self.scopes, IMPLEMENTATION_SCOPE)

    @property
    def specifier_patterns(self) -> tuple[str, ...]:
        return _scoped(self.scopes, SPECIFIER_SCOPE)


def _scoped(scopes: tuple[str, ...], prefix: str) -> tuple[str, ...]:
    """The patterns carried by `prefix` scope entries; ("*",) when there are none."""
    found = tuple(s.removeprefix(prefix) for s in scopes if s.startswith(prefix))
    return found or ("*",)


def glob_match(value: str, pattern: str) -> bool:
    """Whether `value` matches `pattern`, where only `*` (any run, also empty) is special.

    fnmatch would also read `?` and `[...]`, which identity parts may contain literally.
    """
    return _glob(pattern).fullmatch(value) is not None


@lru_cache(maxsize=1024)
def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


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
        expires_in_s: int = 0,
        implementation_patterns: Iterable[str] = (),
        specifier_patterns: Iterable[str] = (),
    ) -> tuple[TokenRecord, str]:
        """Mint a key; returns its record and the plaintext, which is not kept.

        `expires_in_s`, when positive, overrides `expires_in_hours` (task tokens, tests).
        """
        plaintext = _KEY_PREFIX + secrets.token_urlsafe(32)
        now = now_s()
        lifetime = expires_in_s if expires_in_s > 0 else max(expires_in_hours, 0) * 3600
        expires_at = now + lifetime if lifetime else 0
        scopes = (
            *scopes,
            *(IMPLEMENTATION_SCOPE + p for p in implementation_patterns),
            *(SPECIFIER_SCOPE + p for p in specifier_patterns),
        )
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

    def is_known(self, plaintext: str) -> bool:
        """Whether `plaintext` was ever minted here and not deleted (revoked and expired too)."""
        row = self._db.conn.execute(
            "SELECT 1 FROM api_tokens WHERE token_hash = ?", (_digest(plaintext),)
        ).fetchone()
        return row is not None

    def valid_ids(self, token_ids: Iterable[str]) -> set[str]:
        """Those of `token_ids` that still exist unrevoked (expiry does not end a session)."""
        wanted = list(dict.fromkeys(token_ids))
        found: set[str] = set()
        for start in range(0, len(wanted), 500):  # below SQLite's bound-parameter limit
            chunk = wanted[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            rows = self._db.conn.execute(
                f"SELECT id FROM api_tokens WHERE revoked = 0 AND id IN ({marks})", chunk
            ).fetchall()
            found.update(row[0] for row in rows)
        return found

    def task_token_session(self, token_id: str) -> str | None:
        """The session a task token opened (or last resumed), None while it is unused."""
        row = self._db.conn.execute(
            "SELECT session_id FROM task_token_sessions WHERE token_id = ?", (token_id,)
        ).fetchone()
        return str(row[0]) if row else None

    def bind_task_token(self, token_id: str, session_id: str) -> None:
        """Spend a task token on `session_id`: from now on it only resumes that session."""
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO task_token_sessions (token_id, session_id, used_at) VALUES (?, ?, ?)"
                " ON CONFLICT (token_id) DO UPDATE SET session_id = excluded.session_id,"
                " used_at = excluded.used_at",
                (token_id, session_id, now_s()),
            )


def bind_check(
    record: TokenRecord,
    principal_type_name: str,
    workspace: str,
    user_id: str,
    *,
    implementation: str | None = None,
    specifier: str | None = None,
) -> str | None:
    """Why `record` may not connect as the claimed identity (a PERMISSION_DENIED message), or None.

    `principal_type_name` is the claimed type as the key stores it ("Agent", "User", ...). Users
    have no workspace at connect, so an empty `workspace` skips the pattern check. None for
    `implementation` or `specifier` means the principal type has no such identity part.
    """
    if record.principal_type != principal_type_name:
        return f"API key is for principal type {record.principal_type}, not {principal_type_name}"
    if user_id and user_id != record.created_by:
        return f"API key not authorized for user {user_id}"
    if workspace and not any(glob_match(workspace, p) for p in record.workspace_patterns):
        return f"API key not authorized for workspace {workspace}"
    parts = (
        ("implementation", implementation, record.implementation_patterns),
        ("specifier", specifier, record.specifier_patterns),
    )
    for part, value, patterns in parts:
        if value is not None and not any(glob_match(value, p) for p in patterns):
            return f"API key not authorized for {part} {value}"
    return None
