"""Operator commands on a gateway's data dir: `aether-gateway keys|workspaces|acl|policy`.

They open the gateway's SQLite database directly, so they work with no gateway running, which
is how the first admin key is made (docs/security.md, "Bootstrapping"). They are also safe next
to a running gateway: the database is in WAL mode, every write is one short transaction, and a
busy database is waited for (sqlite3's 5 s timeout). A running gateway sees new keys, rules and
workspaces at once, and ends the sessions of a revoked key within `credential_check_s`.

Exit codes: 0 done, 1 refused (unknown key, workspace exists), 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from aether_gateway.handlers.tokens import key_owner, principal_type_name
from aether_gateway.store.acl import AccessLevel, ACLRule, ACLStore, access_level_name
from aether_gateway.store.db import Database, now_s
from aether_gateway.store.tokens import TokenRecord, TokenStore
from aether_gateway.store.workspaces import WorkspaceStore
from scitrera_aether_client.wire import PRINCIPALS, aether_pb2, identity_problem

ACL_PRINCIPAL_TYPES = sorted({p.acl_type for p in PRINCIPALS.values()} | {"wildcard"})
_PAGE = 1000


class UsageError(Exception):
    """Bad arguments (exit 2)."""


class Refusal(Exception):
    """A well-formed request the data refuses (exit 1)."""


Command = Callable[[argparse.Namespace, Database], int]


def add_commands(sub: Any) -> None:
    """Register the subcommands on `aether-gateway`'s subparsers."""
    keys = _group(sub, "keys", "create, list and revoke API keys")
    create = _command(keys, "create", "mint a key; prints its plaintext once", _keys_create)
    create.add_argument("--type", required=True, help='principal type: "Agent", "agent", ...')
    create.add_argument("--name", required=True)
    create.add_argument(
        "--workspace",
        action="append",
        metavar="GLOB",
        help="workspace pattern (repeatable; default *)",
    )
    create.add_argument(
        "--implementation", action="append", metavar="GLOB", help="implementation pattern"
    )
    create.add_argument("--specifier", action="append", metavar="GLOB", help="specifier pattern")
    create.add_argument("--scope", action="append", help="scope (repeatable; default connect)")
    create.add_argument("--admin", action="store_true", help="add the admin scope")
    create.add_argument("--user", default="", help="for a User key: the user_id it authenticates")
    create.add_argument("--expires-in-hours", type=int, default=0, help="0: never")
    listing = _command(keys, "list", "list keys (never their secrets)", _keys_list)
    listing.add_argument("--all", action="store_true", help="include revoked keys")
    revoke = _command(keys, "revoke", "revoke a key; its live sessions end", _keys_revoke)
    revoke.add_argument("key_id")

    workspaces = _group(sub, "workspaces", "create workspaces")
    made = _command(workspaces, "create", "create a workspace", _workspaces_create)
    made.add_argument("workspace_id")
    made.add_argument("--display-name", default="")
    made.add_argument("--description", default="")

    acl = _group(sub, "acl", "grant ACL rules")
    grant = _command(acl, "grant", "grant (or re-grant) an ACL rule", _acl_grant)
    grant.add_argument("--principal-type", required=True, choices=ACL_PRINCIPAL_TYPES)
    grant.add_argument("--principal-id", required=True, help="identity, user_id, or *")
    grant.add_argument("--resource", required=True, metavar="TYPE/ID", help="e.g. admin/*")
    grant.add_argument("--level", required=True, help="NONE READ READWRITE MANAGE ADMIN or 0-50")
    grant.add_argument("--reason", default="")
    grant.add_argument("--granted-by", default="aether-gateway-cli")

    _command(sub, "policy", "print who may connect and administer, and the ACL", _policy)


def _group(sub: Any, name: str, help_text: str) -> Any:
    parser = sub.add_parser(name, help=help_text)
    return parser.add_subparsers(dest="action", required=True)


def _command(sub: Any, name: str, help_text: str, run: Command) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(name, help=help_text)
    parser.add_argument("--data-dir", default="./aether-data", help="the gateway's data dir")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run the parsed admin command; its exit code."""
    try:
        if args.data_dir == ":memory:":
            raise UsageError("--data-dir must name a directory (:memory: holds nothing)")
        from aether_gateway.cli import DB_NAME  # here: cli imports this module

        db = Database(Path(args.data_dir) / DB_NAME)
        try:
            command: Command = args.run
            return command(args, db)
        finally:
            db.close()
    except UsageError as exc:
        print(f"aether-gateway: {exc}", file=sys.stderr)
        return 2
    except Refusal as exc:
        print(f"aether-gateway: {exc}", file=sys.stderr)
        return 1


# ------------------------------------------------------------------------------ keys


def _keys_create(args: argparse.Namespace, db: Database) -> int:
    principal_type = principal_type_name(args.type)
    if principal_type is None:
        raise UsageError(f"unknown principal type {args.type!r}")
    owner = key_owner(principal_type)  # principals.yaml `key_owner`: users are bound to user_id
    if owner and not args.user:
        raise UsageError(f"a {principal_type} key needs --user, the {owner} it authenticates as")
    if not args.name.strip():
        raise UsageError("--name must not be empty")
    patterns = {
        "--workspace": args.workspace or ["*"],
        "--implementation": args.implementation or [],
        "--specifier": args.specifier or [],
    }
    for flag, values in patterns.items():
        if any(not v for v in values):
            raise UsageError(f"{flag} needs a pattern ('*' matches everything)")
    scopes = list(dict.fromkeys([*(args.scope or ["connect"]), *(["admin"] if args.admin else [])]))
    record, plaintext = TokenStore(db).create(
        args.name,
        principal_type,
        workspace_patterns=tuple(patterns["--workspace"]),
        scopes=tuple(scopes),
        created_by=args.user or "admin",
        expires_in_hours=max(args.expires_in_hours, 0),
        implementation_patterns=patterns["--implementation"],
        specifier_patterns=patterns["--specifier"],
    )
    if args.json:
        print(json.dumps({**_key_json(record), "key": plaintext}))
    else:
        print(plaintext)  # stdout holds the key alone: KEY=$(aether-gateway keys create ...)
        print(
            f"created key {record.id} ({record.principal_type}, {record.name!r});"
            " the key above is shown once and not stored",
            file=sys.stderr,
        )
    return 0


def _keys_list(args: argparse.Namespace, db: Database) -> int:
    records = _all_keys(TokenStore(db), include_revoked=args.all)
    if args.json:
        print(json.dumps([_key_json(r) for r in records]))
        return 0
    if not records:
        print("no keys")
    for record in records:
        print(_key_line(record))
    return 0


def _keys_revoke(args: argparse.Namespace, db: Database) -> int:
    if not TokenStore(db).revoke(args.key_id):
        raise Refusal(f"no such key: {args.key_id}")
    if args.json:
        print(json.dumps({"id": args.key_id, "revoked": True}))
    else:
        print(f"revoked key {args.key_id}; a running gateway ends its sessions")
    return 0


def _all_keys(tokens: TokenStore, include_revoked: bool) -> list[TokenRecord]:
    records: list[TokenRecord] = []
    while True:
        page, total = tokens.list_tokens(_PAGE, len(records), include_revoked)
        records += page
        if not page or len(records) >= total:
            return records


def _status(record: TokenRecord) -> str:
    if record.revoked:
        return "revoked"
    if record.expires_at and record.expires_at <= now_s():
        return "expired"
    return "active"


def _key_json(record: TokenRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "name": record.name,
        "principal_type": record.principal_type,
        "workspace_patterns": list(record.workspace_patterns),
        "implementation_patterns": list(record.implementation_patterns),
        "specifier_patterns": list(record.specifier_patterns),
        "scopes": list(record.scopes),
        "admin": record.is_admin,
        "created_by": record.created_by,
        "expires_at": record.expires_at,
        "last_used_at": record.last_used_at,
        "revoked": record.revoked,
        "status": _status(record),
    }


def _key_line(record: TokenRecord) -> str:
    plain_scopes = [s for s in record.scopes if ":" not in s]
    return (
        f"{record.id}  {record.name}  {record.principal_type}  {_status(record)}"
        f"  workspace={','.join(record.workspace_patterns)}"
        f"  implementation={','.join(record.implementation_patterns)}"
        f"  specifier={','.join(record.specifier_patterns)}"
        f"  scopes={','.join(plain_scopes)}"
        + (f"  user={record.created_by}" if key_owner(record.principal_type) else "")
    )


# ------------------------------------------------------------------------------ workspaces, acl


def _workspaces_create(args: argparse.Namespace, db: Database) -> int:
    problem = identity_problem(args.workspace_id) if args.workspace_id else "is empty"
    if problem:
        raise UsageError(f"workspace id {args.workspace_id!r} {problem}")
    info = aether_pb2.WorkspaceInfo(
        workspace_id=args.workspace_id,
        display_name=args.display_name,
        description=args.description,
    )
    if WorkspaceStore(db).create(info) is None:
        raise Refusal(f"workspace {args.workspace_id} already exists")
    print(
        json.dumps({"workspace_id": args.workspace_id})
        if args.json
        else f"created workspace {args.workspace_id}"
    )
    return 0


def _acl_grant(args: argparse.Namespace, db: Database) -> int:
    resource_type, slash, resource_id = args.resource.partition("/")
    if not slash or not resource_type or not resource_id:
        raise UsageError(
            f"--resource {args.resource!r} must be TYPE/ID, e.g. admin/* or kv_scope/x"
        )
    if not args.principal_id:
        raise UsageError("--principal-id must not be empty")
    level = _level(args.level)
    rule = ACLStore(db).grant(
        args.principal_type,
        args.principal_id,
        resource_type,
        resource_id,
        level,
        granted_by=args.granted_by,
        reason=args.reason,
    )
    if args.json:
        print(json.dumps(_rule_json(rule)))
    else:
        print(f"granted rule {rule.rule_id}: {_rule_text(rule)}")
    return 0


def _level(text: str) -> int:
    """An access level by name (ADMIN) or number (40); only the defined levels."""
    try:
        if text.lstrip("-").isdigit():
            return int(AccessLevel(int(text)))
        return int(AccessLevel[text.upper()])
    except (KeyError, ValueError):
        names = ", ".join(f"{level.name} ({int(level)})" for level in AccessLevel)
        raise UsageError(f"unknown access level {text!r}: one of {names}") from None


def _rule_json(rule: ACLRule) -> dict[str, Any]:
    return {
        "rule_id": rule.rule_id,
        "principal": f"{rule.principal_type}:{rule.principal_id}",
        "resource": f"{rule.resource_type}/{rule.resource_id}",
        "level": access_level_name(rule.access_level),
        "access_level": rule.access_level,
        "expires_at": rule.expires_at,
        "granted_by": rule.granted_by,
        "reason": rule.reason,
    }


def _rule_text(rule: ACLRule) -> str:
    level = f"{access_level_name(rule.access_level)} ({rule.access_level})"
    subject = f"{rule.principal_type}:{rule.principal_id}"
    return f"{subject} -> {rule.resource_type}/{rule.resource_id} {level}"


# ------------------------------------------------------------------------------ policy


def _policy(args: argparse.Namespace, db: Database) -> int:
    policy = effective_policy(db)
    if args.json:
        print(json.dumps(policy, indent=2))
    else:
        print("\n".join(_policy_lines(policy)))
    return 0


def effective_policy(db: Database) -> dict[str, Any]:
    """Who may connect and administer, from the principal table and the database."""
    keys = [_key_json(r) for r in _all_keys(TokenStore(db), include_revoked=False)]
    keys = [k for k in keys if k["status"] == "active" and "task" not in k["scopes"]]
    rules = [_rule_json(r) for r in ACLStore(db).list_rules() if _live(r)]
    fallbacks = db.conn.execute(
        "SELECT rule_category, fallback_access_level FROM acl_fallback_policies"
        " ORDER BY rule_category"
    ).fetchall()
    workspaces, _ = WorkspaceStore(db).list_workspaces(limit=1_000_000)
    return {
        "anonymous": _anonymous(),
        "admin": {
            "rule": "dev mode, or a key with scope admin, or an ACL rule on admin/<area>",
            "keys": [k for k in keys if k["admin"]],
            "rules": [r for r in rules if r["resource"].startswith("admin/")],
        },
        "keys": keys,
        "rules": rules,
        "fallback_policies": {c: access_level_name(level) for c, level in fallbacks},
        "workspaces": [w.workspace_id for w in workspaces],
    }


def _live(rule: ACLRule) -> bool:
    return rule.expires_at == 0 or rule.expires_at > now_s()


def _anonymous() -> str:
    """What happens to a connection without a credential outside --dev."""
    open_types = sorted(p.type_name for p in PRINCIPALS.values() if not p.needs_credentials)
    if not open_types:
        return "refused for every principal type unless the gateway runs --dev"
    return "refused unless the gateway runs --dev, except for " + ", ".join(open_types)


def _policy_lines(policy: dict[str, Any]) -> Sequence[str]:
    admin = policy["admin"]
    lines = [
        f"anonymous connections: {policy['anonymous']}",
        f"admin operations: {admin['rule']}",
    ]
    lines += [f"  admin key: {k['name']} ({k['principal_type']}, {k['id']})" for k in admin["keys"]]
    lines += [
        f"  admin rule: {r['principal']} -> {r['resource']} {r['level']}" for r in admin["rules"]
    ]
    lines.append(f"active keys: {len(policy['keys'])}")
    lines += [
        f"  {k['name']} ({k['principal_type']}): workspace={','.join(k['workspace_patterns'])}"
        f" implementation={','.join(k['implementation_patterns'])}"
        f" specifier={','.join(k['specifier_patterns'])}"
        f" scopes={','.join(s for s in k['scopes'] if ':' not in s)}"
        for k in policy["keys"]
    ]
    lines.append(f"ACL rules: {len(policy['rules'])}")
    lines += [
        f"  #{r['rule_id']} {r['principal']} -> {r['resource']} {r['level']}"
        for r in policy["rules"]
    ]
    lines.append("fallback policies (when no rule matches):")
    lines += [f"  {c}: {level}" for c, level in policy["fallback_policies"].items()]
    lines.append(f"workspaces: {', '.join(policy['workspaces']) or '(none)'}")
    return lines
