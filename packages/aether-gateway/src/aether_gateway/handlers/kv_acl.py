"""The KV ACL stage, applied outside dev mode.

First the workspace binding: a scope that names a workspace (the op's, else the caller's) needs
that workspace within the caller's reach (workspace_reach), whatever KV rules say. Then exclusive
scopes (the caller's own namespaces) are always allowed. For shared scopes an ACL rule on
`kv_key/<key>` decides; if no rule matches, a rule on `kv_scope/<scope>` decides, and without one
the fallback policy `{ptype}_kv_scope` (0 = deny unless an admin raised it). Reads (the ops of
kind `read` in the operation table, schema/operations.yaml) need READ; everything else, ops
unknown to the table included, READWRITE.
"""

from __future__ import annotations

from aether_gateway.context import Caller
from aether_gateway.handlers.admin_policy import acl_subject
from aether_gateway.store.acl import AccessLevel, ACLStore
from aether_gateway.workspace_reach import may_reach
from scitrera_aether_client.wire import OperationSpec, aether_pb2, identity_problem

_Op = aether_pb2.KVOperation
_OWNED = frozenset({_Op.GLOBAL_EXCLUSIVE, _Op.WORKSPACE_EXCLUSIVE, _Op.USER, _Op.USER_WORKSPACE})
_IN_A_WORKSPACE = frozenset(
    {
        _Op.SCOPE_UNSPECIFIED,
        _Op.WORKSPACE,
        _Op.USER_WORKSPACE_SHARED,
        _Op.WORKSPACE_EXCLUSIVE,
        _Op.USER_WORKSPACE,
    }
)
SCOPE_NAMES = {
    _Op.SCOPE_UNSPECIFIED: "workspace",
    _Op.GLOBAL: "global",
    _Op.WORKSPACE: "workspace",
    _Op.USER_SHARED: "user-shared",
    _Op.USER_WORKSPACE_SHARED: "user-workspace-shared",
}


def kv_refusal(
    acl: ACLStore, caller: Caller, op: aether_pb2.KVOperation, spec: OperationSpec | None
) -> str | None:
    """Why `caller` may not run `op` (`spec`: its row of the operation table), or None."""
    reads = spec is not None and spec.reads
    needed = AccessLevel.READ if reads else AccessLevel.READWRITE
    workspace = (op.workspace or caller.workspace) if op.scope in _IN_A_WORKSPACE else ""
    if not may_reach(caller, acl, workspace, needed):
        shown = workspace if identity_problem(workspace) is None else "(invalid name)"
        return f"access denied: {caller.identity} may not use workspace {shown}"
    if op.scope in _OWNED:
        return None  # the owner's own namespace
    principal_type, principal_id = acl_subject(caller)
    access = acl.access(principal_type, principal_id, "kv_key", op.key)
    scope = SCOPE_NAMES.get(op.scope, "workspace")
    if access.fallback_applied:
        access = acl.access(principal_type, principal_id, "kv_scope", scope)
    if access.level >= needed:
        return None
    return (
        f"access denied: {caller.identity} needs {needed.name} on kv_key/{op.key} "
        f"or kv_scope/{scope}"
    )
