"""Issue 9, finding 8: operators bootstrap a gateway with `aether-gateway` commands on a data dir.

Each test runs the installed console script as a real subprocess, offline or next to a running
gateway process (SQLite WAL makes both safe), and checks the effect over real gRPC.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from gateway_process import GatewayProcess

from scitrera_aether_client import (
    AsyncAgentClient,
    AuthenticationError,
    Credentials,
    PermissionDeniedError,
)
from scitrera_aether_client.proto import aether_pb2

from ._support import WAIT

SCRIPT = Path(sys.executable).parent / "aether-gateway"
W = aether_pb2.WorkspaceOperation
T = aether_pb2.TokenOperation
DB = "gateway.sqlite3"


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str

    def json(self) -> object:
        assert self.code == 0, self.err
        return json.loads(self.out)


async def cli(data: Path, *args: str) -> Run:
    """`aether-gateway <args> --data-dir <data>` as a subprocess (without blocking the loop)."""
    proc = await asyncio.create_subprocess_exec(
        str(SCRIPT),
        *args,
        "--data-dir",
        str(data),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return Run(proc.returncode, out.decode(), err.decode())


async def create_key(data: Path, *args: str) -> dict[str, object]:
    created = (await cli(data, "keys", "create", "--json", *args)).json()
    assert isinstance(created, dict)
    return created


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def running(data: Path) -> Iterator[GatewayProcess]:
    """A gateway process without --dev on `data`."""
    proc = GatewayProcess(data, dev=False).start()
    yield proc
    proc.stop()


@pytest.fixture
async def clients() -> AsyncIterator[list[AsyncAgentClient]]:
    made: list[AsyncAgentClient] = []
    yield made
    for client in made:
        await client.close()


async def connect(
    made: list[AsyncAgentClient], target: str, key: str, spec: str, ws: str = "ws"
) -> AsyncAgentClient:
    client = AsyncAgentClient(ws, "bot", spec, credentials=Credentials.api_key(key))
    made.append(client)
    await client.connect(target)
    return client


async def test_the_first_admin_key_is_created_offline_and_works(data: Path, clients) -> None:
    root = await create_key(data, "--type", "Agent", "--name", "root", "--admin")
    plain = await create_key(data, "--type", "agent", "--name", "plain")
    assert root["principal_type"] == plain["principal_type"] == "Agent"
    assert "admin" in root["scopes"] and "admin" not in plain["scopes"]  # type: ignore[operator]
    proc = GatewayProcess(data, dev=False).start()
    try:
        admin = await connect(clients, proc.target, str(root["key"]), "root")
        listed = await admin.token_op(T(op=T.LIST))
        assert {t.name for t in listed.tokens} == {"root", "plain"}
        user = await connect(clients, proc.target, str(plain["key"]), "plain")
        with pytest.raises(PermissionDeniedError):
            await user.workspace_op(W(op=W.LIST))
    finally:
        proc.stop()


async def test_the_plaintext_is_printed_once_and_never_stored(data: Path) -> None:
    made = await cli(data, "keys", "create", "--type", "Service", "--name", "svc")
    assert made.code == 0, made.err
    plaintext = made.out.strip()  # stdout is the key alone, for KEY=$(aether-gateway keys ...)
    assert plaintext.startswith("ak_") and "\n" not in plaintext
    assert "shown once" in made.err
    listed = await cli(data, "keys", "list")
    assert listed.code == 0 and "svc" in listed.out and "Service" in listed.out
    assert plaintext not in listed.out + listed.err
    rows = (await cli(data, "keys", "list", "--json")).json()
    assert isinstance(rows, list) and [r["name"] for r in rows] == ["svc"]
    with contextlib.closing(sqlite3.connect(data / DB)) as conn:
        stored = conn.execute("SELECT * FROM api_tokens").fetchall()
    assert stored and all(plaintext not in map(str, row) for row in stored)


async def test_a_key_is_bound_to_its_identity_patterns(data: Path, running, clients) -> None:
    key = await create_key(
        data,
        "--type",
        "Agent",
        "--name",
        "workers",
        "--workspace",
        "ws",
        "--implementation",
        "bot",
        "--specifier",
        "w-*",
    )
    assert await connect(clients, running.target, str(key["key"]), "w-1")
    with pytest.raises(PermissionDeniedError, match="specifier x-1"):
        await connect(clients, running.target, str(key["key"]), "x-1")
    with pytest.raises(PermissionDeniedError, match="workspace other"):
        await connect(clients, running.target, str(key["key"]), "w-2", ws="other")


async def test_revoking_with_the_cli_ends_a_live_session(data: Path, running, clients) -> None:
    key = await create_key(data, "--type", "Agent", "--name", "doomed")  # gateway running
    client = await connect(clients, running.target, str(key["key"]), "doomed")
    revoked = await cli(data, "keys", "revoke", str(key["id"]))
    assert revoked.code == 0, revoked.err
    await asyncio.wait_for(client.wait_until_disconnected(), WAIT)
    assert not client.is_running
    with pytest.raises(AuthenticationError):
        await connect(clients, running.target, str(key["key"]), "doomed-again")
    rows = (await cli(data, "keys", "list", "--json", "--all")).json()
    assert isinstance(rows, list) and rows[0]["revoked"] is True
    assert (await cli(data, "keys", "list", "--json")).json() == []


async def test_workspaces_and_acl_grants_reach_a_running_gateway(
    data: Path, running, clients
) -> None:
    key = await create_key(data, "--type", "Agent", "--name", "ops")
    ops = await connect(clients, running.target, str(key["key"]), "ops")
    with pytest.raises(PermissionDeniedError):
        await ops.workspace_op(W(op=W.LIST))
    made = await cli(data, "workspaces", "create", "proj", "--display-name", "Project")
    assert made.code == 0, made.err
    grant = await cli(
        data,
        "acl",
        "grant",
        "--principal-type",
        "agent",
        "--principal-id",
        "ag::ws::bot::ops",
        "--resource",
        "admin/*",
        "--level",
        "ADMIN",
    )
    assert grant.code == 0, grant.err
    listed = await ops.workspace_op(W(op=W.LIST))
    assert listed.success and [w.display_name for w in listed.workspaces] == ["Project"]


async def test_policy_prints_the_effective_policy(data: Path) -> None:
    await create_key(data, "--type", "Agent", "--name", "root", "--admin")
    await create_key(data, "--type", "WorkflowEngine", "--name", "engine")
    await cli(data, "workspaces", "create", "proj")
    await cli(
        data,
        "acl",
        "grant",
        "--principal-type",
        "user",
        "--principal-id",
        "alice",
        "--resource",
        "workspace/proj",
        "--level",
        "20",
    )
    policy = (await cli(data, "policy", "--json")).json()
    assert isinstance(policy, dict)
    assert policy["anonymous"] == "refused for every principal type unless the gateway runs --dev"
    assert [k["name"] for k in policy["admin"]["keys"]] == ["root"]
    assert {k["name"] for k in policy["keys"]} == {"root", "engine"}
    assert policy["workspaces"] == ["proj"]
    rule = policy["rules"][0]
    assert (rule["principal"], rule["resource"], rule["level"]) == (
        "user:alice",
        "workspace/proj",
        "READWRITE",
    )
    assert policy["fallback_policies"]["agent_workspace"] == "READWRITE"
    text = await cli(data, "policy")
    assert text.code == 0 and "root" in text.out and "admin" in text.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("keys", "create", "--type", "Robot", "--name", "r"), "unknown principal type"),
        (("keys", "create", "--type", "User", "--name", "u"), "--user"),
        (
            (
                "acl",
                "grant",
                "--principal-type",
                "agent",
                "--principal-id",
                "x",
                "--resource",
                "admin/*",
                "--level",
                "HIGH",
            ),
            "level",
        ),
        (
            (
                "acl",
                "grant",
                "--principal-type",
                "agent",
                "--principal-id",
                "x",
                "--resource",
                "no-slash",
                "--level",
                "10",
            ),
            "TYPE/ID",
        ),
    ],
    ids=["unknown-type", "user-without-user-id", "bad-level", "bad-resource"],
)
async def test_bad_arguments_are_usage_errors(
    data: Path, args: tuple[str, ...], message: str
) -> None:
    result = await cli(data, *args)
    assert result.code == 2 and message in result.err


async def test_revoking_an_unknown_key_fails(data: Path) -> None:
    result = await cli(data, "keys", "revoke", "no-such-id")
    assert result.code == 1 and "no such key: no-such-id" in result.err
