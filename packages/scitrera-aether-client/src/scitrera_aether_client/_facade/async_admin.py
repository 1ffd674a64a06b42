"""Raw admin primitives and session operations of the async clients."""

from __future__ import annotations

from typing import Any, TypeVar

from scitrera_aether_client._core.admin_ops import session_disconnect, session_get, session_list
from scitrera_aether_client._facade.async_base import AsyncOps
from scitrera_aether_client._generated.operations import is_idempotent
from scitrera_aether_client.proto import aether_pb2

Auth = aether_pb2.AuthorizationContext | None
R = TypeVar("R")


class AsyncAdminOps(AsyncOps):
    async def _op(self, arm: str, expect: type[R], op: Any, timeout: float) -> R | None:
        # Admin reads the operation table marks idempotent are resent after a reconnect.
        frame = aether_pb2.UpstreamMessage(**{arm: op})
        return await self._request(frame, expect, timeout, is_idempotent(frame))

    async def workspace_op(
        self, op: aether_pb2.WorkspaceOperation, timeout: float = 10.0
    ) -> aether_pb2.WorkspaceResponse | None:
        return await self._op("workspace_op", aether_pb2.WorkspaceResponse, op, timeout)

    async def agent_op(
        self, op: aether_pb2.AgentOperation, timeout: float = 10.0
    ) -> aether_pb2.AgentResponse | None:
        return await self._op("agent_op", aether_pb2.AgentResponse, op, timeout)

    async def acl_op(
        self, op: aether_pb2.ACLOperation, timeout: float = 10.0
    ) -> aether_pb2.ACLResponse | None:
        return await self._op("acl_op", aether_pb2.ACLResponse, op, timeout)

    async def token_op(
        self, op: aether_pb2.TokenOperation, timeout: float = 10.0
    ) -> aether_pb2.TokenResponse | None:
        return await self._op("token_op", aether_pb2.TokenResponse, op, timeout)

    async def session_op(
        self, op: aether_pb2.SessionOperation, timeout: float = 10.0
    ) -> aether_pb2.SessionOperationResponse | None:
        return await self._op("session_op", aether_pb2.SessionOperationResponse, op, timeout)

    async def workflow_op(
        self, op: aether_pb2.WorkflowOperation, timeout: float = 10.0
    ) -> aether_pb2.WorkflowResponse | None:
        return await self._op("workflow_op", aether_pb2.WorkflowResponse, op, timeout)

    async def admin_query(
        self, op: aether_pb2.AdminQuery, timeout: float = 10.0
    ) -> aether_pb2.AdminResponse | None:
        return await self._op("admin_query", aether_pb2.AdminResponse, op, timeout)

    async def send_workflow_response(self, response: aether_pb2.WorkflowResponse) -> None:
        """Workflow engines answer a forwarded WorkflowOperation with this."""
        self._conn.enqueue(aether_pb2.UpstreamMessage(workflow_response=response))

    async def list_sessions(
        self,
        *,
        principal_type: str = "",
        workspace: str = "",
        limit: int = 0,
        offset: int = 0,
        authorization: Auth = None,
        timeout: float = 10.0,
    ) -> aether_pb2.SessionOperationResponse | None:
        return await self.session_op(
            session_list(principal_type, workspace, limit, offset, authorization), timeout
        )

    async def get_session(
        self, session_id: str, authorization: Auth = None, timeout: float = 10.0
    ) -> aether_pb2.SessionOperationResponse | None:
        return await self.session_op(session_get(session_id, authorization), timeout)

    async def disconnect_session(
        self, session_id: str, reason: str = "", authorization: Auth = None, timeout: float = 10.0
    ) -> aether_pb2.SessionOperationResponse | None:
        return await self.session_op(session_disconnect(session_id, reason, authorization), timeout)
