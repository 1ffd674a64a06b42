"""The generated sync twins keep the sync API: the same methods and parameters as their async
sources, blocking instead of coroutines, minus only the parameters the reference gives the async
flavour alone (the `# async-only` lines of _facade/async_tasks.py)."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from scitrera_aether_client import AgentClient, AsyncAgentClient
from scitrera_aether_client._facade.async_admin import AsyncAdminOps
from scitrera_aether_client._facade.async_tasks import AsyncTaskOps
from scitrera_aether_client._facade.sync_admin import SyncAdminOps
from scitrera_aether_client._facade.sync_tasks import SyncTaskOps
from scitrera_aether_client.admin import AdminClient
from scitrera_aether_client.admin_async import AsyncAdminClient
from scitrera_aether_client.exceptions import InvalidArgumentError
from scitrera_aether_client.proto import aether_pb2

PAIRS = [
    (SyncAdminOps, AsyncAdminOps),
    (SyncTaskOps, AsyncTaskOps),
    (AdminClient, AsyncAdminClient),
]
ASYNC_ONLY = {
    "create_task": ["authorization", "task_class"],
    "create_task_sync": ["target_identity", "task_class"],
}


def _methods(cls: type) -> dict[str, Any]:
    # Inherited ones too: AdminClient is made of parts (the twins of AsyncAdminClient's parts).
    return {n: f for n, f in inspect.getmembers(cls, inspect.isfunction) if n != "__init__"}


@pytest.mark.parametrize(("sync", "async_"), PAIRS, ids=lambda c: c.__name__)
def test_twin_has_the_methods_of_its_source_blocking(sync: type, async_: type) -> None:
    sync_methods, async_methods = _methods(sync), _methods(async_)
    assert set(sync_methods) == set(async_methods)
    for name, fn in sync_methods.items():
        assert not inspect.iscoroutinefunction(fn), name
        assert inspect.iscoroutinefunction(async_methods[name]), name
        params = list(inspect.signature(async_methods[name]).parameters.values())
        dropped = ASYNC_ONLY.get(name, []) if sync is SyncTaskOps else []
        expected = [p for p in params if p.name not in dropped]
        assert list(inspect.signature(fn).parameters.values()) == expected, name


def test_the_reference_sync_task_signatures() -> None:
    def names(fn: Any) -> list[str]:
        return list(inspect.signature(fn).parameters)[1:]

    head = ["task_type", "workspace", "target_agent_id", "target_implementation"]
    head += ["launch_param_overrides", "metadata", "payload", "assignment_mode"]
    tail = ["context_id", "priority", "retry_policy", "parent_task_id"]
    assert names(AgentClient.create_task) == [*head, *tail]
    assert names(AsyncAgentClient.create_task) == [*head, "authorization", "task_class", *tail]
    assert names(AgentClient.create_task_sync) == [*head, "authorization", "timeout", *tail]
    assert names(AsyncAgentClient.create_task_sync) == [
        *head,
        "authorization",
        "timeout",
        "target_identity",
        "task_class",
        *tail,
    ]


def test_sync_calls_refuse_a_bad_timeout_before_sending() -> None:
    """The sync twins' one primitive, SyncOps._request, checks the timeout as the async one does."""
    with AgentClient("ws", "impl", "twin-timeouts") as client:
        for call in (
            lambda: client.get_task("t-1", timeout=0),
            lambda: client.cancel_task("t-1", timeout=-1),
            lambda: client.workspace_op(aether_pb2.WorkspaceOperation(), timeout=0),
            lambda: AdminClient(client).list_workspaces(timeout=-2),
        ):
            with pytest.raises(InvalidArgumentError) as info:
                call()
            assert info.value.argument == "timeout"
        assert len(client._conn.outbox) == 0  # nothing was queued by the refused calls


async def test_async_calls_refuse_a_bad_timeout_before_sending() -> None:
    client = AsyncAgentClient("ws", "impl", "twin-timeouts-async")
    for call in (
        lambda: client.get_task("t-1", timeout=0),
        lambda: client.cancel_task("t-1", timeout=-1),
        lambda: client.workspace_op(aether_pb2.WorkspaceOperation(), timeout=0),
        lambda: AsyncAdminClient(client).list_workspaces(timeout=-2),
    ):
        with pytest.raises(InvalidArgumentError) as info:
            await call()
        assert info.value.argument == "timeout"
    assert len(client._conn.outbox) == 0
    await client.close()
