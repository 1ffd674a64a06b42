"""Request building and answer checking for AdminClient and AsyncAdminClient: tokens,
workspaces, agents, workflow rules, sessions and health (the ACL's are in admin_acl_requests).

Each builder validates its arguments (InvalidArgumentError naming the argument) and returns an
AdminRequest (admin_request_base): the operation proto, the client primitive that carries it and
the response type that answers it. The sync and async facades only differ in how they wait for
`send`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from scitrera_aether_client._core.admin_ops import (
    PRINCIPAL_TYPES,
    session_disconnect,
    session_get,
    session_list,
)
from scitrera_aether_client._core.admin_request_base import (
    AdminRequest,
    check_client,
    id_arg,
    int32_arg,
    required_str,
    str_arg,
    str_list_arg,
    str_map_arg,
)
from scitrera_aether_client._core.validation import check_identity_field
from scitrera_aether_client.exceptions import (
    AetherError,
    InvalidArgumentError,
    NotImplementedError,
    TimeoutError,
)
from scitrera_aether_client.proto import aether_pb2

# AdminRequest and check_client too: the facades reach them through this module.
__all__ = [
    "AdminRequest",
    "SchemaEntry",
    "agent_by_implementation",
    "check_client",
    "create_token",
    "disconnect_session",
    "get_connection",
    "get_workflow_rule",
    "health",
    "health_answer",
    "health_error",
    "list_agents",
    "list_connections",
    "list_orchestrators",
    "list_tokens",
    "list_workflow_rules",
    "list_workspaces",
    "token_by_id",
    "workspace_by_id",
    "write_agent",
    "write_workspace",
]

WS = aether_pb2.WorkspaceOperation
AG = aether_pb2.AgentOperation
TK = aether_pb2.TokenOperation
WF = aether_pb2.WorkflowOperation


def _principal_key(principal_type: object) -> str:
    """list_connections takes "agent" as in the reference, and also "Agent" / "WorkflowEngine"."""
    text = str_arg("principal_type", principal_type)
    if text in PRINCIPAL_TYPES:
        return text
    squashed = text.lower().replace("_", "")
    for key in PRINCIPAL_TYPES:
        if key and key.replace("_", "") == squashed:
            return key
    known = ", ".join(k for k in PRINCIPAL_TYPES if k)
    raise InvalidArgumentError(
        f"unknown principal_type {text!r}; expected one of {known}", argument="principal_type"
    )


# ---------------------------------------------------------------------- tokens


def _token(op: TK) -> AdminRequest[aether_pb2.TokenResponse]:
    return AdminRequest("token_op", op, aether_pb2.TokenResponse)


def create_token(
    name: str,
    principal_type: str,
    workspace_patterns: Iterable[str] | None,
    scopes: Iterable[str] | None,
    expires_in_hours: int,
    created_by: str,
) -> AdminRequest[aether_pb2.TokenResponse]:
    request = aether_pb2.TokenCreateRequest(
        name=required_str("name", name),
        principal_type=str_arg("principal_type", principal_type),
        workspace_patterns=str_list_arg("workspace_patterns", workspace_patterns),
        scopes=str_list_arg("scopes", scopes),
        expires_in_hours=int32_arg("expires_in_hours", expires_in_hours),
        created_by=str_arg("created_by", created_by),
    )
    return _token(TK(op=TK.CREATE, create_request=request))


def token_by_id(op: int, token_id: str) -> AdminRequest[aether_pb2.TokenResponse]:
    """GET, REVOKE or DELETE of one token."""
    return _token(TK(op=op, token_id=required_str("token_id", token_id)))  # type: ignore[arg-type]


def list_tokens(
    include_revoked: bool, limit: int, offset: int
) -> AdminRequest[aether_pb2.TokenResponse]:
    flt = aether_pb2.TokenFilter(
        include_revoked=bool(include_revoked),
        limit=int32_arg("limit", limit),
        offset=int32_arg("offset", offset),
    )
    return _token(TK(op=TK.LIST, filter=flt))


# ---------------------------------------------------------------------- workspaces


def _workspace(op: WS) -> AdminRequest[aether_pb2.WorkspaceResponse]:
    return AdminRequest("workspace_op", op, aether_pb2.WorkspaceResponse)


def _workspace_id(workspace_id: object) -> str:
    return check_identity_field("workspace_id", workspace_id, required=True)


def list_workspaces(limit: int, offset: int) -> AdminRequest[aether_pb2.WorkspaceResponse]:
    flt = aether_pb2.WorkspaceFilter(
        limit=int32_arg("limit", limit), offset=int32_arg("offset", offset)
    )
    return _workspace(WS(op=WS.LIST, filter=flt))


def write_workspace(
    op: int,
    workspace_id: str,
    display_name: str,
    description: str,
    metadata: Mapping[str, str] | None,
) -> AdminRequest[aether_pb2.WorkspaceResponse]:
    """CREATE or UPDATE."""
    info = aether_pb2.WorkspaceInfo(
        workspace_id=_workspace_id(workspace_id),
        display_name=str_arg("display_name", display_name),
        description=str_arg("description", description),
        metadata=str_map_arg("metadata", metadata),
    )
    return _workspace(WS(op=op, workspace_id=workspace_id, workspace=info))  # type: ignore[arg-type]


def workspace_by_id(op: int, workspace_id: str) -> AdminRequest[aether_pb2.WorkspaceResponse]:
    """GET or DELETE."""
    return _workspace(WS(op=op, workspace_id=_workspace_id(workspace_id)))  # type: ignore[arg-type]


# ---------------------------------------------------------------------- agents


def _agent(op: AG) -> AdminRequest[aether_pb2.AgentResponse]:
    return AdminRequest("agent_op", op, aether_pb2.AgentResponse)


def _implementation(implementation: object) -> str:
    return check_identity_field("implementation", implementation, required=True)


def list_agents(
    orchestrator_profile: str, limit: int, offset: int
) -> AdminRequest[aether_pb2.AgentResponse]:
    flt = aether_pb2.AgentFilter(
        orchestrator_profile=str_arg("orchestrator_profile", orchestrator_profile),
        limit=int32_arg("limit", limit),
        offset=int32_arg("offset", offset),
    )
    return _agent(AG(op=AG.LIST, filter=flt))


def list_orchestrators() -> AdminRequest[aether_pb2.AgentResponse]:
    return _agent(AG(op=AG.LIST_ORCHESTRATORS))


def agent_by_implementation(op: int, implementation: str) -> AdminRequest[aether_pb2.AgentResponse]:
    """GET or DELETE."""
    return _agent(AG(op=op, implementation=_implementation(implementation)))  # type: ignore[arg-type]


SchemaEntry = aether_pb2.AgentResourceSchemaEntry | Mapping[str, Any]


def _schema(entries: Iterable[SchemaEntry] | None) -> list[aether_pb2.AgentResourceSchemaEntry]:
    """resource_schema entries as protos or dicts with the proto's field names."""
    if entries is None:
        return []
    if isinstance(entries, str | bytes | Mapping) or not isinstance(entries, Iterable):
        raise InvalidArgumentError("resource_schema must be a list", argument="resource_schema")
    result = []
    for i, entry in enumerate(entries):
        if isinstance(entry, aether_pb2.AgentResourceSchemaEntry):
            result.append(entry)
            continue
        if not isinstance(entry, Mapping):
            raise InvalidArgumentError(
                f"resource_schema[{i}] must be an AgentResourceSchemaEntry or a dict",
                argument="resource_schema",
            )
        try:
            result.append(aether_pb2.AgentResourceSchemaEntry(**entry))
        except (TypeError, ValueError) as error:
            raise InvalidArgumentError(
                f"resource_schema[{i}] is invalid: {error}", argument="resource_schema"
            ) from None
    return result


def write_agent(
    op: int,
    implementation: str,
    orchestrator_profile: str,
    description: str,
    launch_params: Mapping[str, str] | None,
    capabilities: Mapping[str, bool] | None,
    extensions: Iterable[str] | None,
    resource_schema: Iterable[SchemaEntry] | None,
) -> AdminRequest[aether_pb2.AgentResponse]:
    """REGISTER or UPDATE."""
    if capabilities is not None and (
        not isinstance(capabilities, Mapping)
        or not all(isinstance(k, str) and isinstance(v, bool) for k, v in capabilities.items())
    ):
        raise InvalidArgumentError(
            "capabilities must be a mapping of str to bool", argument="capabilities"
        )
    info = aether_pb2.AgentRegistrationInfo(
        implementation=_implementation(implementation),
        orchestrator_profile=str_arg("orchestrator_profile", orchestrator_profile),
        description=str_arg("description", description),
        launch_params=str_map_arg("launch_params", launch_params),
        capabilities=dict(capabilities or {}),
        extensions=str_list_arg("extensions", extensions),
        resource_schema=_schema(resource_schema),
    )
    return _agent(AG(op=op, implementation=implementation, agent=info))  # type: ignore[arg-type]


# ---------------------------------------------------------------------- workflow rules


def list_workflow_rules(workspace: str) -> AdminRequest[aether_pb2.WorkflowResponse]:
    op = WF(op=WF.LIST_RULES, workspace=str_arg("workspace", workspace))
    return AdminRequest("workflow_op", op, aether_pb2.WorkflowResponse)


def get_workflow_rule(
    rule_id: int | str, workspace: str
) -> AdminRequest[aether_pb2.WorkflowResponse]:
    op = WF(
        op=WF.GET_RULE, id=id_arg("rule_id", rule_id), workspace=str_arg("workspace", workspace)
    )
    return AdminRequest("workflow_op", op, aether_pb2.WorkflowResponse)


# ---------------------------------------------------------------------- sessions and health


def _session(op: aether_pb2.SessionOperation) -> AdminRequest[aether_pb2.SessionOperationResponse]:
    return AdminRequest("session_op", op, aether_pb2.SessionOperationResponse)


def list_connections(
    principal_type: str, workspace: str, limit: int, offset: int
) -> AdminRequest[aether_pb2.SessionOperationResponse]:
    key = _principal_key(principal_type)
    workspace = str_arg("workspace", workspace)
    return _session(
        session_list(key, workspace, int32_arg("limit", limit), int32_arg("offset", offset))
    )


def get_connection(session_id: str) -> AdminRequest[aether_pb2.SessionOperationResponse]:
    return _session(session_get(str_arg("session_id", session_id)))


def disconnect_session(
    session_id: str, reason: str
) -> AdminRequest[aether_pb2.SessionOperationResponse]:
    return _session(
        session_disconnect(str_arg("session_id", session_id), str_arg("reason", reason))
    )


def health() -> AdminRequest[aether_pb2.AdminResponse]:
    op = aether_pb2.AdminQuery(op=aether_pb2.AdminQuery.GET_HEALTH)
    return AdminRequest("admin_query", op, aether_pb2.AdminResponse)


def _not_implemented(detail: str) -> NotImplementedError:
    return NotImplementedError(
        "this gateway does not answer AdminQuery GET_HEALTH (the reference Go gateway replies "
        f"ERR_NOT_IMPLEMENTED; aether-gateway serves it): {detail}",
        operation="health",
        code="ERR_NOT_IMPLEMENTED",
    )


def health_error(error: AetherError) -> AetherError:
    """A correlated ErrorResponse to the health query, mapped for the caller."""
    if error.code and "NOT_IMPLEMENTED" in error.code:
        return _not_implemented(error.message)
    return error


def health_answer(
    response: aether_pb2.AdminResponse | None, timeout: float
) -> aether_pb2.AdminResponse:
    """The AdminResponse of a health query, or the error that explains why there is none."""
    if response is None:
        raise TimeoutError(
            "no answer to the health query; a gateway that refuses AdminQuery without echoing "
            "the request_id (the reference Go gateway) also ends here",
            operation="health",
            timeout_seconds=timeout,
        )
    if not response.success:
        if "not implemented" in response.error.lower():
            raise _not_implemented(response.error)
        raise AetherError(response.error or "the health query failed", code="ERR_HEALTH")
    return response
