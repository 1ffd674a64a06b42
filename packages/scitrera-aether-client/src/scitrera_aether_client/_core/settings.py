"""Turn the reference constructor arguments into the connection's settings (shared by facades)."""

from __future__ import annotations

import os
from typing import Any

from scitrera_aether_client._core.backoff import Backoff, RetryBudget
from scitrera_aether_client._core.tls import TLSOptions, resolve_tls
from scitrera_aether_client._core.validation import check_non_negative
from scitrera_aether_client.exceptions import InvalidArgumentError
from scitrera_aether_client.proto import aether_pb2

DEFAULT_BUFFER = 10_000

_KEEPALIVE = (
    ("grpc.keepalive_time_ms", "AETHER_GRPC_KEEPALIVE_TIME_MS", 30_000),
    ("grpc.keepalive_timeout_ms", "AETHER_GRPC_KEEPALIVE_TIMEOUT_MS", 10_000),
    ("grpc.keepalive_permit_without_calls", "AETHER_GRPC_KEEPALIVE_PERMIT_WITHOUT_CALLS", 1),
    ("grpc.http2.max_pings_without_data", "AETHER_GRPC_HTTP2_MAX_PINGS_WITHOUT_DATA", 0),
)


def channel_options() -> list[tuple[str, Any]]:
    """Keepalive (so a dead gateway is noticed) and no message size surprises below 16 MiB."""
    opts: list[tuple[str, Any]] = [
        (name, int(os.environ.get(env, default))) for name, env, default in _KEEPALIVE
    ]
    opts += [
        ("grpc.max_receive_message_length", 16 << 20),
        ("grpc.max_send_message_length", 16 << 20),
    ]
    return opts


def build_init(
    init: aether_pb2.InitConnection | None,
    credentials: dict[str, str] | None,
    extensions: list[aether_pb2.ExtensionDeclaration] | None,
) -> aether_pb2.InitConnection:
    out = aether_pb2.InitConnection()
    if init is not None:
        out.CopyFrom(init)
    if credentials is not None:
        if not isinstance(credentials, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in credentials.items()
        ):
            raise InvalidArgumentError("credentials must be a dict of str to str", "credentials")
        out.credentials.update(credentials)
    out.extensions.extend(extensions or [])
    return out


def build_policy(
    max_retries: int, initial_backoff: float, max_backoff: float, multiplier: float
) -> tuple[Backoff, RetryBudget]:
    check_non_negative("max_retries", max_retries)
    for name, value in (("initial_backoff", initial_backoff), ("max_backoff", max_backoff)):
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise InvalidArgumentError(f"{name} must be a non-negative number", name)
    return Backoff(float(initial_backoff), float(max_backoff), float(multiplier)), RetryBudget(
        max_retries
    )


def build_tls(
    enabled: bool | None,
    root_cert: bytes | None,
    root_cert_path: str | None,
    client_cert: bytes | None,
    client_cert_path: str | None,
    client_key: bytes | None,
    client_key_path: str | None,
    *,
    from_env: bool,
) -> TLSOptions | None:
    return resolve_tls(
        enabled,
        root_cert,
        root_cert_path,
        client_cert,
        client_cert_path,
        client_key,
        client_key_path,
        from_env=from_env,
    )
