"""Task operations of the async clients."""

from __future__ import annotations

from collections.abc import Mapping

from scitrera_aether_client._core import frames as ops
from scitrera_aether_client._facade.async_base import AsyncOps
from scitrera_aether_client._generated.operations import is_idempotent
from scitrera_aether_client.proto import aether_pb2

TO = aether_pb2.TaskOperation
Auth = aether_pb2.AuthorizationContext | None


# Lines marked `# async-only` are left out of the sync twin, so both flavours keep the reference's
# signatures: it gives authorization and task_class to create_task, and target_identity and
# task_class to create_task_sync, in its asyncio client only.


class AsyncTaskOps(AsyncOps):
    async def create_task(
        self,
        task_type: str,
        workspace: str,
        target_agent_id: str = "",
        target_implementation: str = "",
        launch_param_overrides: Mapping[str, str] | None = None,
        metadata: Mapping[str, str] | None = None,
        payload: bytes | None = None,
        assignment_mode: int = aether_pb2.SELF_ASSIGN,
        authorization: Auth = None,  # async-only
        task_class: int = 0,  # async-only
        context_id: str = "",
        priority: int = 0,
        retry_policy: aether_pb2.RetryPolicy | None = None,
        parent_task_id: str = "",
    ) -> None:
        """Create a task without waiting (see create_task_sync for the response)."""
        self._conn.enqueue(
            ops.create_task(
                task_type,
                workspace,
                target_agent_id,
                target_implementation,
                launch_param_overrides,
                metadata,
                payload,
                assignment_mode,
                authorization=authorization,  # async-only
                task_class=task_class,  # async-only
                context_id=context_id,
                priority=priority,
                retry_policy=retry_policy,
                parent_task_id=parent_task_id,
            )
        )

    async def create_task_sync(
        self,
        task_type: str,
        workspace: str,
        target_agent_id: str = "",
        target_implementation: str = "",
        launch_param_overrides: Mapping[str, str] | None = None,
        metadata: Mapping[str, str] | None = None,
        payload: bytes | None = None,
        assignment_mode: int = aether_pb2.SELF_ASSIGN,
        authorization: Auth = None,
        timeout: float = 10.0,
        target_identity: str = "",  # async-only
        task_class: int = 0,  # async-only
        context_id: str = "",
        priority: int = 0,
        retry_policy: aether_pb2.RetryPolicy | None = None,
        parent_task_id: str = "",
    ) -> aether_pb2.CreateTaskResponse | None:
        frame = ops.create_task(
            task_type,
            workspace,
            target_agent_id,
            target_implementation,
            launch_param_overrides,
            metadata,
            payload,
            assignment_mode,
            authorization=authorization,
            task_class=task_class,  # async-only
            context_id=context_id,
            priority=priority,
            retry_policy=retry_policy,
            parent_task_id=parent_task_id,
            target_identity=target_identity,  # async-only
        )
        return await self._request(frame, aether_pb2.CreateTaskResponse, timeout)

    async def query_tasks(
        self,
        workspace: str = "",
        status: str = "",
        statuses: list[str] | None = None,
        task_type: str = "",
        limit: int = 0,
        offset: int = 0,
        timeout: float = 10.0,
    ) -> aether_pb2.TaskQueryResponse | None:
        frame = ops.task_query_list(workspace, status, statuses, task_type, limit, offset)
        return await self._request(
            frame, aether_pb2.TaskQueryResponse, timeout, is_idempotent(frame)
        )

    async def get_task(
        self, task_id: str, timeout: float = 10.0
    ) -> aether_pb2.TaskQueryResponse | None:
        frame = ops.task_query_get(task_id)
        return await self._request(
            frame, aether_pb2.TaskQueryResponse, timeout, is_idempotent(frame)
        )

    async def _task_op(
        self, op: int, task_id: str, reason: str, timeout: float
    ) -> aether_pb2.TaskOperationResponse | None:
        frame = ops.task_op(op, task_id, reason)
        return await self._request(frame, aether_pb2.TaskOperationResponse, timeout)

    async def cancel_task(
        self, task_id: str, reason: str = "", timeout: float = 10.0
    ) -> aether_pb2.TaskOperationResponse | None:
        return await self._task_op(TO.CANCEL, task_id, reason, timeout)

    async def complete_task(
        self, task_id: str, reason: str = "", timeout: float = 10.0
    ) -> aether_pb2.TaskOperationResponse | None:
        return await self._task_op(TO.COMPLETE, task_id, reason, timeout)

    async def fail_task(
        self, task_id: str, reason: str = "", timeout: float = 10.0
    ) -> aether_pb2.TaskOperationResponse | None:
        return await self._task_op(TO.FAIL, task_id, reason, timeout)

    async def retry_task(
        self, task_id: str, reason: str = "", timeout: float = 10.0
    ) -> aether_pb2.TaskOperationResponse | None:
        return await self._task_op(TO.RETRY, task_id, reason, timeout)
