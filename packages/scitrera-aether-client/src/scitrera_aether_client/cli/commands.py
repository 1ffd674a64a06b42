"""The `aether` commands, on click. Every command opens one connection as the CLI's identity
(`--as`, an agent by default), does its work and closes it. Output is for people by default;
`--json` prints one JSON document (one per line for `subscribe`) for scripts. Exit codes: 0 done,
1 refused, failed or timed out, 2 usage error.

This module holds the group, its options and the entry point; the commands live by kind in
messaging (send, subscribe), storage (kv, checkpoint) and administration (health, admin), over
settings (the group's options), running (one connection per command) and output.
"""

from __future__ import annotations

import secrets

import click

from scitrera_aether_client.cli.administration import admin, health
from scitrera_aether_client.cli.messaging import send, subscribe
from scitrera_aether_client.cli.settings import CLI_IMPLEMENTATION, DEFAULT_TARGET, Settings
from scitrera_aether_client.cli.storage import checkpoint, kv

__all__ = ["cli", "run"]


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


# Each command lives with its kind: messaging, storage (kv, checkpoint), administration.
for _command in (send, subscribe, kv, checkpoint, health, admin):
    cli.add_command(_command)


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
