"""Request builders for the ACL part of the admin clients: rules, fallback policies, roles and
groups. See admin_request_base for AdminRequest and the argument checks."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypedDict, TypeVar

from scitrera_aether_client._core.admin_request_base import (
    AdminRequest,
    id_arg,
    int32_arg,
    level_arg,
    required_str,
    str_arg,
    str_map_arg,
)
from scitrera_aether_client._core.validation import check_non_negative
from scitrera_aether_client.exceptions import InvalidArgumentError
from scitrera_aether_client.proto import aether_pb2

ACL = aether_pb2.ACLOperation
Auth = aether_pb2.AuthorizationContext | None


def _with_auth(op: ACL, authorization: Auth) -> ACL:
    if authorization is not None:
        if not isinstance(authorization, aether_pb2.AuthorizationContext):
            raise InvalidArgumentError(
                "authorization must be an aether_pb2.AuthorizationContext", "authorization"
            )
        op.authorization.CopyFrom(authorization)
    return op


# ---------------------------------------------------------------------- ACL rules and policies


def _acl(op: ACL) -> AdminRequest[aether_pb2.ACLResponse]:
    return AdminRequest("acl_op", op, aether_pb2.ACLResponse)


class _RuleTarget(TypedDict):
    """Who and what a rule names: fields of both ACLGrantRequest and ACLRuleFilter."""

    principal_type: str
    principal_id: str
    resource_type: str
    resource_id: str


def _rule_target(
    check: Callable[[str, object], str],
    principal_type: str,
    principal_id: str,
    resource_type: str,
    resource_id: str,
) -> _RuleTarget:
    """The four fields, each passed through `check` (required_str, or str_arg for a filter)."""
    return _RuleTarget(
        principal_type=check("principal_type", principal_type),
        principal_id=check("principal_id", principal_id),
        resource_type=check("resource_type", resource_type),
        resource_id=check("resource_id", resource_id),
    )


def create_acl_rule(
    principal_type: str,
    principal_id: str,
    resource_type: str,
    resource_id: str,
    access_level: int,
    granted_by: str,
    reason: str,
    expires_at: int,
    authorization: Auth,
) -> AdminRequest[aether_pb2.ACLResponse]:
    grant = aether_pb2.ACLGrantRequest(
        **_rule_target(required_str, principal_type, principal_id, resource_type, resource_id),
        access_level=level_arg("access_level", access_level),
        granted_by=str_arg("granted_by", granted_by),
        reason=str_arg("reason", reason),
        expires_at=check_non_negative("expires_at", expires_at),
    )
    return _acl(_with_auth(ACL(op=ACL.GRANT, grant_request=grant), authorization))


def delete_acl_rule(
    rule_id: str | int, authorization: Auth
) -> AdminRequest[aether_pb2.ACLResponse]:
    return _acl(_with_auth(ACL(op=ACL.REVOKE, rule_id=id_arg("rule_id", rule_id)), authorization))


def revoke_acl_rule(
    principal_type: str,
    principal_id: str,
    resource_type: str,
    resource_id: str,
    authorization: Auth,
) -> AdminRequest[aether_pb2.ACLResponse]:
    flt = aether_pb2.ACLRuleFilter(
        **_rule_target(required_str, principal_type, principal_id, resource_type, resource_id)
    )
    return _acl(_with_auth(ACL(op=ACL.REVOKE, rule_filter=flt), authorization))


def list_acl_rules(
    principal_type: str,
    principal_id: str,
    resource_type: str,
    resource_id: str,
    limit: int,
    offset: int,
    authorization: Auth,
) -> AdminRequest[aether_pb2.ACLResponse]:
    flt = aether_pb2.ACLRuleFilter(
        **_rule_target(str_arg, principal_type, principal_id, resource_type, resource_id),
        limit=int32_arg("limit", limit),
        offset=int32_arg("offset", offset),
    )
    return _acl(_with_auth(ACL(op=ACL.LIST_RULES, rule_filter=flt), authorization))


def get_fallback_policy(rule_category: str) -> AdminRequest[aether_pb2.ACLResponse]:
    category = required_str("rule_category", rule_category)
    return _acl(ACL(op=ACL.GET_FALLBACK_POLICY, rule_category=category))


def set_fallback_policy(
    rule_category: str, fallback_access_level: int, updated_by: str
) -> AdminRequest[aether_pb2.ACLResponse]:
    request = aether_pb2.ACLSetFallbackRequest(
        rule_category=required_str("rule_category", rule_category),
        fallback_access_level=level_arg("fallback_access_level", fallback_access_level),
        updated_by=str_arg("updated_by", updated_by),
    )
    return _acl(ACL(op=ACL.SET_FALLBACK_POLICY, fallback_request=request))


def explain_access(
    principal_type: str,
    principal_id: str,
    resource_type: str,
    resource_id: str,
    required_level: int,
) -> AdminRequest[aether_pb2.ACLResponse]:
    op = ACL(
        op=ACL.EXPLAIN_ACCESS,
        principal=_principal(principal_type, principal_id),
        resource_type=required_str("resource_type", resource_type),
        resource_id=required_str("resource_id", resource_id),
        required_level=level_arg("required_level", required_level),
    )
    return _acl(op)


# ---------------------------------------------------------------------- ACL roles and groups


def _principal(principal_type: str, principal_id: str) -> aether_pb2.PrincipalRef:
    return aether_pb2.PrincipalRef(
        principal_type=required_str("principal_type", principal_type),
        principal_id=required_str("principal_id", principal_id),
    )


def acl_by_name(op: int, name: str) -> AdminRequest[aether_pb2.ACLResponse]:
    """DELETE / GET of a role or group, and the member / assignment listings."""
    return _acl(ACL(op=op, name=required_str("name", name)))  # type: ignore[arg-type]


def acl_list(op: int) -> AdminRequest[aether_pb2.ACLResponse]:
    """LIST_ROLES or LIST_GROUPS."""
    return _acl(ACL(op=op))  # type: ignore[arg-type]


def acl_by_principal(
    op: int, principal_type: str, principal_id: str
) -> AdminRequest[aether_pb2.ACLResponse]:
    """LIST_PRINCIPAL_ROLES or LIST_PRINCIPAL_GROUPS."""
    return _acl(ACL(op=op, principal=_principal(principal_type, principal_id)))  # type: ignore[arg-type]


# Roles and groups are described by the same four fields, in two request messages.
_SetRequest = TypeVar("_SetRequest", aether_pb2.ACLRoleRequest, aether_pb2.ACLGroupRequest)


def _set_request(
    kind: type[_SetRequest],
    name: str,
    description: str,
    created_by: str,
    metadata: Mapping[str, str] | None,
) -> _SetRequest:
    return kind(
        name=required_str("name", name),
        description=str_arg("description", description),
        created_by=str_arg("created_by", created_by),
        metadata=str_map_arg("metadata", metadata),
    )


def create_role(
    name: str, description: str, created_by: str, metadata: Mapping[str, str] | None
) -> AdminRequest[aether_pb2.ACLResponse]:
    request = _set_request(aether_pb2.ACLRoleRequest, name, description, created_by, metadata)
    return _acl(ACL(op=ACL.CREATE_ROLE, name=name, role_request=request))


def create_group(
    name: str, description: str, created_by: str, metadata: Mapping[str, str] | None
) -> AdminRequest[aether_pb2.ACLResponse]:
    request = _set_request(aether_pb2.ACLGroupRequest, name, description, created_by, metadata)
    return _acl(ACL(op=ACL.CREATE_GROUP, name=name, group_request=request))


def role_assignment(
    op: int, name: str, assignee_type: str, assignee_id: str, granted_by: str, expires_at: int
) -> AdminRequest[aether_pb2.ACLResponse]:
    """ASSIGN_ROLE or UNASSIGN_ROLE."""
    request = aether_pb2.ACLRoleAssignmentRequest(
        assignee_type=required_str("assignee_type", assignee_type),
        assignee_id=required_str("assignee_id", assignee_id),
        granted_by=str_arg("granted_by", granted_by),
        expires_at=check_non_negative("expires_at", expires_at),
    )
    return _acl(ACL(op=op, name=required_str("name", name), assignment_request=request))  # type: ignore[arg-type]


def group_member(
    op: int, name: str, member_type: str, member_id: str, granted_by: str, expires_at: int
) -> AdminRequest[aether_pb2.ACLResponse]:
    """ADD_GROUP_MEMBER or REMOVE_GROUP_MEMBER."""
    request = aether_pb2.ACLGroupMemberRequest(
        member_type=required_str("member_type", member_type),
        member_id=required_str("member_id", member_id),
        granted_by=str_arg("granted_by", granted_by),
        expires_at=check_non_negative("expires_at", expires_at),
    )
    return _acl(ACL(op=op, name=required_str("name", name), member_request=request))  # type: ignore[arg-type]
