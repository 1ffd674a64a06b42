"""ACL rules and fallback policies, and the access check every gated operation uses.

A rule grants `access_level` on (resource_type, resource_id) to (principal_type, principal_id).
Principal types are lowercase ("agent", "user", ...; "wildcard" matches anyone). A user is
identified by its user_id, every other principal by its identity string. Rule resource ids are
globs ("admin/*" is resource_type "admin", resource_id "*"). When no rule matches, the fallback
policy of category "{principal_type}_{resource_type}" decides (0, deny, if none is set).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from fnmatch import fnmatchcase
from typing import Any, NamedTuple

from aether_gateway.store.db import Database, now_s

Database.register_schema(
    """
    CREATE TABLE IF NOT EXISTS acl_rules (
        rule_id INTEGER PRIMARY KEY AUTOINCREMENT,
        principal_type TEXT NOT NULL,
        principal_id TEXT NOT NULL,
        resource_type TEXT NOT NULL,
        resource_id TEXT NOT NULL,
        access_level INTEGER NOT NULL,
        granted_by TEXT NOT NULL DEFAULT '',
        reason TEXT NOT NULL DEFAULT '',
        expires_at INTEGER NOT NULL DEFAULT 0,
        granted_at INTEGER NOT NULL,
        UNIQUE (principal_type, principal_id, resource_type, resource_id)
    );
    CREATE INDEX IF NOT EXISTS acl_rules_by_resource ON acl_rules (resource_type, principal_type);
    CREATE TABLE IF NOT EXISTS acl_fallback_policies (
        policy_id INTEGER PRIMARY KEY AUTOINCREMENT,
        rule_category TEXT NOT NULL UNIQUE,
        fallback_access_level INTEGER NOT NULL,
        updated_by TEXT NOT NULL DEFAULT '',
        updated_at INTEGER NOT NULL DEFAULT 0
    );
    -- Seeded like the reference: principals may use their own workspace unless an admin
    -- lowers these. OR IGNORE keeps an admin's change across restarts.
    INSERT OR IGNORE INTO acl_fallback_policies (rule_category, fallback_access_level, updated_by)
        VALUES ('user_workspace', 20, 'system'), ('agent_workspace', 20, 'system'),
               ('task_workspace', 20, 'system');
    """
)


class AccessLevel(IntEnum):
    NONE = 0
    READ = 10
    READWRITE = 20
    MANAGE = 30
    ADMIN = 40
    SUPERADMIN = 50


def access_level_name(level: int) -> str:
    try:
        return AccessLevel(level).name
    except ValueError:
        return "UNKNOWN"


@dataclass(frozen=True, slots=True)
class ACLRule:
    rule_id: int
    principal_type: str
    principal_id: str
    resource_type: str
    resource_id: str
    access_level: int
    granted_by: str
    reason: str
    expires_at: int  # unix seconds; 0 = never
    granted_at: int


@dataclass(frozen=True, slots=True)
class FallbackPolicy:
    policy_id: int  # 0 when the category was never set
    rule_category: str
    fallback_access_level: int
    updated_by: str
    updated_at: int


class Access(NamedTuple):
    """The effective level of a principal on a resource, and whether only a fallback gave it."""

    level: int
    fallback_applied: bool


_RULE_COLUMNS = (
    "rule_id, principal_type, principal_id, resource_type, resource_id, access_level,"
    " granted_by, reason, expires_at, granted_at"
)
_LIVE = "(expires_at = 0 OR expires_at > ?)"


def _rule(row: tuple[Any, ...]) -> ACLRule:
    return ACLRule(*row)


class ACLStore:
    """Rules and fallback policies in the gateway database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def grant(
        self,
        principal_type: str,
        principal_id: str,
        resource_type: str,
        resource_id: str,
        access_level: int,
        *,
        granted_by: str = "",
        reason: str = "",
        expires_at: int = 0,
    ) -> ACLRule:
        """Create the rule, or replace the level and details of the same composite key."""
        key = (principal_type, principal_id, resource_type, resource_id)
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO acl_rules (principal_type, principal_id, resource_type, resource_id,"
                " access_level, granted_by, reason, expires_at, granted_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (principal_type, principal_id, resource_type, resource_id)"
                " DO UPDATE SET access_level = excluded.access_level,"
                " granted_by = excluded.granted_by, reason = excluded.reason,"
                " expires_at = excluded.expires_at, granted_at = excluded.granted_at",
                (*key, access_level, granted_by, reason, expires_at, now_s()),
            )
        rule = self.find_rule(*key)
        assert rule is not None
        return rule

    def get_rule(self, rule_id: int) -> ACLRule | None:
        row = self._db.conn.execute(
            f"SELECT {_RULE_COLUMNS} FROM acl_rules WHERE rule_id = ?", (rule_id,)
        ).fetchone()
        return _rule(row) if row else None

    def find_rule(
        self, principal_type: str, principal_id: str, resource_type: str, resource_id: str
    ) -> ACLRule | None:
        """The rule with exactly this composite key (no glob matching)."""
        row = self._db.conn.execute(
            f"SELECT {_RULE_COLUMNS} FROM acl_rules WHERE principal_type = ?"
            " AND principal_id = ? AND resource_type = ? AND resource_id = ?",
            (principal_type, principal_id, resource_type, resource_id),
        ).fetchone()
        return _rule(row) if row else None

    def delete_rule(self, rule_id: int) -> bool:
        with self._db.transaction() as conn:
            return conn.execute("DELETE FROM acl_rules WHERE rule_id = ?", (rule_id,)).rowcount == 1

    def list_rules(
        self,
        principal_type: str = "",
        principal_id: str = "",
        resource_type: str = "",
        resource_id: str = "",
    ) -> list[ACLRule]:
        """Rules equal to every non-empty argument, in rule_id order."""
        wanted = {
            "principal_type": principal_type,
            "principal_id": principal_id,
            "resource_type": resource_type,
            "resource_id": resource_id,
        }
        terms = [(f"{column} = ?", value) for column, value in wanted.items() if value]
        where = " WHERE " + " AND ".join(t for t, _ in terms) if terms else ""
        rows = self._db.conn.execute(
            f"SELECT {_RULE_COLUMNS} FROM acl_rules{where} ORDER BY rule_id",
            [v for _, v in terms],
        ).fetchall()
        return [_rule(r) for r in rows]

    def cleanup_expired(self) -> int:
        with self._db.transaction() as conn:
            cur = conn.execute(
                "DELETE FROM acl_rules WHERE expires_at != 0 AND expires_at <= ?", (now_s(),)
            )
            return cur.rowcount

    def get_fallback(self, rule_category: str) -> FallbackPolicy:
        row = self._db.conn.execute(
            "SELECT policy_id, rule_category, fallback_access_level, updated_by, updated_at"
            " FROM acl_fallback_policies WHERE rule_category = ?",
            (rule_category,),
        ).fetchone()
        return FallbackPolicy(*row) if row else FallbackPolicy(0, rule_category, 0, "", 0)

    def set_fallback(self, rule_category: str, level: int, updated_by: str = "") -> FallbackPolicy:
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO acl_fallback_policies"
                " (rule_category, fallback_access_level, updated_by, updated_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (rule_category) DO UPDATE SET"
                " fallback_access_level = excluded.fallback_access_level,"
                " updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                (rule_category, level, updated_by, now_s()),
            )
        return self.get_fallback(rule_category)

    def access(
        self, principal_type: str, principal_id: str, resource_type: str, resource_id: str
    ) -> Access:
        """The highest level any live matching rule grants, else the fallback policy's level.

        Rules only ever add access: the highest match wins, so a narrow rule cannot take away
        what a broader glob grants.
        """
        rows = self._db.conn.execute(
            "SELECT resource_id, access_level FROM acl_rules WHERE resource_type = ?"
            " AND (principal_type = 'wildcard' OR (principal_type = ?"
            f" AND principal_id IN (?, '*'))) AND {_LIVE}",
            (resource_type, principal_type, principal_id, now_s()),
        ).fetchall()
        levels = [level for pattern, level in rows if fnmatchcase(resource_id, pattern)]
        if levels:
            return Access(max(levels), fallback_applied=False)
        category = f"{principal_type}_{resource_type}"
        return Access(self.get_fallback(category).fallback_access_level, fallback_applied=True)

    def check(
        self,
        principal_type: str,
        principal_id: str,
        resource_type: str,
        resource_id: str,
        required_level: int,
    ) -> bool:
        level = self.access(principal_type, principal_id, resource_type, resource_id).level
        return level >= required_level
