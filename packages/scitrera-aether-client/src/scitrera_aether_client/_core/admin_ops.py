"""Builders for the session admin operations (shared by the clients and the admin facades)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, cast

from scitrera_aether_client._core.validation import check_non_negative
from scitrera_aether_client._generated.principals import PRINCIPALS
from scitrera_aether_client.exceptions import InvalidArgumentError
from scitrera_aether_client.proto import aether_pb2

SO = aether_pb2.SessionOperation

#: Lowercase principal names accepted by list_connections / list_sessions, from the generated
#: principal table ("" lists every type). Principals without an aether.v1 PrincipalType value
#: cannot be filtered on, so they are not listed.
PRINCIPAL_TYPES: Final[Mapping[str, aether_pb2.PrincipalType]] = {
    "": aether_pb2.PRINCIPAL_TYPE_UNSPECIFIED,
    **{p.key: cast(aether_pb2.PrincipalType, p.enum) for p in PRINCIPALS.values() if p.enum},
}


def _snake(name: str) -> str:
    """Accept "WorkflowEngine" and "workflow_engine" alike."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def _with_auth(op: SO, authorization: aether_pb2.AuthorizationContext | None) -> SO:
    if authorization is not None:
        op.authorization.CopyFrom(authorization)
    return op


def session_list(
    principal_type: str = "",
    workspace: str = "",
    limit: int = 0,
    offset: int = 0,
    authorization: aether_pb2.AuthorizationContext | None = None,
) -> SO:
    principal_type = _snake(principal_type)
    if principal_type not in PRINCIPAL_TYPES:
        raise InvalidArgumentError(f"unknown principal_type {principal_type!r}", "principal_type")
    flt = aether_pb2.ConnectionFilter(
        type=PRINCIPAL_TYPES[principal_type],
        workspace=workspace,
        limit=check_non_negative("limit", limit),
        offset=check_non_negative("offset", offset),
    )
    return _with_auth(SO(op=SO.LIST, filter=flt), authorization)


def session_get(
    session_id: str, authorization: aether_pb2.AuthorizationContext | None = None
) -> SO:
    if not session_id:
        raise InvalidArgumentError("session_id must not be empty", "session_id")
    return _with_auth(SO(op=SO.GET, session_id=session_id), authorization)


def session_disconnect(
    session_id: str, reason: str = "", authorization: aether_pb2.AuthorizationContext | None = None
) -> SO:
    if not session_id:
        raise InvalidArgumentError("session_id must not be empty", "session_id")
    return _with_auth(SO(op=SO.DISCONNECT, session_id=session_id, reason=reason), authorization)
