"""The `aether` commands, on click. Every command opens one connection as the CLI's identity
(`--as`, an agent by default), does its work and closes it. Output is for people by default;
`--json` prints one JSON document (one per line for `subscribe`) for scripts. Exit codes: 0 done,
1 refused, failed or timed out, 2 usage error.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager, suppress
from dataclasses import asdict, dataclass
from typing import Any, NoReturn, TypeVar

import click
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message

from scitrera_aether_client._core.validation import KV_SCOPES
from scitrera_aether_client._generated.clients_async import AsyncAgentClient, AsyncUserClient
from scitrera_aether_client.admin_async import AsyncAdminClient
from scitrera_aether_client.client_async import BaseAsyncAetherClient
from scitrera_aether_client.credentials import Credentials
from scitrera_aether_client.exceptions import AetherError
from scitrera_aether_client.proto import aether_pb2

__all__ = ["cli", "run"]

T = TypeVar("T")

DEFAULT_TARGET = "localhost:50051"
CLI_IMPLEMENTATION = "aether-cli"
MESSAGE_TYPES: Mapping[str, int] = {
    "opaque": aether_pb2.OPAQUE,
    "chat": aether_pb2.CHAT,
    "control": aether_pb2.CONTROL,
    "tool_call": aether_pb2.TOOL_CALL,
    "event": aether_pb2.EVENT,
    "metric": aether_pb2.METRIC,
}
# A one-shot command should fail fast on a gateway that is not there, not retry for minutes.
RETRY = {"max_retries": 2, "initial_backoff": 0.2, "max_backoff": 1.0}


@dataclass(frozen=True)
class Settings:
    """The group options every command shares."""

    target: str
    identity: str
    api_key: str | None
    tls: bool
    tls_ca: str | None
    tls_cert: str | None
    tls_key: str | None
    as_json: bool
    timeout: float

    def client(self) -> BaseAsyncAetherClient:
        """A client (not yet connected) for `identity`, with the credentials and TLS asked for."""
        options: dict[str, Any] = {
            "credentials": Credentials.api_key(self.api_key) if self.api_key else None,
            "tls_enabled": self.tls,
            "tls_root_cert_path": self.tls_ca,
            "tls_client_cert_path": self.tls_cert,
            "tls_client_key_path": self.tls_key,
            **RETRY,
        }
        parts = self.identity.split("::")
        if parts[0] == "ag" and len(parts) == 4:
            return AsyncAgentClient(parts[1], parts[2], parts[3], **options)
        if parts[0] == "us" and len(parts) == 3:
            return AsyncUserClient(parts[1], parts[2], **options)
        raise click.BadParameter(
            f"{self.identity!r}: expected ag::WORKSPACE::IMPLEMENTATION::SPECIFIER (an agent) "
            "or us::USER_ID::WINDOW_ID (a user)",
            param_hint="'--as'",
        )


def settings() -> Settings:
    obj = click.get_current_context().find_object(Settings)
    assert obj is not None, "the aether group stores its Settings first"
    return obj


# ---------------------------------------------------------------------- output


def _text(data: bytes) -> dict[str, str]:
    """Bytes for JSON output: as text when they are UTF-8, else base64 under another key."""
    try:
        return {"": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"_base64": base64.b64encode(data).decode("ascii")}


def _field(name: str, data: bytes) -> dict[str, str]:
    return {name + suffix: value for suffix, value in _text(data).items()}


def _human(data: bytes) -> str:
    return data.decode("utf-8", "backslashreplace")


def emit(human: str | list[str], data: object) -> None:
    """Print `data` as JSON under --json, else the human lines."""
    if settings().as_json:
        click.echo(json.dumps(data, sort_keys=True))
    else:
        for line in [human] if isinstance(human, str) else human:
            click.echo(line)


def proto_dict(message: Message) -> dict[str, Any]:
    return MessageToDict(message, preserving_proto_field_name=True)


def fail(message: str) -> NoReturn:
    raise click.ClickException(message)


# ---------------------------------------------------------------------- running


def run_async(work: Callable[[BaseAsyncAetherClient], Awaitable[T]]) -> T:
    """Connect as the CLI's identity, run `work` with the client, close; errors exit 1."""
    s = settings()

    async def main() -> T:
        async with connected(s) as client:
            return await work(client)

    try:
        return asyncio.run(main())
    except AetherError as error:
        fail(str(error))


@asynccontextmanager
async def connected(s: Settings) -> AsyncIterator[BaseAsyncAetherClient]:
    try:
        client = s.client()
    except AetherError as error:  # an identity part the gateway would refuse (bad characters)
        raise click.BadParameter(str(error), param_hint="'--as'") from None
    try:
        await client.connect(s.target)
        yield client
    finally:
        await client.close()


def answered(response: T | None, what: str) -> T:
    if response is None:
        fail(f"no answer to {what} within {settings().timeout:g} s")
    return response


def succeeded(response: Any, what: str) -> None:
    if not getattr(response, "success", True):
        fail(f"{what} failed: {getattr(response, 'error', '') or 'refused by the gateway'}")


# ---------------------------------------------------------------------- the group


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--target",
    envvar="AETHER_TARGET",
    default=DEFAULT_TARGET,
    show_default=True,
    show_envvar=True,
    help="The gateway's host:port.",
)
@click.option(
    "--as",
    "identity",
    envvar="AETHER_IDENTITY",
    show_envvar=True,
    help="Connect as this identity: ag::WS::IMPL::SPEC or us::USER::WINDOW "
    f"[default: ag::default::{CLI_IMPLEMENTATION}::<random>].",
)
@click.option("--api-key", envvar="AETHER_API_KEY", show_envvar=True, help="An API key.")
@click.option(
    "--tls/--no-tls",
    default=None,
    envvar="AETHER_TLS",
    show_envvar=True,
    help="Use TLS (on by default when --tls-ca, --tls-cert or --tls-key is given).",
)
@click.option(
    "--tls-ca",
    envvar="AETHER_TLS_CA_CERT",
    show_envvar=True,
    help="CA bundle to verify the gateway (a file, or PEM text); default: the system roots.",
)
@click.option(
    "--tls-cert", envvar="AETHER_TLS_CLIENT_CERT", show_envvar=True, help="Client certificate."
)
@click.option("--tls-key", envvar="AETHER_TLS_CLIENT_KEY", show_envvar=True, help="Client key.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=10.0,
    show_default=True,
    help="Seconds to wait for each answer.",
)
@click.version_option(package_name="scitrera-aether-client", prog_name="aether")
@click.pass_context
def cli(
    ctx: click.Context,
    target: str,
    identity: str | None,
    api_key: str | None,
    tls: bool | None,
    tls_ca: str | None,
    tls_cert: str | None,
    tls_key: str | None,
    as_json: bool,
    timeout: float,
) -> None:
    """Talk to an Aether gateway: send, subscribe, KV, checkpoints, health and admin."""
    ctx.obj = Settings(
        target=target,
        identity=identity or f"ag::default::{CLI_IMPLEMENTATION}::{secrets.token_hex(4)}",
        api_key=api_key or None,
        tls=tls if tls is not None else any((tls_ca, tls_cert, tls_key)),
        tls_ca=tls_ca or None,
        tls_cert=tls_cert or None,
        tls_key=tls_key or None,
        as_json=as_json,
        timeout=timeout,
    )


# ---------------------------------------------------------------------- messaging


@cli.command()
@click.argument("topic")
@click.argument("payload", required=False)
@click.option(
    "--file",
    "payload_file",
    type=click.File("rb"),
    help="Read the payload from a file ('-' for stdin) instead of PAYLOAD.",
)
@click.option(
    "--type",
    "message_type",
    type=click.Choice(list(MESSAGE_TYPES)),
    default="opaque",
    show_default=True,
)
def send(topic: str, payload: str | None, payload_file: Any, message_type: str) -> None:
    """Send PAYLOAD (text) to TOPIC, e.g. ag::ws::bot::1 or us::alice::w1.

    With a gateway that confirms sends (the delivery extension), returns once the message is
    stored; a refusal exits 1.
    """
    if (payload is None) == (payload_file is None):
        raise click.UsageError("give PAYLOAD or --file, not both and not neither")
    data: bytes = payload.encode() if payload is not None else payload_file.read()

    async def work(client: BaseAsyncAetherClient) -> bool:
        committed = client.delivery_mode == "acknowledged"
        await client.send_message(
            topic, data, MESSAGE_TYPES[message_type], wait_for_commit=committed
        )
        return committed

    committed = run_async(work)
    how = "stored by the gateway" if committed else "written (the gateway confirms no sends)"
    emit(
        f"sent {len(data)} bytes to {topic}: {how}",
        {"topic": topic, "bytes": len(data), "committed": committed},
    )


@cli.command()
@click.option(
    "--count", type=click.IntRange(min=1), help="Exit after this many messages (exit 1 if fewer)."
)
@click.option(
    "--timeout",
    "duration",
    type=click.FloatRange(min=0, min_open=True),
    help="Exit after this many seconds.",
)
def subscribe(count: int | None, duration: float | None) -> None:
    """Print the messages sent to the CLI's identity (see --as) as they arrive.

    Runs until --count messages arrived, --timeout seconds passed, or Ctrl-C. Messages that
    arrive after the last one counted are not acknowledged, so the gateway redelivers them.
    """
    s = settings()
    printed = 0

    async def work(client: BaseAsyncAetherClient) -> int:
        nonlocal printed
        enough = asyncio.Event()

        async def on_message(msg: aether_pb2.IncomingMessage) -> None:
            nonlocal printed
            if count is not None and printed >= count:
                await asyncio.Event().wait()  # never returns: unacknowledged, redelivered later
            printed += 1
            show_message(msg)
            if count is not None and printed >= count:
                enough.set()

        client.on_message = on_message
        click.echo(f"subscribed as {s.identity} on {s.target}", err=True)
        with suppress(TimeoutError):  # --timeout ran out: report what arrived
            await asyncio.wait_for(enough.wait(), duration)
        return printed

    try:
        run_async(work)
    except KeyboardInterrupt:
        sys.exit(130)
    if count is not None and printed < count:
        fail(f"timed out after {printed} of {count} messages")


def show_message(msg: aether_pb2.IncomingMessage) -> None:
    known = msg.message_type in MESSAGE_VALUES  # an open enum: a newer sender's type is a number
    kind = aether_pb2.MessageType.Name(msg.message_type) if known else str(msg.message_type)
    emit(
        f"{msg.source_topic} [{kind}] {_human(msg.payload)}",
        {
            "source_topic": msg.source_topic,
            "message_type": kind,
            "message_id": msg.message_id,
            "redelivered": msg.redelivered,
            **_field("payload", msg.payload),
        },
    )


MESSAGE_VALUES = frozenset(aether_pb2.MessageType.values())


# ---------------------------------------------------------------------- KV


def kv_options(function: Callable[..., Any]) -> Callable[..., Any]:
    function = click.option(
        "--scope", type=click.Choice(list(KV_SCOPES)), default="global", show_default=True
    )(function)
    function = click.option("--workspace", default="", help="For workspace scopes.")(function)
    return click.option("--user-id", default="", help="For user scopes.")(function)


@cli.group()
def kv() -> None:
    """Read and write the gateway's key-value store."""


@kv.command("get")
@click.argument("key")
@kv_options
def kv_get(key: str, scope: str, workspace: str, user_id: str) -> None:
    """Print the value of KEY (empty when the key is absent, as the gateway answers)."""
    s = settings()

    async def work(client: BaseAsyncAetherClient) -> aether_pb2.KVResponse:
        found = await client.kv_get(key, scope, user_id, workspace, timeout=s.timeout)
        return answered(found, f"kv get {key}")

    response = run_async(work)
    succeeded(response, f"kv get {key}")
    emit(_human(response.value), {"key": key, **_field("value", response.value)})


@kv.command("put")
@click.argument("key")
@click.argument("value")
@click.option("--ttl", type=click.IntRange(min=0), default=0, help="Seconds; 0: no expiry.")
@kv_options
def kv_put(key: str, value: str, ttl: int, scope: str, workspace: str, user_id: str) -> None:
    """Store VALUE (text) under KEY."""
    s = settings()

    async def work(client: BaseAsyncAetherClient) -> aether_pb2.KVResponse:
        stored = await client.kv_put(
            key, value.encode(), scope, user_id, workspace, ttl, timeout=s.timeout
        )
        return answered(stored, f"kv put {key}")

    succeeded(run_async(work), f"kv put {key}")
    emit(f"stored {key}", {"key": key, "stored": True})


@kv.command("list")
@click.argument("prefix", default="")
@click.option("--limit", type=click.IntRange(min=0), default=0, help="At most this many keys.")
@kv_options
def kv_list(prefix: str, limit: int, scope: str, workspace: str, user_id: str) -> None:
    """List the keys that start with PREFIX, with their values under --json."""
    s = settings()

    async def work(client: BaseAsyncAetherClient) -> aether_pb2.KVResponse:
        page = await client.kv_list(
            prefix, scope, user_id, workspace, timeout=s.timeout, limit=limit
        )
        return answered(page, "kv list")

    response = run_async(work)
    succeeded(response, "kv list")
    keys = list(response.keys) or sorted(response.kv_map)
    entries = [{"key": k, **_field("value", response.kv_map.get(k, b""))} for k in keys]
    emit(keys, {"keys": entries, "has_more": response.has_more})


@kv.command("delete")
@click.argument("key")
@kv_options
def kv_delete(key: str, scope: str, workspace: str, user_id: str) -> None:
    """Delete KEY."""
    s = settings()

    async def work(client: BaseAsyncAetherClient) -> aether_pb2.KVResponse:
        deleted = await client.kv_delete(key, scope, user_id, workspace, timeout=s.timeout)
        return answered(deleted, f"kv delete {key}")

    succeeded(run_async(work), f"kv delete {key}")
    emit(f"deleted {key}", {"key": key, "deleted": True})


# ---------------------------------------------------------------------- checkpoints


@cli.group()
def checkpoint() -> None:
    """The checkpoints of the CLI's identity (see --as)."""


@checkpoint.command("list")
def checkpoint_list() -> None:
    """List the identity's checkpoint keys."""
    s = settings()

    async def work(client: BaseAsyncAetherClient) -> aether_pb2.CheckpointResponse:
        return answered(await client.checkpoint_list(timeout=s.timeout), "checkpoint list")

    response = run_async(work)
    succeeded(response, "checkpoint list")
    emit(list(response.keys), {"keys": list(response.keys)})


@checkpoint.command("load")
@click.argument("key", default="")
def checkpoint_load(key: str) -> None:
    """Print the checkpoint saved under KEY (default: the identity's unnamed checkpoint)."""
    s = settings()

    async def work(client: BaseAsyncAetherClient) -> aether_pb2.CheckpointResponse:
        return answered(await client.checkpoint_load(key, timeout=s.timeout), "checkpoint load")

    response = run_async(work)
    succeeded(response, f"checkpoint load {key}".rstrip())
    emit(
        _human(response.data),
        {"key": key, "saved_at": response.saved_at, **_field("data", response.data)},
    )


@checkpoint.command("save")
@click.argument("data")
@click.option("--key", default="", help="Checkpoint name (default: the unnamed one).")
@click.option("--ttl", type=click.IntRange(min=-1), default=-1, help="-1: the gateway's default.")
def checkpoint_save(data: str, key: str, ttl: int) -> None:
    """Save DATA (text) as a checkpoint of the identity."""
    s = settings()

    async def work(client: BaseAsyncAetherClient) -> aether_pb2.CheckpointResponse:
        saved = await client.checkpoint_save(data.encode(), key, ttl, timeout=s.timeout)
        return answered(saved, "checkpoint save")

    succeeded(run_async(work), "checkpoint save")
    emit(f"saved checkpoint {key or '(unnamed)'}", {"key": key, "saved": True})


# ---------------------------------------------------------------------- health and admin


@cli.command()
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


@cli.group()
def admin() -> None:
    """Administer the gateway (needs an admin key, an admin ACL rule, or a dev gateway)."""


def run_admin(call: Callable[[AsyncAdminClient], Awaitable[T | None]], what: str) -> T:
    async def work(client: BaseAsyncAetherClient) -> T | None:
        return await call(AsyncAdminClient(client))

    response = answered(run_async(work), what)
    succeeded(response, what)
    return response


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


# ---------------------------------------------------------------------- entry point


def run(argv: list[str] | None = None) -> int:
    """Run the CLI; the exit code (click's usage errors are 2, our failures 1)."""
    try:
        result = cli.main(args=argv, prog_name="aether", standalone_mode=False)
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except click.Abort:
        click.echo("aborted", err=True)
        return 130
    return result if isinstance(result, int) else 0
