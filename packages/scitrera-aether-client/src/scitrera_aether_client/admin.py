"""AdminClient: workspaces, API keys, ACL rules, the agent registry, workflow rules, sessions and
gateway health, over an already-connected synchronous client.

    admin = AdminClient(agent)
    admin.create_workspace(workspace_id="ws-1", display_name="Workspace One")
    token = admin.create_token(name="ci-token", principal_type="agent")
    print(token.plaintext_token)

Every call is correlated by request_id and returns the response proto, or None when no answer
came within `timeout` (as in the reference). A refusal raises PermissionDeniedError, whether the
gateway sent an ErrorResponse or a `success=false` response saying "permission denied"; other
failures are `success=false` responses. Bad arguments raise InvalidArgumentError before anything
is sent. AsyncAdminClient (admin_async) has the same methods as coroutines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

from scitrera_aether_client._core import admin_acl_requests as acl_req
from scitrera_aether_client._core import admin_requests as req
from scitrera_aether_client._core.validation import check_timeout
from scitrera_aether_client.client import BaseAetherClient
from scitrera_aether_client.client_async import BaseAsyncAetherClient
from scitrera_aether_client.exceptions import AetherError
from scitrera_aether_client.health import GatewayHealth
from scitrera_aether_client.proto import aether_pb2

__all__ = ["AdminClient", "GatewayHealth"]

R = TypeVar("R")
Auth = aether_pb2.AuthorizationContext | None
ACL = aether_pb2.ACLOperation
AG = aether_pb2.AgentOperation
WS = aether_pb2.WorkspaceOperation
TK = aether_pb2.TokenOperation


class AdminClient:
    """Admin operations over a connected sync client; it owns no connection of its own."""

    def __init__(self, client: BaseAetherClient) -> None:
        req.check_client(client, BaseAsyncAetherClient, "; use AsyncAdminClient for async clients")
        self.client = client

    def _run(self, request: req.AdminRequest[R], timeout: float) -> R | None:
        check_timeout("timeout", timeout)
        send = getattr(self.client, request.primitive)
        return request.accept(send(request.op, timeout))

    # ------------------------------------------------------------------ tokens

    def create_token(
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
        return self._run(request, timeout)

    def revoke_token(self, token_id: str, timeout: float = 10.0) -> aether_pb2.TokenResponse | None:
        return self._run(req.token_by_id(TK.REVOKE, token_id), timeout)

    def list_tokens(
        self, include_revoked: bool = False, limit: int = 0, offset: int = 0, timeout: float = 10.0
    ) -> aether_pb2.TokenResponse | None:
        return self._run(req.list_tokens(include_revoked, limit, offset), timeout)

    def get_token(self, token_id: str, timeout: float = 10.0) -> aether_pb2.TokenResponse | None:
        """One token's metadata (an addition to the reference)."""
        return self._run(req.token_by_id(TK.GET, token_id), timeout)

    def delete_token(self, token_id: str, timeout: float = 10.0) -> aether_pb2.TokenResponse | None:
        """Remove a token for good (an addition; revoke_token keeps it listed as revoked)."""
        return self._run(req.token_by_id(TK.DELETE, token_id), timeout)

    # ------------------------------------------------------------------ ACL rules

    def create_acl_rule(
        self,
        principal_type: str,
        principal_id: str,
        resource_type: str,
        resource_id: str,
        access_level: int,
        granted_by: str = "",
        reason: str = "",
        expires_at: int = 0,
        authorization: Auth = None,
        timeout: float = 10.0,
    ) -> aether_pb2.ACLResponse | None:
        """Grant `access_level` (0 NONE, 10 READ, 20 READWRITE, 30 MANAGE, 40 ADMIN)."""
        request = acl_req.create_acl_rule(
            principal_type,
            principal_id,
            resource_type,
            resource_id,
            access_level,
            granted_by,
            reason,
            expires_at,
            authorization,
        )
        return self._run(request, timeout)

    def delete_acl_rule(
        self, rule_id: str | int, authorization: Auth = None, timeout: float = 10.0
    ) -> aether_pb2.ACLResponse | None:
        return self._run(acl_req.delete_acl_rule(rule_id, authorization), timeout)

    def revoke_acl_rule(
        self,
        principal_type: str,
        principal_id: str,
        resource_type: str,
        resource_id: str,
        authorization: Auth = None,
        timeout: float = 10.0,
    ) -> aether_pb2.ACLResponse | None:
        request = acl_req.revoke_acl_rule(
            principal_type, principal_id, resource_type, resource_id, authorization
        )
        return self._run(request, timeout)

    def list_acl_rules(
        self,
        principal_type: str = "",
        principal_id: str = "",
        resource_type: str = "",
        resource_id: str = "",
        limit: int = 0,
        offset: int = 0,
        authorization: Auth = None,
        timeout: float = 10.0,
    ) -> aether_pb2.ACLResponse | None:
        request = acl_req.list_acl_rules(
            principal_type, principal_id, resource_type, resource_id, limit, offset, authorization
        )
        return self._run(request, timeout)

    def get_fallback_policy(
        self, rule_category: str, timeout: float = 10.0
    ) -> aether_pb2.ACLResponse | None:
        """The fallback of category "{principal_type}_{resource_type}", e.g. "agent_workspace"."""
        return self._run(acl_req.get_fallback_policy(rule_category), timeout)

    def set_fallback_policy(
        self,
        rule_category: str,
        fallback_access_level: int,
        updated_by: str = "",
        timeout: float = 10.0,
    ) -> aether_pb2.ACLResponse | None:
        request = acl_req.set_fallback_policy(rule_category, fallback_access_level, updated_by)
        return self._run(request, timeout)

    def explain_access(
        self,
        principal_type: str,
        principal_id: str,
        resource_type: str,
        resource_id: str,
        required_level: int = 0,
        timeout: float = 10.0,
    ) -> aether_pb2.ACLResponse | None:
        request = acl_req.explain_access(
            principal_type, principal_id, resource_type, resource_id, required_level
        )
        return self._run(request, timeout)

    # ------------------------------------------------------------------ ACL roles

    def create_role(
        self,
        name: str,
        description: str = "",
        created_by: str = "",
        metadata: Mapping[str, str] | None = None,
        timeout: float = 10.0,
    ) -> aether_pb2.ACLResponse | None:
        return self._run(acl_req.create_role(name, description, created_by, metadata), timeout)

    def delete_role(self, name: str, timeout: float = 10.0) -> aether_pb2.ACLResponse | None:
        return self._run(acl_req.acl_by_name(ACL.DELETE_ROLE, name), timeout)

    def get_role(self, name: str, timeout: float = 10.0) -> aether_pb2.ACLResponse | None:
        return self._run(acl_req.acl_by_name(ACL.GET_ROLE, name), timeout)

    def list_roles(self, timeout: float = 10.0) -> aether_pb2.ACLResponse | None:
        return self._run(acl_req.acl_list(ACL.LIST_ROLES), timeout)

    def assign_role(
        self,
        name: str,
        assignee_type: str,
        assignee_id: str,
        granted_by: str = "",
        expires_at: int = 0,
        timeout: float = 10.0,
    ) -> aether_pb2.ACLResponse | None:
        request = acl_req.role_assignment(
            ACL.ASSIGN_ROLE, name, assignee_type, assignee_id, granted_by, expires_at
        )
        return self._run(request, timeout)

    def unassign_role(
        self, name: str, assignee_type: str, assignee_id: str, timeout: float = 10.0
    ) -> aether_pb2.ACLResponse | None:
        request = acl_req.role_assignment(
            ACL.UNASSIGN_ROLE, name, assignee_type, assignee_id, "", 0
        )
        return self._run(request, timeout)

    def list_role_assignments(
        self, name: str, timeout: float = 10.0
    ) -> aether_pb2.ACLResponse | None:
        return self._run(acl_req.acl_by_name(ACL.LIST_ROLE_ASSIGNMENTS, name), timeout)

    def list_principal_roles(
        self, principal_type: str, principal_id: str, timeout: float = 10.0
    ) -> aether_pb2.ACLResponse | None:
        request = acl_req.acl_by_principal(ACL.LIST_PRINCIPAL_ROLES, principal_type, principal_id)
        return self._run(request, timeout)

    # ------------------------------------------------------------------ ACL groups

    def create_group(
        self,
        name: str,
        description: str = "",
        created_by: str = "",
        metadata: Mapping[str, str] | None = None,
        timeout: float = 10.0,
    ) -> aether_pb2.ACLResponse | None:
        return self._run(acl_req.create_group(name, description, created_by, metadata), timeout)

    def delete_group(self, name: str, timeout: float = 10.0) -> aether_pb2.ACLResponse | None:
        return self._run(acl_req.acl_by_name(ACL.DELETE_GROUP, name), timeout)

    def get_group(self, name: str, timeout: float = 10.0) -> aether_pb2.ACLResponse | None:
        return self._run(acl_req.acl_by_name(ACL.GET_GROUP, name), timeout)

    def list_groups(self, timeout: float = 10.0) -> aether_pb2.ACLResponse | None:
        return self._run(acl_req.acl_list(ACL.LIST_GROUPS), timeout)

    def add_group_member(
        self,
        name: str,
        member_type: str,
        member_id: str,
        granted_by: str = "",
        expires_at: int = 0,
        timeout: float = 10.0,
    ) -> aether_pb2.ACLResponse | None:
        request = acl_req.group_member(
            ACL.ADD_GROUP_MEMBER, name, member_type, member_id, granted_by, expires_at
        )
        return self._run(request, timeout)

    def remove_group_member(
        self, name: str, member_type: str, member_id: str, timeout: float = 10.0
    ) -> aether_pb2.ACLResponse | None:
        request = acl_req.group_member(ACL.REMOVE_GROUP_MEMBER, name, member_type, member_id, "", 0)
        return self._run(request, timeout)

    def list_group_members(self, name: str, timeout: float = 10.0) -> aether_pb2.ACLResponse | None:
        return self._run(acl_req.acl_by_name(ACL.LIST_GROUP_MEMBERS, name), timeout)

    def list_principal_groups(
        self, principal_type: str, principal_id: str, timeout: float = 10.0
    ) -> aether_pb2.ACLResponse | None:
        request = acl_req.acl_by_principal(ACL.LIST_PRINCIPAL_GROUPS, principal_type, principal_id)
        return self._run(request, timeout)

    # ------------------------------------------------------------------ workspaces

    def list_workspaces(
        self, limit: int = 0, offset: int = 0, timeout: float = 10.0
    ) -> aether_pb2.WorkspaceResponse | None:
        return self._run(req.list_workspaces(limit, offset), timeout)

    def create_workspace(
        self,
        workspace_id: str,
        display_name: str = "",
        description: str = "",
        metadata: Mapping[str, str] | None = None,
        timeout: float = 10.0,
    ) -> aether_pb2.WorkspaceResponse | None:
        request = req.write_workspace(WS.CREATE, workspace_id, display_name, description, metadata)
        return self._run(request, timeout)

    def update_workspace(
        self,
        workspace_id: str,
        display_name: str = "",
        description: str = "",
        metadata: Mapping[str, str] | None = None,
        timeout: float = 10.0,
    ) -> aether_pb2.WorkspaceResponse | None:
        request = req.write_workspace(WS.UPDATE, workspace_id, display_name, description, metadata)
        return self._run(request, timeout)

    def delete_workspace(
        self, workspace_id: str, timeout: float = 10.0
    ) -> aether_pb2.WorkspaceResponse | None:
        return self._run(req.workspace_by_id(WS.DELETE, workspace_id), timeout)

    def get_workspace(
        self, workspace_id: str, timeout: float = 10.0
    ) -> aether_pb2.WorkspaceResponse | None:
        return self._run(req.workspace_by_id(WS.GET, workspace_id), timeout)

    # ------------------------------------------------------------------ agents

    def list_agents(
        self, orchestrator_profile: str = "", limit: int = 0, offset: int = 0, timeout: float = 10.0
    ) -> aether_pb2.AgentResponse | None:
        return self._run(req.list_agents(orchestrator_profile, limit, offset), timeout)

    def get_agent(
        self, implementation: str, timeout: float = 10.0
    ) -> aether_pb2.AgentResponse | None:
        return self._run(req.agent_by_implementation(AG.GET, implementation), timeout)

    def register_agent(
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
        return self._run(request, timeout)

    def update_agent(
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
        return self._run(request, timeout)

    def delete_agent(
        self, implementation: str, timeout: float = 10.0
    ) -> aether_pb2.AgentResponse | None:
        return self._run(req.agent_by_implementation(AG.DELETE, implementation), timeout)

    def list_orchestrators(self, timeout: float = 10.0) -> aether_pb2.AgentResponse | None:
        """Connected orchestrators and their profiles (an addition to the reference)."""
        return self._run(req.list_orchestrators(), timeout)

    # ------------------------------------------------------------------ workflow rules

    def list_workflow_rules(
        self, workspace: str = "", timeout: float = 10.0
    ) -> aether_pb2.WorkflowResponse | None:
        """Rules as JSON in `.data`, answered by the connected workflow engine ("" = all)."""
        return self._run(req.list_workflow_rules(workspace), timeout)

    def get_workflow_rule(
        self, rule_id: int | str, workspace: str = "", timeout: float = 10.0
    ) -> aether_pb2.WorkflowResponse | None:
        return self._run(req.get_workflow_rule(rule_id, workspace), timeout)

    # ------------------------------------------------------------------ sessions

    def list_connections(
        self,
        principal_type: str = "",
        workspace: str = "",
        limit: int = 0,
        offset: int = 0,
        timeout: float = 10.0,
    ) -> aether_pb2.SessionOperationResponse | None:
        """Live sessions; `principal_type` is "agent", "user", "workflow_engine", ... or ""."""
        request = req.list_connections(principal_type, workspace, limit, offset)
        return self._run(request, timeout)

    def get_connection(
        self, session_id: str, timeout: float = 10.0
    ) -> aether_pb2.SessionOperationResponse | None:
        """One live session (an addition to the reference)."""
        return self._run(req.get_connection(session_id), timeout)

    def disconnect_session(
        self, session_id: str, reason: str = "", timeout: float = 10.0
    ) -> aether_pb2.SessionOperationResponse | None:
        """Force a session off (it gets FORCE_DISCONNECT and does not reconnect)."""
        return self._run(req.disconnect_session(session_id, reason), timeout)

    # ------------------------------------------------------------------ health

    def health(self, timeout: float = 10.0) -> GatewayHealth:
        """Gateway health. Raises NotImplementedError on a gateway without the health query
        and TimeoutError when no answer comes within `timeout`."""
        try:
            response = self._run(req.health(), timeout)
        except AetherError as error:
            raise req.health_error(error) from None
        return GatewayHealth.from_response(req.health_answer(response, timeout))
