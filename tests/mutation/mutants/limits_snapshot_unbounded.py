"""No ConfigSnapshot budget: exclusive writes are never refused and the snapshot is never trimmed,
so 17 MiB of exclusive KV make every connect of that agent fail."""

from __future__ import annotations

FAULT = "handlers.kv._past_snapshot never refuses and services.trim_snapshot keeps everything"
CAUGHT_BY = [
    "tests/e2e/gateway/test_limits.py::"
    "test_exclusive_writes_past_the_snapshot_limit_are_refused_and_the_agent_reconnects",
    "tests/e2e/gateway/test_limits.py::"
    "test_a_stored_snapshot_over_the_limit_is_trimmed_and_the_rest_stays_readable",
]


def plant() -> None:
    from collections.abc import Mapping

    from aether_gateway import services
    from aether_gateway.handlers import kv

    def keep_all(parts: list[Mapping[str, bytes]], budget: int, who: str) -> list[dict[str, bytes]]:
        return [dict(p) for p in parts]

    kv._past_snapshot = lambda *args: None
    services.trim_snapshot = keep_all  # type: ignore[attr-defined]
