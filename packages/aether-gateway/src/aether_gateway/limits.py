"""Bounds on what one client can make the gateway hold (docs/gateway.md "Limits").

Here: HTTP/2 keepalive, so that a peer that stopped answering (SIGSTOPped, cut off without a
FIN) loses its session and identity lock within keepalive_time + keepalive_timeout; and the
ConfigSnapshot budget, so that what an agent stored in its exclusive KV can never make its own
connect fail.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
from collections.abc import Mapping

from aether_gateway.config import GatewayConfig

log = logging.getLogger("aether_gateway")

# SDK clients ping every 30 s (AETHER_GRPC_KEEPALIVE_TIME_MS); the gRPC default would answer
# pings more often than every 5 minutes without data with GOAWAY "too_many_pings".
MIN_CLIENT_PING_INTERVAL_MS = 10_000
# What one map entry adds to a ConfigSnapshot beyond its key and value: tags and lengths.
ENTRY_OVERHEAD = 16


def keepalive_options(config: GatewayConfig) -> list[tuple[str, int]]:
    """grpc server options: ping every client after keepalive_time_s of silence, and close the
    connection (ending its RPCs, which releases their identities) when no ack comes in time."""
    timeout_ms = max(int(config.keepalive_timeout_s * 1000), 1)
    return [
        ("grpc.keepalive_time_ms", max(int(config.keepalive_time_s * 1000), 1)),
        ("grpc.keepalive_timeout_ms", timeout_ms),
        # Current gRPC core waits for a ping ack this long (default 1 min) before closing.
        ("grpc.http2.ping_timeout_ms", timeout_ms),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.max_pings_without_data", 0),  # keep pinging an idle stream
        ("grpc.http2.min_recv_ping_interval_without_data_ms", MIN_CLIENT_PING_INTERVAL_MS),
    ]


def entry_size(key: str, value: bytes) -> int:
    return len(key.encode()) + len(value) + ENTRY_OVERHEAD


def trim_snapshot(
    parts: list[Mapping[str, bytes]], budget: int, who: str
) -> list[dict[str, bytes]]:
    """The entries of `parts` (in order, keys sorted) that fit in `budget` bytes.

    An entry that does not fit is left out and smaller ones after it still go in; the agent reads
    what was left out with KV GET or LIST. Writes that would overflow the budget are refused (see
    handlers/kv.py), so this only trims data stored before the cap or under a larger one.
    """
    kept: list[dict[str, bytes]] = []
    left = budget
    dropped = 0
    for part in parts:
        out: dict[str, bytes] = {}
        for key in sorted(part):
            size = entry_size(key, part[key])
            if size <= left:
                out[key] = part[key]
                left -= size
            else:
                dropped += 1
        kept.append(out)
    if dropped:
        log.warning(
            "config snapshot of %s trimmed to %d bytes: %d exclusive KV entries left out",
            who,
            budget,
            dropped,
        )
    return kept


# `aether-gateway serve` flags for the limits: (flag, GatewayConfig field, type, what it bounds).
_FLAGS: tuple[tuple[str, str, type, str], ...] = (
    ("--queue-max-messages", "queue_max_messages", int, "messages stored per offline identity"),
    ("--queue-max-bytes", "queue_max_bytes", int, "bytes stored per offline identity"),
    ("--queue-max-total-bytes", "queue_max_total_bytes", int, "bytes stored in all queues"),
    ("--queue-ttl", "queue_ttl_s", float, "seconds a stored message waits before it is dropped"),
    ("--snapshot-max-bytes", "snapshot_max_bytes", int, "ConfigSnapshot exclusive KV bytes"),
    ("--lock-history-max", "lock_history_max", int, "ended sessions remembered for resume"),
    ("--keepalive-time", "keepalive_time_s", float, "seconds of silence before a PING"),
    ("--keepalive-timeout", "keepalive_timeout_s", float, "seconds to wait for the PING ack"),
)


def add_limit_flags(parser: argparse.ArgumentParser) -> None:
    defaults = GatewayConfig()
    for flag, name, kind, what in _FLAGS:
        default = getattr(defaults, name)
        parser.add_argument(flag, type=kind, dest=name, help=f"{what} (default {default})")


def with_limits(config: GatewayConfig, args: argparse.Namespace) -> GatewayConfig:
    """`config` with every limit flag that was given."""
    given = {name: v for _, name, _, _ in _FLAGS if (v := getattr(args, name, None)) is not None}
    return dataclasses.replace(config, **given)
