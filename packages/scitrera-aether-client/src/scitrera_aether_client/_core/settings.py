"""Turn the reference constructor arguments into the connection's settings (shared by facades)."""

from __future__ import annotations

import os
from typing import Any

from scitrera_aether_client._core.backoff import Backoff, RetryBudget
from scitrera_aether_client._core.connection import Connection, RunCallback
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


def make_connection(
    owner: Any,
    run_callback: RunCallback,
    *,
    from_env: bool,
    init: aether_pb2.InitConnection | None,
    credentials: dict[str, str] | None,
    max_retries: int,
    initial_backoff: float,
    max_backoff: float,
    backoff_multiplier: float,
    auto_reconnect: bool,
    tls_enabled: bool | None,
    tls_root_cert: bytes | None,
    tls_root_cert_path: str | None,
    tls_client_cert: bytes | None,
    tls_client_cert_path: str | None,
    tls_client_key: bytes | None,
    tls_client_key_path: str | None,
    extensions: list[aether_pb2.ExtensionDeclaration] | None,
    buffer_size: int,
    acknowledged_delivery: bool = True,
) -> Connection:
    """The facades' shared constructor: validate the reference arguments, set the reference's
    public attributes on `owner`, and build its Connection. TLS material is read at connect."""
    backoff, budget = build_policy(max_retries, initial_backoff, max_backoff, backoff_multiplier)

    def tls() -> TLSOptions | None:
        return build_tls(
            tls_enabled,
            tls_root_cert,
            tls_root_cert_path,
            tls_client_cert,
            tls_client_cert_path,
            tls_client_key,
            tls_client_key_path,
            from_env=from_env,
        )

    owner.max_retries = max_retries
    owner.initial_backoff = initial_backoff
    owner.max_backoff = max_backoff
    owner.backoff_multiplier = backoff_multiplier
    owner.auto_reconnect = auto_reconnect
    owner.tls_enabled = bool(tls_enabled)
    return Connection(
        owner,
        build_init(init, credentials, extensions),
        tls=tls,
        backoff=backoff,
        budget=budget,
        auto_reconnect=auto_reconnect,
        buffer_size=buffer_size,
        run_callback=run_callback,
        channel_options=channel_options(),
        acknowledged_delivery=acknowledged_delivery,
    )
