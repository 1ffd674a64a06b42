"""What the gateway keeps for AsyncAdminClient to manage: API keys, workspaces and the agent
registry."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from scitrera_aether_client._admin.async_base import AsyncAdminBase
from scitrera_aether_client._core import admin_requests as req
from scitrera_aether_client.proto import aether_pb2

AG = aether_pb2.AgentOperation
WS = aether_pb2.WorkspaceOperation
TK = aether_pb2.TokenOperation


class AsyncRegistryAdmin(AsyncAdminBase):
    # ------------------------------------------------------------------ tokens

    async def create_token(
        self,
        name: str,
        principal_type: str = "",
        workspace_patterns: Iterable[str] | None = None,
        scopes: Iterable[str] | None = None,
        expires_in_hours: int = 0,
        created_by: str = "",
        timeout: float = 10.0,
    ) -> aether_pb2.TokenResponse | None:
        """Mint an API key; `.plaintext_token` is shown only in this response."""
        request = req.create_token(
            name, principal_type, workspace_patterns, scopes, expires_in_hours, created_by
        )
        return await self._run(request, timeout)

    async def revoke_token(
        self, token_id: str, timeout: float = 10.0
    ) -> aether_pb2.TokenResponse | None:
        return await self._run(req.token_by_id(TK.REVOKE, token_id), timeout)

    async def list_tokens(
        self, include_revoked: bool = False, limit: int = 0, offset: int = 0, timeout: float = 10.0
    ) -> aether_pb2.TokenResponse | None:
        return await self._run(req.list_tokens(include_revoked, limit, offset), timeout)

    async def get_token(
        self, token_id: str, timeout: float = 10.0
    ) -> aether_pb2.TokenResponse | None:
        """One token's metadata (an addition to the reference)."""
        return await self._run(req.token_by_id(TK.GET, token_id), timeout)

    async def delete_token(
        self, token_id: str, timeout: float = 10.0
    ) -> aether_pb2.TokenResponse | None:
        """Remove a token for good (an addition; revoke_token keeps it listed as revoked)."""
        return await self._run(req.token_by_id(TK.DELETE, token_id), timeout)

    # ------------------------------------------------------------------ workspaces

    async def list_workspaces(
        self, limit: int = 0, offset: int = 0, timeout: float = 10.0
    ) -> aether_pb2.WorkspaceResponse | None:
        return await self._run(req.list_workspaces(limit, offset), timeout)

    async def create_workspace(
        self,
        workspace_id: str,
        display_name: str = "",
        description: str = "",
        metadata: Mapping[str, str] | None = None,
        timeout: float = 10.0,
    ) -> aether_pb2.WorkspaceResponse | None:
        request = req.write_workspace(WS.CREATE, workspace_id, display_name, description, metadata)
        return await self._run(request, timeout)

    async def update_workspace(
        self,
        workspace_id: str,
        display_name: str = "",
        description: str = "",
        metadata: Mapping[str, str] | None = None,
        timeout: float = 10.0,
    ) -> aether_pb2.WorkspaceResponse | None:
        request = req.write_workspace(WS.UPDATE, workspace_id, display_name, description, metadata)
        return await self._run(request, timeout)

    async def delete_workspace(
        self, workspace_id: str, timeout: float = 10.0
    ) -> aether_pb2.WorkspaceResponse | None:
        return await self._run(req.workspace_by_id(WS.DELETE, workspace_id), timeout)

    async def get_workspace(
        self, workspace_id: str, timeout: float = 10.0
    ) -> aether_pb2.WorkspaceResponse | None:
        return await self._run(req.workspace_by_id(WS.GET, workspace_id), timeout)

    # ------------------------------------------------------------------ agents

    async def list_agents(
        self, orchestrator_profile: str = "", limit: int = 0, offset: int = 0, timeout: float = 10.0
    ) -> aether_pb2.AgentResponse | None:
        return await self._run(req.list_agents(orchestrator_profile, limit, offset), timeout)

    async def get_agent(
        self, implementation: str, timeout: float = 10.0
    ) -> aether_pb2.AgentResponse | None:
        return await self._run(req.agent_by_implementation(AG.GET, implementation), timeout)

    async def register_agent(
        self,
        implementation: str,
        orchestrator_profile: str = "",
        description: str = "",
        launch_params: Mapping[str, str] | None = None,
        capabilities: Mapping[str, bool] | None = None,
        extensions: Iterable[str] | None = None,
        resource_schema: Iterable[req.SchemaEntry] | None = None,
        timeout: float = 10.0,
    ) -> aether_pb2.AgentResponse | None:
        """Add an agent implementation to the registry; `resource_schema` takes dicts or protos."""
        request = req.write_agent(
            AG.REGISTER,
            implementation,
            orchestrator_profile,
            description,
            launch_params,
            capabilities,
            extensions,
            resource_schema,
        )
        return await self._run(request, timeout)

    async def update_agent(
        self,
        implementation: str,
        orchestrator_profile: str = "",
        description: str = "",
        launch_params: Mapping[str, str] | None = None,
        capabilities: Mapping[str, bool] | None = None,
        extensions: Iterable[str] | None = None,
        resource_schema: Iterable[req.SchemaEntry] | None = None,
        timeout: float = 10.0,
    ) -> aether_pb2.AgentResponse | None:
        request = req.write_agent(
            AG.UPDATE,
            implementation,
            orchestrator_profile,
            description,
            launch_params,
            capabilities,
            extensions,
            resource_schema,
        )
        return await self._run(request, timeout)

    async def delete_agent(
        self, implementation: str, timeout: float = 10.0
    ) -> aether_pb2.AgentResponse | None:
        return await self._run(req.agent_by_implementation(AG.DELETE, implementation), timeout)

    async def list_orchestrators(self, timeout: float = 10.0) -> aether_pb2.AgentResponse | None:
        """Connected orchestrators and their profiles (an addition to the reference)."""
        return await self._run(req.list_orchestrators(), timeout)
