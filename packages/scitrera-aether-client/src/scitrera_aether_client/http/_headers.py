"""Identity headers of a proxied request, as the terminator hands it to the application.

"passthrough" keeps what arrived: the gateway has already stripped what the caller sent under
X-Auth-* / X-Aether-* and minted the caller's identity (ours and the Go gateway both do).
"strict" is the reference terminator's mode: strip those headers again and mint a fresh set from
the envelope (authority mode, OBO subject and grant) and this client's own identity as the actor.
"""

from __future__ import annotations

import inspect
import string
from typing import Any

from scitrera_aether_client._generated.principals import PRINCIPALS
from scitrera_aether_client.proto import aether_pb2

HEADER_MODES = ("strict", "passthrough")
OBO_POLICIES = ("require_resolver", "allow_partial")
_STRIPPED = ("x-auth-", "x-aether-")
_ACTOR_PRINCIPALS = frozenset({"service", "agent"})
Kind = aether_pb2.ProxyError
#: Hop-by-hop headers (RFC 9110 §7.6.1) describe the local connection, not the request: the
#: httpx transports and the requests adapter leave them out of what they proxy.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)


class ProxyRefusal(Exception):
    """A request the terminator will not run; it is answered with a ProxyError of `kind`."""

    def __init__(self, kind: int, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def strip_identity_headers(headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if not k.lower().startswith(_STRIPPED)}


def client_actor(client: Any) -> tuple[str, str] | None:
    """("Service", "sv::impl::spec") for service and agent clients; None for the others."""
    spec = PRINCIPALS.get(getattr(client, "PRINCIPAL", ""))
    if spec is None or spec.key not in _ACTOR_PRINCIPALS:
        return None
    names = [f for _, f, _, _ in string.Formatter().parse(spec.lock_key) if f]
    fields = {name: str(getattr(client, name, "")) for name in names}
    return spec.type_name, spec.lock_key.format(**fields)


class HeaderMinter:
    def __init__(
        self,
        client: Any,
        mode: str,
        resolver: Any = None,
        obo_policy: str = "require_resolver",
        tenant_id: str | None = None,
    ) -> None:
        self.client = client
        self.mode = mode
        self.resolver = resolver
        self.obo_policy = obo_policy
        self.tenant_id = tenant_id

    async def mint(
        self, headers: dict[str, str], auth: aether_pb2.AuthorizationContext | None
    ) -> dict[str, str]:
        if self.mode == "passthrough":
            return dict(headers)
        out = strip_identity_headers(headers)
        obo = auth is not None and auth.authority_mode == "on_behalf_of"
        out["X-Auth-Authority-Mode"] = "on_behalf_of" if obo else "direct"
        actor = client_actor(self.client)
        if actor is not None:
            out["X-Auth-Actor-Type"], out["X-Auth-Actor-ID"] = actor
        if self.tenant_id:
            out["X-Auth-Tenant-ID"] = self.tenant_id
        if obo and auth is not None:
            await self._mint_obo(out, auth)
        return out

    async def _mint_obo(self, out: dict[str, str], auth: aether_pb2.AuthorizationContext) -> None:
        subject = auth.subject
        out["X-Auth-Grant-ID"] = auth.grant_id
        out["X-Auth-Subject-Type"] = subject.principal_type
        out["X-Auth-Subject-ID"] = subject.principal_id
        out["X-Auth-Principal-Type"] = subject.principal_type
        out["X-Auth-User-ID"] = subject.principal_id
        resolved = auth.resolved if auth.HasField("resolved") else await self._resolve(auth)
        if resolved is None:
            if self.obo_policy == "require_resolver":
                raise ProxyRefusal(
                    Kind.ACL_DENIED, "on_behalf_of request without a resolved authority grant"
                )
            return
        out["X-Auth-Max-Access-Level"] = str(resolved.max_access_level)
        if resolved.workspace_scope:
            out["X-Auth-Workspace-Scope"] = ",".join(resolved.workspace_scope)
        out["X-Auth-Audience-Type"] = resolved.audience_type
        out["X-Auth-Audience-ID"] = resolved.audience_id
        if resolved.root_subject.principal_type:
            out["X-Auth-Root-Subject-Type"] = resolved.root_subject.principal_type
        if resolved.root_subject.principal_id:
            out["X-Auth-Root-Subject-ID"] = resolved.root_subject.principal_id

    async def _resolve(
        self, auth: aether_pb2.AuthorizationContext
    ) -> aether_pb2.ResolvedAuthorityInfo | None:
        """Ask the resolver (a callable, or an object with resolve()) for the grant's limits."""
        if self.resolver is None:
            return None
        resolve = getattr(self.resolver, "resolve", self.resolver)
        try:
            result = resolve(auth)
            if inspect.isawaitable(result):
                result = await result
        except Exception as error:
            raise ProxyRefusal(Kind.UPSTREAM_RESET, f"authority resolver failed: {error}") from None
        if result is not None and not isinstance(result, aether_pb2.ResolvedAuthorityInfo):
            raise ProxyRefusal(
                Kind.UPSTREAM_RESET, "authority resolver must return a ResolvedAuthorityInfo"
            )
        return result
