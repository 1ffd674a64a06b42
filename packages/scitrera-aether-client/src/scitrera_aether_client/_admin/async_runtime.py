"""What is live at the gateway, for AsyncAdminClient: sessions, the workflow engine's rules and
the gateway's health."""

from __future__ import annotations

from scitrera_aether_client._admin.async_base import AsyncAdminBase
from scitrera_aether_client._core import admin_requests as req
from scitrera_aether_client.exceptions import AetherError
from scitrera_aether_client.health import GatewayHealth
from scitrera_aether_client.proto import aether_pb2


class AsyncRuntimeAdmin(AsyncAdminBase):
    # ------------------------------------------------------------------ workflow rules

    async def list_workflow_rules(
        self, workspace: str = "", timeout: float = 10.0
    ) -> aether_pb2.WorkflowResponse | None:
        """Rules as JSON in `.data`, answered by the connected workflow engine ("" = all)."""
        return await self._run(req.list_workflow_rules(workspace), timeout)

    async def get_workflow_rule(
        self, rule_id: int | str, workspace: str = "", timeout: float = 10.0
    ) -> aether_pb2.WorkflowResponse | None:
        return await self._run(req.get_workflow_rule(rule_id, workspace), timeout)

    # ------------------------------------------------------------------ sessions

    async def list_connections(
        self,
        principal_type: str = "",
        workspace: str = "",
        limit: int = 0,
        offset: int = 0,
        timeout: float = 10.0,
    ) -> aether_pb2.SessionOperationResponse | None:
        """Live sessions; `principal_type` is "agent", "user", "workflow_engine", ... or ""."""
        request = req.list_connections(principal_type, workspace, limit, offset)
        return await self._run(request, timeout)

    async def get_connection(
        self, session_id: str, timeout: float = 10.0
    ) -> aether_pb2.SessionOperationResponse | None:
        """One live session (an addition to the reference)."""
        return await self._run(req.get_connection(session_id), timeout)

    async def disconnect_session(
        self, session_id: str, reason: str = "", timeout: float = 10.0
    ) -> aether_pb2.SessionOperationResponse | None:
        """Force a session off (it gets FORCE_DISCONNECT and does not reconnect)."""
        return await self._run(req.disconnect_session(session_id, reason), timeout)

    # ------------------------------------------------------------------ health

    async def health(self, timeout: float = 10.0) -> GatewayHealth:
        """Gateway health. Raises NotImplementedError on a gateway without the health query
        and TimeoutError when no answer comes within `timeout`."""
        try:
            response = await self._run(req.health(), timeout)
        except AetherError as error:
            raise req.health_error(error) from None
        return GatewayHealth.from_response(req.health_answer(response, timeout))
