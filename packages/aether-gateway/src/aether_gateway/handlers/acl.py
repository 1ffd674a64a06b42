"""ACLOperation: rules, fallback policies and expiry cleanup.

Every outcome, refusals included, is one ACLResponse. The reference never echoes request_id here;
we do, which the SDK ignores and other clients can use to correlate.
"""

from __future__ import annotations

from aether_gateway.context import Caller
from aether_gateway.handlers.admin_input import (
    MAX_TEXT_CHARS,
    invalid,
    level_problem,
    row_id,
    text_problem,
    texts_problem,
)
from aether_gateway.handlers.admin_policy import admin_area, denial_message
from aether_gateway.store.acl import ACLRule, ACLStore, FallbackPolicy, access_level_name
from scitrera_aether_client.wire import aether_pb2

Op = aether_pb2.ACLOperation


def rule_info(rule: ACLRule) -> aether_pb2.ACLRuleInfo:
    return aether_pb2.ACLRuleInfo(
        rule_id=str(rule.rule_id),
        principal_type=rule.principal_type,
        principal_id=rule.principal_id,
        resource_type=rule.resource_type,
        resource_id=rule.resource_id,
        access_level=rule.access_level,
        access_level_name=access_level_name(rule.access_level),
        granted_by=rule.granted_by,
        granted_at=rule.granted_at,
        expires_at=rule.expires_at,
        reason=rule.reason,
    )


def _policy_info(policy: FallbackPolicy) -> aether_pb2.ACLFallbackPolicyInfo:
    return aether_pb2.ACLFallbackPolicyInfo(
        policy_id=str(policy.policy_id) if policy.policy_id else "",
        rule_category=policy.rule_category,
        fallback_access_level=policy.fallback_access_level,
        fallback_access_level_name=access_level_name(policy.fallback_access_level),
        updated_by=policy.updated_by,
        updated_at=policy.updated_at,
    )


def handle_acl_op(
    acl: ACLStore, caller: Caller, op: aether_pb2.ACLOperation, allowed: bool
) -> list[aether_pb2.DownstreamMessage]:
    if allowed:
        response = _dispatch(acl, caller, op)
    else:
        denial = denial_message(caller, admin_area("acl_op"))
        response = aether_pb2.ACLResponse(success=False, error=denial)
    response.request_id = op.request_id
    return [aether_pb2.DownstreamMessage(acl=response)]


def _dispatch(acl: ACLStore, caller: Caller, op: aether_pb2.ACLOperation) -> aether_pb2.ACLResponse:
    if op.op == Op.GRANT:
        return _grant(acl, caller, op.grant_request)
    if op.op == Op.REVOKE:
        return _revoke(acl, op)
    if op.op == Op.LIST_RULES:
        f = op.rule_filter
        rules = acl.list_rules(f.principal_type, f.principal_id, f.resource_type, f.resource_id)
        # The reference ignores limit/offset; honouring them is what a caller passing them wants.
        rules = rules[max(f.offset, 0) :]
        if f.limit > 0:
            rules = rules[: f.limit]
        return aether_pb2.ACLResponse(
            success=True, rules=[rule_info(r) for r in rules], total_rules=len(rules)
        )
    if op.op == Op.GET_RULE:
        rule = _lookup(acl, op)
        if rule is None:
            return aether_pb2.ACLResponse(success=False, error="rule not found")
        return aether_pb2.ACLResponse(success=True, rule=rule_info(rule))
    if op.op == Op.GET_FALLBACK_POLICY:
        category = op.rule_category or op.fallback_request.rule_category
        if not category:
            return aether_pb2.ACLResponse(success=False, error="rule_category is required")
        policy = acl.get_fallback(category)
        return aether_pb2.ACLResponse(success=True, fallback_policy=_policy_info(policy))
    if op.op == Op.SET_FALLBACK_POLICY:
        req = op.fallback_request
        if not req.rule_category:
            return aether_pb2.ACLResponse(success=False, error="rule_category is required")
        problem = text_problem("rule_category", req.rule_category) or level_problem(
            "fallback_access_level", req.fallback_access_level
        )
        if problem:
            return aether_pb2.ACLResponse(success=False, error=invalid(problem))
        acl.set_fallback(
            req.rule_category, req.fallback_access_level, req.updated_by or caller.identity
        )
        return aether_pb2.ACLResponse(success=True, message="fallback policy updated")
    if op.op == Op.CLEANUP_EXPIRED:
        deleted = acl.cleanup_expired()
        result = aether_pb2.ACLCleanupResult(
            deleted_count=deleted, message=f"deleted {deleted} expired rules"
        )
        return aether_pb2.ACLResponse(success=True, cleanup_result=result)
    if op.op == Op.EXPLAIN_ACCESS:
        return _explain(acl, op)
    return aether_pb2.ACLResponse(success=False, error="not implemented")


def _explain(acl: ACLStore, op: aether_pb2.ACLOperation) -> aether_pb2.ACLResponse:
    """Check access: the level `principal` holds on a resource, and whether it meets the need."""
    who = op.principal
    if not (who.principal_type and who.principal_id and op.resource_type and op.resource_id):
        error = "principal, resource_type and resource_id are required"
        return aether_pb2.ACLResponse(success=False, error=error)
    access = acl.access(who.principal_type, who.principal_id, op.resource_type, op.resource_id)
    allowed = access.level >= op.required_level
    source = (
        f"fallback policy {who.principal_type}_{op.resource_type}"
        if access.fallback_applied
        else "rules"
    )
    explanation = aether_pb2.ACLAccessExplanationInfo(
        principal=f"{who.principal_type}:{who.principal_id}",
        allowed=allowed,
        decision="allow" if allowed else "deny",
        effective_access_level=access.level,
        fallback_applied=access.fallback_applied,
        reason=f"{access_level_name(access.level)} from {source}; "
        f"needs {access_level_name(op.required_level)}",
    )
    return aether_pb2.ACLResponse(success=True, explanation=explanation)


def _grant(
    acl: ACLStore, caller: Caller, req: aether_pb2.ACLGrantRequest
) -> aether_pb2.ACLResponse:
    key = (req.principal_type, req.principal_id, req.resource_type, req.resource_id)
    if not all(key):
        return aether_pb2.ACLResponse(
            success=False,
            error="principal_type, principal_id, resource_type and resource_id are required",
        )
    if req.access_level < 0:
        return aether_pb2.ACLResponse(success=False, error="access_level must not be negative")
    names = ("principal_type", "principal_id", "resource_type", "resource_id", "granted_by")
    problem = (
        texts_problem(dict(zip(names, (*key, req.granted_by), strict=True)))
        or text_problem("reason", req.reason, MAX_TEXT_CHARS)
        or level_problem("access_level", req.access_level)
    )
    if problem:
        return aether_pb2.ACLResponse(success=False, error=invalid(problem))
    rule = acl.grant(
        *key,
        req.access_level,
        granted_by=req.granted_by or caller.identity,
        reason=req.reason,
        expires_at=req.expires_at,
    )
    return aether_pb2.ACLResponse(success=True, message="ACL access granted", rule=rule_info(rule))


def _revoke(acl: ACLStore, op: aether_pb2.ACLOperation) -> aether_pb2.ACLResponse:
    f = op.rule_filter
    if not op.rule_id and not all(
        (f.principal_type, f.principal_id, f.resource_type, f.resource_id)
    ):
        return aether_pb2.ACLResponse(
            success=False, error="rule_id or a complete rule_filter is required"
        )
    rule = _lookup(acl, op)
    if rule is None or not acl.delete_rule(rule.rule_id):
        return aether_pb2.ACLResponse(success=False, error="rule not found")
    return aether_pb2.ACLResponse(success=True, message="ACL access revoked")


def _lookup(acl: ACLStore, op: aether_pb2.ACLOperation) -> ACLRule | None:
    """The rule named by rule_id, else by the rule_filter's composite key.

    The reference's GET_RULE reads only the composite key, but the SDK's `acl_get_rule(rule_id)`
    sends an id, so both are accepted.
    """
    if op.rule_id:
        rule_id = row_id(op.rule_id)  # 23 digits name no row: SQLite stops at int64
        return acl.get_rule(rule_id) if rule_id is not None else None
    f = op.rule_filter
    return acl.find_rule(f.principal_type, f.principal_id, f.resource_type, f.resource_id)
