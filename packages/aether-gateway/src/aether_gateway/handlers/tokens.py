"""TokenOperation: admin management of API keys. Every response echoes request_id.

Implementation and specifier patterns travel as scope entries `implementation:<glob>` and
`specifier:<glob>` (store/tokens.py). REVOKE and DELETE end the key's live sessions.
"""

from __future__ import annotations

from collections.abc import Callable

from aether_gateway.context import Caller
from aether_gateway.handlers.admin_input import page
from aether_gateway.handlers.admin_policy import admin_area, denial_error
from aether_gateway.store.tokens import (
    IMPLEMENTATION_SCOPE,
    SPECIFIER_SCOPE,
    TokenRecord,
    TokenStore,
)
from scitrera_aether_client.wire import PRINCIPALS, aether_pb2

Op = aether_pb2.TokenOperation

# A key only authenticates when its principal_type is the exact type name ("Agent"). The reference
# stores whatever it is given, so a key minted as "agent" silently never works; we accept the
# common spellings and store the canonical name instead.
_TYPE_NAMES = {
    spelling: p.type_name
    for p in PRINCIPALS.values()
    for spelling in (p.type_name, p.type_name.lower(), p.key)
}


def principal_type_name(spelling: str) -> str | None:
    """The canonical principal type ("Agent") for a spelling ("agent", "Agent"), or None."""
    return _TYPE_NAMES.get(spelling)


# Type name -> the identity field its keys are bound to by created_by (principals.yaml
# `key_owner`: a user key connects only as its user_id), for the types that declare one.
_KEY_OWNERS = {p.type_name: p.key_owner for p in PRINCIPALS.values() if p.key_owner}


def key_owner(type_name: str) -> str:
    """The identity field a key of `type_name` is bound to ("" if none): minting one needs a
    created_by naming it, or the key would have no identity to connect as."""
    return _KEY_OWNERS.get(type_name, "")


def token_info(record: TokenRecord) -> aether_pb2.TokenInfo:
    return aether_pb2.TokenInfo(
        id=record.id,
        name=record.name,
        principal_type=record.principal_type,
        workspace_patterns=record.workspace_patterns,
        scopes=record.scopes,
        created_by=record.created_by,
        expires_at=record.expires_at,
        last_used_at=record.last_used_at,
        revoked=record.revoked,
        revoked_at=record.revoked_at,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


def handle_token_op(
    tokens: TokenStore,
    caller: Caller,
    op: aether_pb2.TokenOperation,
    allowed: bool,
    *,
    on_revoked: Callable[[str], object] | None = None,
) -> list[aether_pb2.DownstreamMessage]:
    """`on_revoked(token_id)` runs after a REVOKE or DELETE succeeded (ends its sessions)."""
    if not allowed:
        return [denial_error(caller, admin_area("token_op"), op.request_id)]
    response = _dispatch(tokens, op)
    response.request_id = op.request_id
    if response.success and op.op in (Op.REVOKE, Op.DELETE) and on_revoked is not None:
        on_revoked(op.token_id)
    return [aether_pb2.DownstreamMessage(token=response)]


def _dispatch(tokens: TokenStore, op: aether_pb2.TokenOperation) -> aether_pb2.TokenResponse:
    if op.op == Op.CREATE:
        return _create(tokens, op.create_request)
    if op.op == Op.LIST:
        limit, offset = page(op.filter.limit, op.filter.offset)
        records, total = tokens.list_tokens(limit, offset, op.filter.include_revoked)
        return aether_pb2.TokenResponse(
            success=True, tokens=[token_info(r) for r in records], total_count=total
        )
    if op.op == Op.GET:
        record = tokens.get(op.token_id)
        if record is None:
            return _not_found(op.token_id)
        return aether_pb2.TokenResponse(success=True, token=token_info(record))
    if op.op == Op.REVOKE:
        if not tokens.revoke(op.token_id):
            return _not_found(op.token_id)
        return aether_pb2.TokenResponse(success=True, message="revoked")
    if op.op == Op.DELETE:
        if not tokens.delete(op.token_id):
            return _not_found(op.token_id)
        return aether_pb2.TokenResponse(success=True, message="deleted")
    return aether_pb2.TokenResponse(success=False, error="not implemented")


def _create(tokens: TokenStore, req: aether_pb2.TokenCreateRequest) -> aether_pb2.TokenResponse:
    if not req.name or not req.principal_type:
        return aether_pb2.TokenResponse(success=False, error="name and principal_type are required")
    principal_type = principal_type_name(req.principal_type)
    if principal_type is None:
        return aether_pb2.TokenResponse(
            success=False, error=f"unknown principal_type: {req.principal_type}"
        )
    empty = [s for s in req.scopes if s in (IMPLEMENTATION_SCOPE, SPECIFIER_SCOPE)]
    if empty:
        return aether_pb2.TokenResponse(
            success=False, error=f"scope {empty[0]!r} needs a pattern, e.g. {empty[0]}bot-*"
        )
    owner = key_owner(principal_type)
    if owner and not req.created_by:
        # Such a key authenticates as created_by; without it the key has no identity to be.
        return aether_pb2.TokenResponse(
            success=False,
            error=f"created_by (the {owner}) is required for {principal_type} tokens",
        )
    record, plaintext = tokens.create(
        req.name,
        principal_type,
        workspace_patterns=tuple(req.workspace_patterns) or ("*",),
        scopes=tuple(req.scopes) or ("connect",),
        created_by=req.created_by or "admin",
        expires_in_hours=max(req.expires_in_hours, 0),
    )
    info = token_info(record)
    return aether_pb2.TokenResponse(
        success=True,
        message="token created",
        token=info,
        created_token=info,
        plaintext_token=plaintext,
    )


def _not_found(token_id: str) -> aether_pb2.TokenResponse:
    return aether_pb2.TokenResponse(success=False, error=f"token not found: {token_id}")
