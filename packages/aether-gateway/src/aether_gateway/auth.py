"""Credential checks at the handshake (sheet §1.1-1.2): dev mode, API keys, refusals."""

from __future__ import annotations

from dataclasses import dataclass

import grpc

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
    key = creds.get("api_key") or creds.get("x-api-key")
    if key:
        record = tokens.authenticate(key)
        if record is None:
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
    if creds.get("token") or creds.get("task_token"):
        raise Refused(
            grpc.StatusCode.UNAUTHENTICATED, "invalid or revoked token: unknown task token"
        )
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
