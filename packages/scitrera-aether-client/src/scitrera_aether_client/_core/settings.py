"""Build a client's Connection from its ClientOptions (shared by the sync and async facades)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from scitrera_aether_client._core.connection import Connection, RunCallback
from scitrera_aether_client._core.options import DEFAULT_BUFFER, ClientOptions
from scitrera_aether_client._core.tls import resolve_tls
from scitrera_aether_client.exceptions import InvalidArgumentError

__all__ = ["DEFAULT_BUFFER", "channel_options", "make_connection"]

_KEEPALIVE = (
    ("grpc.keepalive_time_ms", "AETHER_GRPC_KEEPALIVE_TIME_MS", 30_000),
    ("grpc.keepalive_timeout_ms", "AETHER_GRPC_KEEPALIVE_TIMEOUT_MS", 10_000),
    ("grpc.keepalive_permit_without_calls", "AETHER_GRPC_KEEPALIVE_PERMIT_WITHOUT_CALLS", 1),
    ("grpc.http2.max_pings_without_data", "AETHER_GRPC_HTTP2_MAX_PINGS_WITHOUT_DATA", 0),
)


def _env_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise InvalidArgumentError(
            f"{name} must be a non-negative integer, got {raw[:40]!r}", argument=name
        )
    return value


def channel_options(env: Mapping[str, str]) -> list[tuple[str, Any]]:
    """Keepalive (so a dead gateway is noticed) and no message size surprises below 16 MiB."""
    opts: list[tuple[str, Any]] = [
        (option, _env_int(env, name, default)) for option, name, default in _KEEPALIVE
    ]
    opts += [
        ("grpc.max_receive_message_length", 16 << 20),
        ("grpc.max_send_message_length", 16 << 20),
    ]
    return opts


def make_connection(owner: Any, run_callback: RunCallback, options: ClientOptions) -> Connection:
    """The facades' Connection; TLS material is resolved at connect (files may appear later)."""
    return Connection(
        owner,
        options.connection_init(),
        tls=partial(resolve_tls, options),
        backoff=options.backoff,
        budget=options.retry_budget,
        auto_reconnect=options.auto_reconnect,
        buffer_size=options.buffer_size,
        run_callback=run_callback,
        channel_options=channel_options(options.env()),
    )
