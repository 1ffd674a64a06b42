"""KV and checkpoint TTLs are not bounded: 2**63-1 overflows SQLite and answers ERR_INTERNAL."""

from __future__ import annotations

FAULT = "ttl_problem accepts any TTL in the KV and checkpoint handlers"
CAUGHT_BY = [
    "tests/e2e/gateway/test_bad_input.py::"
    "test_out_of_range_numbers_are_answered_not_internal_errors",
]


def plant() -> None:
    from aether_gateway.handlers import checkpoints, kv

    kv.ttl_problem = lambda name, ttl: None  # type: ignore[assignment, attr-defined]
    checkpoints.ttl_problem = lambda name, ttl: None  # type: ignore[assignment, attr-defined]
