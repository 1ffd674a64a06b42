"""Gateway settings, with the defaults of the sheet."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from scitrera_aether_client.wire import BY_ARM, VALID_PREFIXES, PrincipalSpec


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    dev_mode: bool = False  # admit anonymous principals and allow admin to everyone (warns)
    data_path: str = ":memory:"  # SQLite file, or ":memory:" for tests
    max_payload: int = 1 << 20  # SendMessage payload cap (ERR_PAYLOAD_TOO_LARGE)
    init_timeout_s: float = 30.0  # wait for InitConnection
    # Offer the delivery extension (delivery.py): confirmed sends, acknowledged deliveries.
    delivery_extension: bool = True
    rate_per_s: float = 50_000.0  # upstream frames per session per second (ERR_RATE_LIMITED)
    rate_burst: float = 100_000.0
    server_version: str = "aether-gateway-py/0.1.0"
    max_message_bytes: int = 16 << 20  # gRPC frame cap; above the proxy's 8 MiB inline body
    # The principal table (by InitConnection arm) and topic prefixes from principals.yaml;
    # replaceable so a gateway can serve a freshly generated spec (generator functional tests).
    principals: Mapping[str, PrincipalSpec] = field(default_factory=lambda: BY_ARM)
    prefixes: frozenset[str] = VALID_PREFIXES
    # Credentials (docs/security.md): a startup order's task token lives this long, and live
    # sessions are re-checked this often for keys revoked from another process (the CLI).
    task_token_ttl_s: int = 24 * 3600
    credential_check_s: float = 1.0
    # Resource limits (docs/gateway.md "Limits"): what one client can make the gateway hold.
    queue_max_messages: int = 100_000  # frames stored for one identity topic (ERR_QUEUE_FULL)
    queue_max_bytes: int = 64 << 20  # bytes stored for one identity topic (ERR_QUEUE_FULL)
    queue_max_total_bytes: int = 1 << 30  # bytes stored over all identity topics
    queue_ttl_s: float = 7 * 86_400.0  # a stored frame older than this is dropped undelivered
    snapshot_max_bytes: int = 3 << 20  # ConfigSnapshot KV: under a client's default 4 MiB frame
    lock_history_max: int = 10_000  # ended sessions remembered for resume_session_id
    keepalive_time_s: float = 20.0  # HTTP/2 PING to each client after this much silence
    keepalive_timeout_s: float = 10.0  # no PING ack by then: the peer is dead, its identity free
    # Ops endpoint (docs/gateway.md "Operations"): /metrics, /healthz, /readyz over HTTP.
    ops_port: int | None = None  # None: off; 0: a free port (EmbeddedGateway.ops_url says which)
    ops_host: str = "127.0.0.1"
