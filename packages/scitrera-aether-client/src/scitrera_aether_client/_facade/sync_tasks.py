"""Task operations of the sync clients."""

from __future__ import annotations

from collections.abc import Mapping

from scitrera_aether_client._core import ops
from scitrera_aether_client._facade.sync_base import SyncOps
from scitrera_aether_client.proto import aether_pb2

TO = aether_pb2.TaskOperation
Auth = aether_pb2.AuthorizationContext | None


class SyncTaskOps(SyncOps):
    def create_task(
        self,
        task_type: str,
        workspace: str,
        target_agent_id: str = "",
        target_implementation: str = "",
        launch_param_overrides: Mapping[str, str] | None = None,
        metadata: Mapping[str, str] | None = None,
        payload: bytes | None = None,
        assignment_mode: int = aether_pb2.SELF_ASSIGN,
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
                context_id=context_id,
                priority=priority,
                retry_policy=retry_policy,
                parent_task_id=parent_task_id,
            )
        )

    def create_task_sync(
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
            context_id=context_id,
            priority=priority,
            retry_policy=retry_policy,
            parent_task_id=parent_task_id,
        )
        return self._request(frame, aether_pb2.CreateTaskResponse, timeout)

    def query_tasks(
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
        return self._request(frame, aether_pb2.TaskQueryResponse, timeout, True)

    def get_task(self, task_id: str, timeout: float = 10.0) -> aether_pb2.TaskQueryResponse | None:
        return self._request(
            ops.task_query_get(task_id), aether_pb2.TaskQueryResponse, timeout, True
        )

    def cancel_task(
        self, task_id: str, reason: str = "", timeout: float = 10.0
    ) -> aether_pb2.TaskOperationResponse | None:
        return self._request(
            ops.task_op(TO.CANCEL, task_id, reason), aether_pb2.TaskOperationResponse, timeout
        )

    def complete_task(
        self, task_id: str, reason: str = "", timeout: float = 10.0
    ) -> aether_pb2.TaskOperationResponse | None:
        return self._request(
            ops.task_op(TO.COMPLETE, task_id, reason), aether_pb2.TaskOperationResponse, timeout
        )

    def fail_task(
        self, task_id: str, reason: str = "", timeout: float = 10.0
    ) -> aether_pb2.TaskOperationResponse | None:
        return self._request(
            ops.task_op(TO.FAIL, task_id, reason), aether_pb2.TaskOperationResponse, timeout
        )

    def retry_task(
        self, task_id: str, reason: str = "", timeout: float = 10.0
    ) -> aether_pb2.TaskOperationResponse | None:
        return self._request(
            ops.task_op(TO.RETRY, task_id, reason), aether_pb2.TaskOperationResponse, timeout
        )
