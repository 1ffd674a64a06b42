"""Credential checks at the handshake.

Outside dev mode every principal presents a credential: a task token, an API key bound to its
principal type and identity patterns, or an mTLS client certificate naming its identity. In dev
mode a client may connect without one, and an API key never minted here counts as none. Each
admission records which credential it was (`Admission.credential`), so that only that credential
may resume the session and revoking a key can find every session it opened.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import grpc

from aether_gateway.handlers.orchestration import task_token_name
from aether_gateway.identity import ResolvedIdentity
from aether_gateway.store.tokens import TokenStore, bind_check, glob_match
from scitrera_aether_client.wire import aether_pb2

log = logging.getLogger("aether_gateway")

# A client certificate names the identities it may connect as in URI subjectAltNames of this
# scheme, each an identity string or a glob of one: "aether:ag::ws-1::bot::*", "aether:wfe::shard0".
CERT_URI_SCHEME = "aether:"
ANONYMOUS = "anonymous"  # the credential of a session admitted without one (dev mode)


@dataclass(frozen=True, slots=True)
class Admission:
    is_admin: bool
    scopes: tuple[str, ...]
    # Workspaces the credential binds the session to, besides its identity's own (workspace_reach).
    workspace_patterns: tuple[str, ...] = ()
    credential: str = ANONYMOUS  # "key:<id>", "task:<id>", "cert:<sha256 of the certificate>"
    task_token_id: str = ""  # set when a task token admitted the session: spent by `settle`


@dataclass(frozen=True, slots=True)
class PeerCertificate:
    """A client certificate the TLS layer verified against --tls-client-ca."""

    identities: tuple[str, ...]  # identity globs from its `aether:` URI subjectAltNames
    fingerprint: str  # SHA-256 of its PEM

    def names(self, identity: str) -> bool:
        return any(glob_match(identity, pattern) for pattern in self.identities)


def peer_certificate(context: Any) -> PeerCertificate | None:
    """The verified client certificate of the RPC, or None (plaintext, TLS without mTLS)."""
    try:
        auth: dict[str, list[bytes]] = context.auth_context() or {}
    except Exception:  # a context without TLS properties (not served by grpc.aio)
        return None
    pem = auth.get("x509_pem_cert")
    if not pem:
        return None
    # `peer_uri` holds the URI SANs; older gRPC releases only list every SAN together.
    sans = [*auth.get("peer_uri", ()), *auth.get("x509_subject_alternative_name", ())]
    return PeerCertificate(tuple(dict.fromkeys(_named(sans))), hashlib.sha256(pem[0]).hexdigest())


def _named(sans: Iterable[bytes]) -> Iterable[str]:
    for raw in sans:
        text = raw.decode("utf-8", "replace")
        if text.startswith(CERT_URI_SCHEME) and len(text) > len(CERT_URI_SCHEME):
            yield text.removeprefix(CERT_URI_SCHEME)


class Refused(Exception):
    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def admit(
    init: aether_pb2.InitConnection,
    who: ResolvedIdentity,
    tokens: TokenStore,
    dev_mode: bool,
    peer: PeerCertificate | None = None,
) -> Admission:
    """Who may connect as `who`, or Refused. A certificate naming identities constrains the
    connection whatever else it presents; one naming none is transport security only."""
    naming = peer if peer is not None and peer.identities else None
    if naming is not None and not naming.names(who.identity):
        raise Refused(
            grpc.StatusCode.PERMISSION_DENIED, f"certificate does not name {who.identity}"
        )
    creds = init.credentials
    task_token = creds.get("token") or creds.get("task_token")
    if task_token:  # checked first, as in the Go gateway
        return _admit_task_token(task_token, who, tokens, init.resume_session_id)
    key = creds.get("api_key") or creds.get("x-api-key")
    if key and dev_mode and not tokens.is_known(key):
        # As the Go gateway's dev mode (API-key auth off): a key never minted here, such as a
        # README placeholder, is no credential at all, so the client connects as anonymous
        # clients do in dev mode. A revoked or expired key is still refused below: revoking is
        # an operator's decision that dev mode must not undo.
        log.warning(
            "dev mode: admitting %s, whose API key is unknown here, as if it presented none",
            who.identity,
        )
        key = ""
    if key:
        record = tokens.authenticate(key)
        if record is None or record.is_task_token:  # a task token is not a general key
            raise Refused(
                grpc.StatusCode.UNAUTHENTICATED, "credential authentication failed: invalid API key"
            )
        fields = who.fields
        problem = bind_check(
            record,
            who.principal.type_name,
            who.workspace,
            fields.get("user_id", ""),
            implementation=fields.get("implementation"),
            specifier=fields.get("specifier", fields.get("unique_specifier")),
        )
        if problem:
            raise Refused(grpc.StatusCode.PERMISSION_DENIED, problem)
        scopes = tuple(record.scopes)
        return Admission(
            is_admin="admin" in scopes,
            scopes=scopes,
            workspace_patterns=tuple(record.workspace_patterns),
            credential=f"key:{record.id}",
        )
    if creds.get("authorization") or creds.get("bearer_token") or creds.get("session_token"):
        raise Refused(
            grpc.StatusCode.UNAUTHENTICATED,
            "credential authentication failed: bearer and session tokens are not supported here",
        )
    if naming is not None:  # a certificate is no admin credential, and binds no other workspace
        return Admission(
            is_admin=False, scopes=("connect",), credential=f"cert:{naming.fingerprint}"
        )
    if who.principal.needs_credentials and not dev_mode:
        raise Refused(
            grpc.StatusCode.UNAUTHENTICATED,
            f"anonymous connection as {who.principal.type_name} "
            "requires a matching API key credential",
        )
    # Without a credential there is no binding beyond the identity's own workspace (dev mode
    # opens every workspace anyway).
    return Admission(is_admin=dev_mode, scopes=())


def settle(admission: Admission, tokens: TokenStore, session_id: str) -> None:
    """After the lock is taken: a task token is spent on the session it opened. Not earlier, so
    a connection refused as a duplicate does not burn the launched worker's token."""
    if admission.task_token_id:
        tokens.bind_task_token(admission.task_token_id, session_id)


def _admit_task_token(
    token: str, who: ResolvedIdentity, tokens: TokenStore, resume_session_id: str
) -> Admission:
    """A token minted for one startup order admits exactly that order's identity,
    for one session: later it only resumes the session it opened (or last resumed)."""
    record = tokens.authenticate(token)
    if record is None:
        raise Refused(
            grpc.StatusCode.UNAUTHENTICATED, "invalid or revoked token: unknown, expired or revoked"
        )
    if not record.is_task_token:
        raise Refused(grpc.StatusCode.UNAUTHENTICATED, "invalid or revoked token: not a task token")
    if record.name != task_token_name(who.identity):
        issued = record.name.removeprefix("task:")
        raise Refused(
            grpc.StatusCode.PERMISSION_DENIED, f"token issued for {issued}, not {who.identity}"
        )
    spent_on = tokens.task_token_session(record.id)
    if spent_on is not None and spent_on != resume_session_id:
        raise Refused(
            grpc.StatusCode.UNAUTHENTICATED, "invalid or revoked token: task token already used"
        )
    return Admission(
        is_admin=False,
        scopes=tuple(record.scopes),
        credential=f"task:{record.id}",
        task_token_id=record.id,
    )
