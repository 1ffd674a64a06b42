"""The sync client's fire-and-forget kv_set_nx sends nothing (the method the sync client lacked)."""

from __future__ import annotations

FAULT = "sync kv_set_nx returns without enqueuing its frame, so on_kv_response never hears of it"
CAUGHT_BY = [
    "tests/e2e/test_operation_methods.py::test_sync_fire_and_forget_forms_answer_through_on_kv_response",
]


def plant() -> None:
    from scitrera_aether_client._generated.storage import SyncStorageOps

    SyncStorageOps.kv_set_nx = lambda self, *args, **kw: None  # type: ignore[method-assign]
