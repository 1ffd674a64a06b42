"""The KV ACL stops reading the operation table: every op, reads included, needs READWRITE."""

from __future__ import annotations

FAULT = "kv_refusal ignores the table's kind, so a READ grant no longer opens GET and LIST"
CAUGHT_BY = [
    "tests/gateway_unit/test_kv_operation_table.py::test_acl_asks_read_for_reads_and_readwrite_for_the_rest",
]


def plant() -> None:
    from aether_gateway.handlers import kv, kv_acl

    real = kv_acl.kv_refusal
    kv_acl.kv_refusal = lambda acl, caller, op, spec: real(acl, caller, op, None)  # type: ignore[assignment]
    kv.kv_refusal = kv_acl.kv_refusal  # type: ignore[attr-defined]
