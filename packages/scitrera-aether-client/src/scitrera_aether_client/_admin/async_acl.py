"""ACL rules and fallback policies of AsyncAdminClient, and the gateway's account of a decision
(explain_access). Roles and groups have a part of their own."""

from __future__ import annotations

from scitrera_aether_client._admin.async_base import AsyncAdminBase
from scitrera_aether_client._core import admin_acl_requests as acl_req
from scitrera_aether_client.proto import aether_pb2

Auth = aether_pb2.AuthorizationContext | None


class AsyncAclAdmin(AsyncAdminBase):
    # ------------------------------------------------------------------ ACL rules

    async def create_acl_rule(
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
        return await self._run(request, timeout)

    async def delete_acl_rule(
        self, rule_id: str | int, authorization: Auth = None, timeout: float = 10.0
    ) -> aether_pb2.ACLResponse | None:
        return await self._run(acl_req.delete_acl_rule(rule_id, authorization), timeout)

    async def revoke_acl_rule(
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
        return await self._run(request, timeout)

    async def list_acl_rules(
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
        return await self._run(request, timeout)

    async def get_fallback_policy(
        self, rule_category: str, timeout: float = 10.0
    ) -> aether_pb2.ACLResponse | None:
        """The fallback of category "{principal_type}_{resource_type}", e.g. "agent_workspace"."""
        return await self._run(acl_req.get_fallback_policy(rule_category), timeout)

    async def set_fallback_policy(
        self,
        rule_category: str,
        fallback_access_level: int,
        updated_by: str = "",
        timeout: float = 10.0,
    ) -> aether_pb2.ACLResponse | None:
        request = acl_req.set_fallback_policy(rule_category, fallback_access_level, updated_by)
        return await self._run(request, timeout)

    async def explain_access(
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
        return await self._run(request, timeout)
