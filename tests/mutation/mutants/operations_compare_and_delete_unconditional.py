"""COMPARE_AND_DELETE deletes whatever the stored value is."""

from __future__ import annotations

FAULT = "store.kv.Operations.compare_and_delete ignores expected_value and always deletes"
CAUGHT_BY = [
    "tests/e2e/test_operation_methods.py::test_async_compare_and_delete_deletes_only_on_a_match",
    "tests/e2e/test_operation_methods.py::test_sync_blocking_forms_return_the_response",
]


def plant() -> None:
    from aether_gateway.store.kv import KVStore, Op, Operations, Response

    def compare_and_delete(store: KVStore, ns: str, op: Op) -> Response:
        store.delete(ns, op.key)
        return Response(applied=True)

    Operations.compare_and_delete = staticmethod(compare_and_delete)  # type: ignore[method-assign, assignment]
