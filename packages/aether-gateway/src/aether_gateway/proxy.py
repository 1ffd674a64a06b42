"""HTTP over the stream: the gateway relays ProxyHttpRequest, its body chunks and the
ProxyHttpResponse between a caller and a terminator (usually a service principal).

The relay gives every request a wire id (`_aether/wire/<uuid>`) so two callers that reuse the same
request_id never collide at the terminator, and keeps two pins per request: wire id -> the request
(caller, original id, terminator) and (caller session, original id) -> wire id, for the caller's
request-body chunks. Every failure travels as `ProxyHttpResponse.error`, never as an ErrorResponse.

Two deliberate differences from the Go gateway, both possible because this gateway is one process
that sees every live session:
- a concrete target that is not connected fails at once with SIDECAR_UNAVAILABLE (Go publishes
  to the instance's durable topic and the caller waits for its own timeout);
- frames go to the live session of each side, not to its durable topic: a proxy frame replayed
  after a reconnect would answer a request whose caller has already given up.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from aether_gateway.context import Caller
from aether_gateway.handlers.admin_policy import acl_subject
from aether_gateway.hub import Hub
from aether_gateway.proxy_pins import Pin, PinTable, pin_ttl
from aether_gateway.router import topic_problem
from aether_gateway.store.acl import ACLStore
from aether_gateway.workspace_reach import topic_workspace
from scitrera_aether_client.wire import aether_pb2

log = logging.getLogger("aether_gateway.proxy")

Down = aether_pb2.DownstreamMessage
Kind = aether_pb2.ProxyError
Handler = Callable[[Caller, Any], list[Down]]

MAX_INLINE_BODY_BYTES = 8 << 20  # proxy.max_request_body_bytes
MAX_CHAIN_DEPTH = 8
WIRE_ID_PREFIX = "_aether/wire/"
_STRIPPED_PREFIXES = ("x-auth-", "x-aether-")


def proxy_error(request_id: str, kind: int, message: str) -> Down:
    """The only shape a proxy failure takes on the wire."""
    error = aether_pb2.ProxyError(kind=kind, message=message)  # type: ignore[arg-type]
    return Down(
        proxy_http_response=aether_pb2.ProxyHttpResponse(request_id=request_id, error=error)
    )


def fin_chunk(request_id: str, *, is_request: bool) -> Down:
    chunk = aether_pb2.ProxyHttpBodyChunk(request_id=request_id, is_request=is_request, fin=True)
    return Down(proxy_http_body_chunk=chunk)


def workspace_access(acl: ACLStore) -> Callable[[Caller], int]:
    """X-Auth-Workspace-Access: the caller's ACL level on its own workspace (0 without one)."""

    def level(caller: Caller) -> int:
        if not caller.workspace:
            return 0
        principal_type, principal_id = acl_subject(caller)
        return acl.access(principal_type, principal_id, "workspace", caller.workspace).level

    return level


class ProxyRelay:
    """The three upstream proxy arms and the session-end hook, over the hub's live sessions."""

    def __init__(
        self,
        hub: Hub,
        *,
        resolve_service: Callable[[str], str | None],
        prefixes: frozenset[str],
        workspace_access: Callable[[Caller], int] | None = None,
        may_send_into: Callable[[Caller, str], bool] | None = None,
        tenant_id: str = "",
        max_inline_body: int = MAX_INLINE_BODY_BYTES,
        max_chain_depth: int = MAX_CHAIN_DEPTH,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.hub = hub
        self.resolve_service = resolve_service
        self.prefixes = prefixes
        self.workspace_access = workspace_access or (lambda caller: 0)
        # The workspace binding (workspace_reach); None leaves every workspace open.
        self.may_send_into = may_send_into or (lambda caller, workspace: True)
        self.tenant_id = tenant_id
        self.max_inline_body = max_inline_body
        self.max_chain_depth = max_chain_depth
        self.clock = clock
        self.table = PinTable(clock)  # requests in flight (proxy_pins.py)

    def handlers(self) -> dict[str, Handler]:
        return {
            "proxy_http_request": self.on_request,
            "proxy_http_body_chunk": self.on_chunk,
            "proxy_http_response": self.on_response,
        }

    # ------------------------------------------------------------------ caller -> terminator

    def on_request(self, caller: Caller, req: aether_pb2.ProxyHttpRequest) -> list[Down]:
        rid = req.request_id
        target = req.target_topic
        refusal = self._refusal(req)
        if refusal is not None:
            return self._failed(caller, rid, target, *refusal)
        # Before resolving the target, so a refusal says nothing about whether it is connected.
        if topic_problem(target, self.prefixes) is None and not self.may_send_into(
            caller, topic_workspace(target)
        ):
            message = f"not authorized to reach {target}"
            return self._failed(caller, rid, target, Kind.ACL_DENIED, message)
        req.proxy_chain_depth += 1
        resolved = self._resolve(target)
        if isinstance(resolved, str):
            return self._failed(caller, rid, target, Kind.SIDECAR_UNAVAILABLE, resolved)
        service_topic, service_session = resolved
        req.target_topic = service_topic
        if problem := _authorization_problem(req):
            return self._failed(caller, rid, service_topic, Kind.ACL_DENIED, problem)
        if req.HasField("authorization"):
            req.authorization.ClearField("resolved")  # only the gateway may state a resolved grant
        self._mint_headers(caller, req)
        wire_id = WIRE_ID_PREFIX + str(uuid.uuid4())
        ttl = pin_ttl(req.timeout_ms)
        pin = Pin(
            wire_id=wire_id,
            original_id=rid,
            caller_session=caller.session_id,
            caller_topic=caller.topic,
            service_session=service_session,
            service_topic=service_topic,
            ttl_s=ttl,
            expires_at=self.clock() + ttl,
        )
        self.table.add(pin)
        req.request_id = wire_id
        if not self.hub.send_to_session(service_session, Down(proxy_http_request=req)):
            self.table.drop(pin)
            message = f"failed to deliver request: {service_topic} is not accepting frames"
            return self._failed(caller, rid, service_topic, Kind.SIDECAR_UNAVAILABLE, message)
        log.debug(
            "proxy_http_routed caller=%s target=%s request_id=%s wire=%s body=%d",
            caller.identity,
            service_topic,
            rid,
            wire_id,
            len(req.body),
        )
        return []

    def _refusal(self, req: aether_pb2.ProxyHttpRequest) -> tuple[int, str] | None:
        if not req.request_id:
            return Kind.DECODE_FAILED, "ProxyHttpRequest.request_id is required"
        if len(req.body) > self.max_inline_body:
            return (
                Kind.PAYLOAD_TOO_LARGE,
                f"request body size {len(req.body)} exceeds maximum of "
                f"{self.max_inline_body} bytes",
            )
        depth = req.proxy_chain_depth
        if depth >= self.max_chain_depth:
            return (
                Kind.ACL_DENIED,
                f"proxy_chain_depth_exceeded: inbound={depth} cap={self.max_chain_depth}",
            )
        return None

    def _resolve(self, target: str) -> tuple[str, str] | str:
        """(concrete topic, its live session id), or why there is none."""
        if problem := topic_problem(target, self.prefixes):
            return f"invalid target topic: {problem}"
        parts = target.split("::")
        if parts[0] == "sv" and len(parts) == 2:
            concrete = self.resolve_service(target)
            if concrete is None:
                return f"no healthy {target} instances available"
            target = concrete
        session_id = self._live_session(target)
        if session_id is None:
            return f"target {target} is not connected"
        return target, session_id

    def _live_session(self, topic: str) -> str | None:
        """The session that owns `topic` as its own topic (broadcast lanes have no owner)."""
        for session in self.hub.subscribers.get(topic, ()):
            if session.caller.topic == topic and not session.ended.is_set():
                return session.caller.session_id
        return None

    def _mint_headers(self, caller: Caller, req: aether_pb2.ProxyHttpRequest) -> None:
        """Drop whatever identity headers the caller sent; state who it really is (direct mode)."""
        for name in [h for h in req.headers if h.lower().startswith(_STRIPPED_PREFIXES)]:
            del req.headers[name]
        acl_id = caller.principal.acl_id  # users are named by user_id, others by identity
        user_id = caller.fields.get(acl_id, "") if acl_id else caller.identity
        type_name = caller.principal.type_name
        req.headers.update(
            {
                "x-aether-actor-topic": caller.topic,
                "X-Aether-Caller-Topic": caller.topic,
                "X-Auth-Tenant-ID": self.tenant_id or caller.workspace,
                "X-Auth-Workspace-Access": str(self.workspace_access(caller)),
                "X-Auth-User-ID": user_id,
                "X-Auth-Principal-Type": type_name,
                "X-Auth-Actor-Type": type_name,
                "X-Auth-Actor-ID": user_id,
                "X-Auth-Authority-Mode": "direct",
            }
        )

    # ------------------------------------------------------------------ both directions

    def on_chunk(self, caller: Caller, chunk: aether_pb2.ProxyHttpBodyChunk) -> list[Down]:
        rid = chunk.request_id
        if not rid:
            return []
        if chunk.is_request:
            pin = self.table.of_caller(caller.session_id, rid)
            if pin is None or pin.caller_session != caller.session_id:
                return [
                    proxy_error(rid, Kind.SIDECAR_UNAVAILABLE, "request pin expired or unknown")
                ]
            chunk.request_id = pin.wire_id
            if not self.hub.send_to_session(pin.service_session, Down(proxy_http_body_chunk=chunk)):
                self._abort(pin, "failed to deliver chunk: the terminator is not accepting frames")
                return []
            self.table.refresh(pin)
            return []
        pin = self.table.live(rid)
        if pin is None or pin.service_session != caller.session_id:
            return []  # the caller is gone or already has its answer
        chunk.request_id = pin.original_id
        if not self.hub.send_to_session(pin.caller_session, Down(proxy_http_body_chunk=chunk)):
            self._abort(pin, "failed to deliver response chunk: the caller is not accepting frames")
            return []
        if chunk.fin:
            self.table.drop(pin)
        else:
            self.table.refresh(pin)
        return []

    # ------------------------------------------------------------------ terminator -> caller

    def on_response(self, caller: Caller, resp: aether_pb2.ProxyHttpResponse) -> list[Down]:
        pin = self.table.live(resp.request_id)
        if pin is None or pin.service_session != caller.session_id:
            return []
        resp.request_id = pin.original_id
        delivered = self.hub.send_to_session(pin.caller_session, Down(proxy_http_response=resp))
        if resp.HasField("error") or not resp.body_chunked:
            self.table.drop(pin)
            if resp.HasField("error"):
                log.info(
                    "proxy_http_failed target=%s request_id=%s kind=%s: %s",
                    pin.service_topic,
                    pin.original_id,
                    Kind.Kind.Name(resp.error.kind),
                    resp.error.message,
                )
        elif not delivered:
            self._abort(pin, "failed to deliver response: the caller is not accepting frames")
        else:
            self.table.refresh(pin)
        return []

    # ------------------------------------------------------------------ session end

    def on_disconnect(self, caller: Caller) -> None:
        """Tell the surviving side of every request in flight that its peer is gone."""
        sid = caller.session_id
        for pin in self.table.of_session(sid):
            self.table.drop(pin)
            if pin.caller_session == pin.service_session:
                continue
            if pin.caller_session == sid:
                message = f"peer session ended (caller {caller.topic or caller.identity} left)"
                self._notify_service(pin, message)
            else:
                message = f"peer session ended (terminator {pin.service_topic} left)"
                self._notify_caller(pin, message)

    def _abort(self, pin: Pin, message: str) -> None:
        """A frame could not be relayed: end the request on both sides."""
        self.table.drop(pin)
        self._notify_caller(pin, message)
        self._notify_service(pin, message)

    def _notify_caller(self, pin: Pin, message: str) -> None:
        rid = pin.original_id
        self.hub.send_to_session(
            pin.caller_session, proxy_error(rid, Kind.SIDECAR_UNAVAILABLE, message)
        )
        self.hub.send_to_session(pin.caller_session, fin_chunk(rid, is_request=False))
        log.info("proxy_http_failed request_id=%s: %s", rid, message)

    def _notify_service(self, pin: Pin, message: str) -> None:
        wire = pin.wire_id
        self.hub.send_to_session(
            pin.service_session, proxy_error(wire, Kind.SIDECAR_UNAVAILABLE, message)
        )
        self.hub.send_to_session(pin.service_session, fin_chunk(wire, is_request=True))

    def _failed(self, caller: Caller, rid: str, target: str, kind: int, message: str) -> list[Down]:
        log.info(
            "proxy_http_failed caller=%s target=%s request_id=%s kind=%s: %s",
            caller.identity,
            target,
            rid,
            Kind.Kind.Name(kind),
            message,
        )
        return [proxy_error(rid, kind, message)]


def _authorization_problem(req: aether_pb2.ProxyHttpRequest) -> str | None:
    """Direct mode only: this gateway has no authority-grant service to validate OBO with."""
    if not req.HasField("authorization"):
        return None
    auth = req.authorization
    mode = auth.authority_mode
    if mode in ("", "direct"):
        if auth.grant_id or auth.subject.principal_type or auth.subject.principal_id:
            return "direct authorization context must not include subject or grant"
        return None
    if mode == "on_behalf_of":
        return "on_behalf_of resolution requires an authority resolver"
    return f"unsupported authority mode {mode!r}"
