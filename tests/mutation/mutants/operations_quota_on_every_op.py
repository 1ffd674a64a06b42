"""The KV value-size quota applies to every op, not only to the table's value writes."""

from __future__ import annotations

FAULT = "handle_kv treats every op as a value write, so an oversized value fails a GET or DELETE"
CAUGHT_BY = [
    "tests/gateway_unit/test_kv_operation_table.py::test_the_value_quota_applies_to_value_writes_only",
]


def plant() -> None:
    import dataclasses

    from aether_gateway.handlers import kv

    kv.KV_OPERATIONS = {  # type: ignore[attr-defined]
        op: dataclasses.replace(spec, kind="value_write") for op, spec in kv.KV_OPERATIONS.items()
    }
