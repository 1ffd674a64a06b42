"""Roles and groups of AsyncAdminClient: named sets of principals that ACL rules can name.

The two mirror each other call for call (a role has assignees where a group has members), so each
role call stands beside its group twin, and both go through the same request builders.
"""

from __future__ import annotations

from collections.abc import Mapping

from scitrera_aether_client._admin.async_base import AsyncAdminBase
from scitrera_aether_client._core import admin_acl_requests as acl_req
from scitrera_aether_client.proto import aether_pb2

ACL = aether_pb2.ACLOperation


class AsyncAclSetAdmin(AsyncAdminBase):
    async def create_role(
        self,
        name: str,
        description: str = "",
        created_by: str = "",
        metadata: Mapping[str, str] | None = None,
        timeout: float = 10.0,
    ) -> aether_pb2.ACLResponse | None:
        return await self._run(
            acl_req.create_role(name, description, created_by, metadata), timeout
        )

    async def create_group(
        self,
        name: str,
        description: str = "",
        created_by: str = "",
        metadata: Mapping[str, str] | None = None,
        timeout: float = 10.0,
    ) -> aether_pb2.ACLResponse | None:
        return await self._run(
            acl_req.create_group(name, description, created_by, metadata), timeout
        )

    async def delete_role(self, name: str, timeout: float = 10.0) -> aether_pb2.ACLResponse | None:
        return await self._run(acl_req.acl_by_name(ACL.DELETE_ROLE, name), timeout)

    async def delete_group(self, name: str, timeout: float = 10.0) -> aether_pb2.ACLResponse | None:
        return await self._run(acl_req.acl_by_name(ACL.DELETE_GROUP, name), timeout)

    async def get_role(self, name: str, timeout: float = 10.0) -> aether_pb2.ACLResponse | None:
        return await self._run(acl_req.acl_by_name(ACL.GET_ROLE, name), timeout)

    async def get_group(self, name: str, timeout: float = 10.0) -> aether_pb2.ACLResponse | None:
        return await self._run(acl_req.acl_by_name(ACL.GET_GROUP, name), timeout)

    async def list_roles(self, timeout: float = 10.0) -> aether_pb2.ACLResponse | None:
        return await self._run(acl_req.acl_list(ACL.LIST_ROLES), timeout)

    async def list_groups(self, timeout: float = 10.0) -> aether_pb2.ACLResponse | None:
        return await self._run(acl_req.acl_list(ACL.LIST_GROUPS), timeout)

    async def assign_role(
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
        return await self._run(request, timeout)

    async def add_group_member(
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
        return await self._run(request, timeout)

    async def unassign_role(
        self, name: str, assignee_type: str, assignee_id: str, timeout: float = 10.0
    ) -> aether_pb2.ACLResponse | None:
        request = acl_req.role_assignment(
            ACL.UNASSIGN_ROLE, name, assignee_type, assignee_id, "", 0
        )
        return await self._run(request, timeout)

    async def remove_group_member(
        self, name: str, member_type: str, member_id: str, timeout: float = 10.0
    ) -> aether_pb2.ACLResponse | None:
        request = acl_req.group_member(ACL.REMOVE_GROUP_MEMBER, name, member_type, member_id, "", 0)
        return await self._run(request, timeout)

    async def list_role_assignments(
        self, name: str, timeout: float = 10.0
    ) -> aether_pb2.ACLResponse | None:
        return await self._run(acl_req.acl_by_name(ACL.LIST_ROLE_ASSIGNMENTS, name), timeout)

    async def list_group_members(
        self, name: str, timeout: float = 10.0
    ) -> aether_pb2.ACLResponse | None:
        return await self._run(acl_req.acl_by_name(ACL.LIST_GROUP_MEMBERS, name), timeout)

    async def list_principal_roles(
        self, principal_type: str, principal_id: str, timeout: float = 10.0
    ) -> aether_pb2.ACLResponse | None:
        request = acl_req.acl_by_principal(ACL.LIST_PRINCIPAL_ROLES, principal_type, principal_id)
        return await self._run(request, timeout)

    async def list_principal_groups(
        self, principal_type: str, principal_id: str, timeout: float = 10.0
    ) -> aether_pb2.ACLResponse | None:
        request = acl_req.acl_by_principal(ACL.LIST_PRINCIPAL_GROUPS, principal_type, principal_id)
        return await self._run(request, timeout)
