"""`aether health` and `aether admin ...`: the gateway's health report, and its API keys,
workspaces and live sessions (admin needs an admin key, an admin ACL rule, or a dev gateway)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import click

from scitrera_aether_client.admin_async import AsyncAdminClient
from scitrera_aether_client.cli.output import emit, proto_dict
from scitrera_aether_client.cli.running import run_admin, run_async
from scitrera_aether_client.cli.settings import settings
from scitrera_aether_client.client_async import BaseAsyncAetherClient


@click.command()
def health() -> None:
    """The gateway's health: status, version, uptime, sessions, queued messages."""
    s = settings()

    async def work(client: BaseAsyncAetherClient) -> Any:
        return await AsyncAdminClient(client).health(timeout=s.timeout)

    report = run_async(work)
    by_type = ", ".join(f"{k}={v}" for k, v in sorted(report.sessions_by_type.items()))
    emit(
        [
            f"status: {report.status}",
            f"version: {report.version}",
            f"uptime: {report.uptime_seconds} s",
            f"sessions: {report.total_sessions}" + (f" ({by_type})" if by_type else ""),
            f"queued messages: {report.queued_messages}",
        ],
        asdict(report),
    )


@click.group()
def admin() -> None:
    """Administer the gateway (needs an admin key, an admin ACL rule, or a dev gateway)."""


@admin.group()
def tokens() -> None:
    """API keys."""


@tokens.command("list")
@click.option("--all", "include_revoked", is_flag=True, help="Include revoked keys.")
def tokens_list(include_revoked: bool) -> None:
    """List API keys (never their secrets)."""
    s = settings()
    response = run_admin(
        lambda a: a.list_tokens(include_revoked, timeout=s.timeout), "admin tokens list"
    )
    lines = [
        f"{t.id}  {t.name}  {t.principal_type}  {','.join(t.scopes)}"
        + ("  (revoked)" if t.revoked else "")
        for t in response.tokens
    ]
    emit(lines, {"tokens": [proto_dict(t) for t in response.tokens]})


@tokens.command("create")
@click.option("--name", required=True)
@click.option(
    "--type",
    "principal_type",
    required=True,
    help="Principal type: Agent, Task, User, Service, Bridge, Orchestrator, WorkflowEngine, "
    "MetricsBridge.",
)
@click.option("--workspace", "workspaces", multiple=True, help="Workspace pattern (repeatable).")
@click.option("--scope", "scopes", multiple=True, help="Scope (repeatable); default: connect.")
@click.option("--admin", "is_admin", is_flag=True, help="Add the admin scope.")
@click.option("--expires-in-hours", type=click.IntRange(min=0), default=0)
@click.option("--created-by", default="", help="For a User key: the user id it authenticates.")
def tokens_create(
    name: str,
    principal_type: str,
    workspaces: tuple[str, ...],
    scopes: tuple[str, ...],
    is_admin: bool,
    expires_in_hours: int,
    created_by: str,
) -> None:
    """Mint an API key; the key is printed once (alone on stdout, or under --json)."""
    s = settings()
    wanted = list(scopes or ("connect",)) + (["admin"] if is_admin else [])
    response = run_admin(
        lambda a: a.create_token(
            name,
            principal_type,
            list(workspaces) or None,
            wanted,
            expires_in_hours,
            created_by,
            timeout=s.timeout,
        ),
        "admin tokens create",
    )
    info = response.created_token if response.HasField("created_token") else response.token
    emit(response.plaintext_token, {"key": response.plaintext_token, "token": proto_dict(info)})


@tokens.command("revoke")
@click.argument("token_id")
def tokens_revoke(token_id: str) -> None:
    """Revoke the key TOKEN_ID; the gateway ends the sessions it opened."""
    s = settings()
    run_admin(lambda a: a.revoke_token(token_id, timeout=s.timeout), "admin tokens revoke")
    emit(f"revoked {token_id}", {"id": token_id, "revoked": True})


@admin.group()
def workspaces() -> None:
    """Workspaces."""


@workspaces.command("list")
def workspaces_list() -> None:
    """List workspaces."""
    s = settings()
    response = run_admin(lambda a: a.list_workspaces(timeout=s.timeout), "admin workspaces list")
    lines = [f"{w.workspace_id}  {w.display_name}".rstrip() for w in response.workspaces]
    emit(lines, {"workspaces": [proto_dict(w) for w in response.workspaces]})


@workspaces.command("create")
@click.argument("workspace_id")
@click.option("--display-name", default="")
@click.option("--description", default="")
def workspaces_create(workspace_id: str, display_name: str, description: str) -> None:
    """Create WORKSPACE_ID."""
    s = settings()
    run_admin(
        lambda a: a.create_workspace(workspace_id, display_name, description, timeout=s.timeout),
        "admin workspaces create",
    )
    emit(f"created {workspace_id}", {"workspace_id": workspace_id, "created": True})


@admin.group()
def sessions() -> None:
    """Live sessions."""


@sessions.command("list")
@click.option("--type", "principal_type", default="", help="agent, user, workflow_engine, ...")
@click.option("--workspace", default="")
def sessions_list(principal_type: str, workspace: str) -> None:
    """List live sessions (the CLI's own included)."""
    s = settings()
    response = run_admin(
        lambda a: a.list_connections(principal_type, workspace, timeout=s.timeout),
        "admin sessions list",
    )
    lines = [f"{c.session_id}  {c.identity}" for c in response.connections]
    emit(lines, {"sessions": [proto_dict(c) for c in response.connections]})
