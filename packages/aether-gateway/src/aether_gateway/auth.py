"""Credential checks at the handshake (sheet §1.1-1.2): dev mode, API keys, refusals."""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from aether_gateway.handlers.orchestration import task_token_name
from aether_gateway.identity import ResolvedIdentity
from aether_gateway.store.tokens import TokenStore, bind_check
from scitrera_aether_client.proto import aether_pb2


@dataclass(frozen=True, slots=True)
class Admission:
    is_admin: bool
    scopes: tuple[str, ...]


class Refused(Exception):
    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def admit(
    init: aether_pb2.InitConnection, who: ResolvedIdentity, tokens: TokenStore, dev_mode: bool
) -> Admission:
    creds = init.credentials
    task_token = creds.get("token") or creds.get("task_token")
    if task_token:  # checked first, as in the Go gateway
        return _admit_task_token(task_token, who, tokens)
    key = creds.get("api_key") or creds.get("x-api-key")
    if key:
        record = tokens.authenticate(key)
        if record is None or "task" in record.scopes:  # a task token is not a general key
            raise Refused(
                grpc.StatusCode.UNAUTHENTICATED, "credential authentication failed: invalid API key"
            )
        problem = bind_check(
            record, who.principal.type_name, who.workspace, who.fields.get("user_id", "")
        )
        if problem:
            raise Refused(grpc.StatusCode.PERMISSION_DENIED, problem)
        scopes = tuple(record.scopes)
        return Admission(is_admin="admin" in scopes, scopes=scopes)
    if creds.get("authorization") or creds.get("bearer_token") or creds.get("session_token"):
        raise Refused(
            grpc.StatusCode.UNAUTHENTICATED,
            "credential authentication failed: bearer and session tokens are not supported here",
        )
    if who.principal.needs_credentials and not dev_mode:
        raise Refused(
            grpc.StatusCode.UNAUTHENTICATED,
            f"anonymous connection as {who.principal.type_name} "
            "requires a matching API key credential",
        )
    return Admission(is_admin=dev_mode, scopes=())


def _admit_task_token(token: str, who: ResolvedIdentity, tokens: TokenStore) -> Admission:
    """A token minted for one startup order admits exactly that order's identity (sheet §1.1)."""
    record = tokens.authenticate(token)
    if record is None or "task" not in record.scopes:
        raise Refused(grpc.StatusCode.UNAUTHENTICATED, "invalid or revoked token: not a task token")
    if record.name != task_token_name(who.identity):
        issued = record.name.removeprefix("task:")
        raise Refused(
            grpc.StatusCode.PERMISSION_DENIED, f"token issued for {issued}, not {who.identity}"
        )
    return Admission(is_admin=False, scopes=tuple(record.scopes))
