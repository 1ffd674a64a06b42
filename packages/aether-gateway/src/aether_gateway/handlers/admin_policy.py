"""Who may run admin operations (workspaces, agents, tokens, ACL, sessions, health).

The reference denies every admin operation from ordinary principals when it has no ACL service;
the embedded gateway always has one (SQLite), so the rule here is: dev mode admits everyone;
anyone else needs an admin-scoped API key or an ACL grant on `admin/<area>` (a rule on `admin/*`
covers every area). Which principals may send each admin arm, its area and the level each op
needs are declared once, in schema/operations.yaml (`callers`, `admin`), and read here from the
generated operation table. Unlike in the Go gateway, workflow engines and orchestrators get no
bypass: being one is no reason to manage keys, so they too need an admin-scoped key of their own
type (docs/security.md, "Admin operations").
"""

from __future__ import annotations

from aether_gateway.context import Caller
from aether_gateway.store.acl import AccessLevel, ACLStore
from scitrera_aether_client.wire import ADMIN_AREAS, ARMS, OPERATIONS, aether_pb2

_LEVELS = {"read": AccessLevel.READ, "admin": AccessLevel.ADMIN}


def acl_subject(caller: Caller) -> tuple[str, str]:
    """(principal_type, principal_id) as ACL rules name the caller: users by user_id."""
    acl_id = caller.principal.acl_id  # declared in principals.yaml ("" = the identity string)
    return caller.principal.acl_type, caller.fields.get(acl_id, "") if acl_id else caller.identity


def admin_allowed(
    caller: Caller,
    dev_mode: bool,
    acl: ACLStore,
    area: str = "*",
    level: int = AccessLevel.ADMIN,
) -> bool:
    """Whether `caller` may run an admin operation of `area` ("workspaces", "agents", "tokens",
    "sessions", "acl"; "*" asks for full admin) needing `level`."""
    # No principal type is admin by itself, system principals included (module docstring).
    if dev_mode or caller.is_admin:
        return True
    principal_type, principal_id = acl_subject(caller)
    return acl.check(principal_type, principal_id, "admin", area, level)


def admin_area(arm: str) -> str:
    """The area whose resource admin/<area> grants the operations of admin arm `arm`."""
    return ADMIN_AREAS[arm]


def admin_level(arm: str, op: int) -> int:
    """The level operation `op` of admin arm `arm` needs on admin/<area>, as the table declares
    it; an op the table does not know needs ADMIN."""
    spec = OPERATIONS.get((arm, op))
    return _LEVELS[spec.admin_level] if spec is not None and spec.admin_level else AccessLevel.ADMIN


def may_send(caller: Caller, arm: str) -> bool:
    """Whether the table lists the caller's principal type among the arm's `callers`."""
    return caller.principal.key in ARMS[arm][1]


def acl_op_level(op: aether_pb2.ACLOperation.OpType) -> int:
    """Read-only ACL operations need READ on admin/acl; every other one needs ADMIN."""
    return admin_level("acl_op", op)


def denial_message(caller: Caller, area: str) -> str:
    return f"permission denied: {caller.identity} may not manage {area} (needs admin/{area})"


def denial_error(caller: Caller, area: str, request_id: str) -> aether_pb2.DownstreamMessage:
    """The refusal for workspace, agent and token operations: an ErrorResponse.

    The reference sends it without a request_id, which leaves the SDK's call waiting for its
    timeout; echoing the id lets the client fail at once.
    """
    error = aether_pb2.ErrorResponse(
        code="ERR_PERMISSION_DENIED",
        message=denial_message(caller, area),
        request_id=request_id,
    )
    return aether_pb2.DownstreamMessage(error=error)
