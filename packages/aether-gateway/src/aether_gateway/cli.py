"""`aether-gateway serve`: run the embedded gateway as a process; `keys`, `workspaces`, `acl` and
`policy` administer its data dir (admin_cli)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from aether_gateway import admin_cli
from aether_gateway.config import GatewayConfig
from aether_gateway.embedded import EmbeddedGateway
from aether_gateway.limits import add_limit_flags, with_limits
from aether_gateway.observability.logs import JsonFormatter
from aether_gateway.tls import server_credentials

DB_NAME = "gateway.sqlite3"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aether-gateway", description="Embedded Aether gateway.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the aether.v1 gateway")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=50051, help="0 picks a free port")
    serve.add_argument("--data-dir", default="./aether-data", help="SQLite directory, or :memory:")
    serve.add_argument("--dev", action="store_true", help="admit anonymous principals; open admin")
    serve.add_argument("--tls-cert", type=Path)
    serve.add_argument("--tls-key", type=Path)
    serve.add_argument("--tls-client-ca", type=Path, help="require client certificates (mTLS)")
    serve.add_argument("--max-payload", type=int, default=1 << 20, help="SendMessage cap, bytes")
    add_limit_flags(serve)  # queues, snapshot, lock history, keepalive (docs/gateway.md "Limits")
    serve.add_argument(
        "--no-delivery-extension",
        action="store_true",
        help="do not offer acknowledged delivery: every client runs best effort",
    )
    serve.add_argument("--log-level", default="INFO")
    serve.add_argument("--log-format", choices=("text", "json"), default="text")
    serve.add_argument(
        "--ops-port", type=int, help="serve /metrics, /healthz, /readyz here (0: a free port)"
    )
    serve.add_argument("--ops-host", help="the ops endpoint's address (default: --host)")
    admin_cli.add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command != "serve":
        return admin_cli.run(args)
    handler = logging.StreamHandler(sys.stderr)
    if args.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("ts=%(asctime)s level=%(levelname)s logger=%(name)s msg=%(message)s")
        )
    logging.basicConfig(level=args.log_level.upper(), handlers=[handler])
    if bool(args.tls_cert) != bool(args.tls_key):
        print("aether-gateway: --tls-cert and --tls-key go together", file=sys.stderr)
        return 2
    if args.tls_client_ca and not args.tls_cert:
        print("aether-gateway: --tls-client-ca needs --tls-cert and --tls-key", file=sys.stderr)
        return 2
    data = args.data_dir if args.data_dir == ":memory:" else str(Path(args.data_dir) / DB_NAME)
    config = GatewayConfig(
        dev_mode=args.dev,
        data_path=data,
        max_payload=args.max_payload,
        delivery_extension=not args.no_delivery_extension,
        ops_port=args.ops_port,
        ops_host=args.ops_host or args.host,
    )
    config = with_limits(config, args)
    creds = None
    if args.tls_cert:
        ca = args.tls_client_ca.read_bytes() if args.tls_client_ca else None
        creds = server_credentials(args.tls_cert.read_bytes(), args.tls_key.read_bytes(), ca)
    return asyncio.run(_serve(config, args.host, args.port, creds))


async def _serve(config: GatewayConfig, host: str, port: int, creds: object) -> int:
    gateway = EmbeddedGateway(config, host=host, port=port, server_credentials=creds)  # type: ignore[arg-type]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):  # before "listening": a signal may follow at once
        loop.add_signal_handler(sig, stop.set)
    await gateway.start()
    if gateway.ops_url:  # before "listening on", which launchers wait for
        print(f"aether-gateway ops endpoint on {gateway.ops_url}", flush=True)
    print(f"aether-gateway listening on {gateway.target}", flush=True)
    await stop.wait()
    logging.getLogger("aether_gateway").info("shutting down: GRACEFUL_DISCONNECT to every session")
    await gateway.stop(grace=2.0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
