"""The Connect RPC: handshake, the per-session loops, and dispatch of upstream arms to handlers."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
from google.protobuf.message import DecodeError

from aether_gateway import logsafe
from aether_gateway.auth import Refused, admit, peer_certificate, settle
from aether_gateway.config import GatewayConfig
from aether_gateway.context import Caller
from aether_gateway.delivery import (
    PREFETCH,
    DeliveryState,
    Negotiation,
    negotiate,
    supported_extensions,
)
from aether_gateway.hub import Hub, end
from aether_gateway.identity import IdentityError, resolve
from aether_gateway.locks import DuplicateIdentity, LockTable, ResumeRefused
from aether_gateway.router import Router, error
from aether_gateway.services import Services
from aether_gateway.session import Outgoing, Session
from scitrera_aether_client.wire import aether_pb2, aether_pb2_grpc

log = logging.getLogger("aether_gateway")
logsafe.install()  # client text reaches this log: one clipped line per record
Down = aether_pb2.DownstreamMessage
UNDECODABLE = "frame is not a valid aether.v1.UpstreamMessage"
MAX_ACK_TAGS = 8192  # delivery tags read from one DeliveryAck; the SDK sends at most 1024
MAX_MESSAGE_ID = 128  # characters; the SDK's ids are about 30
Handler = Callable[[Caller, Any], list[Down]]


class TokenBucket:
    """Per-session flood control: a sender over its rate gets ERR_RATE_LIMITED; others carry on."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.stamp = burst, time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True


class Gateway(aether_pb2_grpc.AetherGatewayServicer):
    def __init__(self, config: GatewayConfig, services: Services) -> None:
        self.config = config
        self.services = services
        self.hub: Hub = services.hub
        self.router = Router(
            self.hub,
            config.max_payload,
            config.prefixes,
            services.on_offline_target,
            services.may_send_into,
            services.queue_limits.refusal,
        )
        self.locks = LockTable(config.lock_history_max)
        self.started = time.time()
        self.metrics = services.metrics
        self.handlers: dict[str, Handler] = {"send": self.metrics.counting_route(self.router.route)}
        self.handlers.update(services.handlers())
        self.handlers["switch_workspace"] = self._switch_workspace
        # Set by shutdown(): a client reconnecting at once after GRACEFUL_DISCONNECT must not get
        # a new session on a gateway that is about to stop (it would be ended again at once).
        self.stopping = False

    # ------------------------------------------------------------------ the RPC

    async def Connect(
        self, request_iterator: AsyncIterator[aether_pb2.UpstreamMessage], context: Any
    ) -> AsyncIterator[Down]:
        try:
            first = await asyncio.wait_for(
                anext(aiter(request_iterator)), self.config.init_timeout_s
            )
        except TimeoutError:
            await context.abort(
                grpc.StatusCode.DEADLINE_EXCEEDED, "timeout waiting for InitConnection"
            )
        except StopAsyncIteration:
            return
        except DecodeError:
            log.info("denied %s: undecodable first frame", context.peer())
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, UNDECODABLE)
        if self.stopping:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "server shutting down")
        if first.WhichOneof("payload") != "init":
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, "first message must be InitConnection"
            )
        session = await self._handshake(first.init, context)
        reader = asyncio.create_task(self._read(session, request_iterator))
        try:
            commit = self.hub.commit
            while True:
                item = await session.queue.get()
                if item is None or (session.end_status is not None and item.topic):
                    break  # durable frames not yet sent stay stored for the next connection
                if item.batch is not None and not item.batch.committed.is_set():
                    await item.batch.committed.wait()  # written ahead before it leaves
                state = session.delivery
                if state is not None and item.topic and item.frame.HasField("msg"):
                    # Acknowledged delivery: the row stays stored until the client acks its tag.
                    if len(state.inflight) >= PREFETCH:
                        await state.wait_for_room(session.ended)
                        if session.end_status is not None:
                            break
                    seq = item.stored_seq()
                    state.inflight[seq] = item.topic
                    commit.handed(item.topic, seq)
                    yield state.tagged(item.frame, seq, item.redelivered, item.batch is not None)
                    continue
                yield _without_extensions(item.frame) if state is None else item.frame
                if item.topic:
                    commit.sent(item.topic, item.stored_seq())
        finally:
            reader.cancel()
            self._leave(session)
        if session.end_status is not None:
            code, details = session.end_status
            await context.abort(_status(code), logsafe.clip(details))

    async def _handshake(self, init: aether_pb2.InitConnection, context: Any) -> Session:
        try:
            who = resolve(init, self.config.principals)
        except IdentityError as exc:
            log.info("denied: %s", exc)
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, logsafe.clip(str(exc)))
            raise
        try:
            admission = admit(
                init, who, self.services.tokens, self.config.dev_mode, peer_certificate(context)
            )
        except Refused as exc:
            log.info("denied %s: %s", who.identity, exc.message)
            await context.abort(exc.code, logsafe.clip(exc.message))
            raise
        session_id = str(uuid.uuid4())
        try:
            lock = self.locks.acquire(
                who.identity, session_id, init.resume_session_id, admission.credential
            )
        except ResumeRefused as exc:
            log.info("denied %s: %s", who.identity, exc)
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, str(exc))
            raise
        except DuplicateIdentity:
            log.info("denied %s: duplicate identity", who.identity)
            await context.abort(
                grpc.StatusCode.ALREADY_EXISTS,
                f"DuplicateIdentityError: identity ({who.identity}) already connected",
            )
            raise
        settle(admission, self.services.tokens, session_id)
        if lock.displaced_session:
            old = self.hub.by_id.get(lock.displaced_session)
            if old is not None:
                end(old, grpc.StatusCode.CANCELLED.value[0], "session resumed elsewhere")
                self._leave(old)
        caller = Caller(
            session_id=session_id,
            principal=who.principal,
            identity=who.identity,
            topic=who.topic,
            fields=dict(who.fields),
            workspace=who.workspace,
            is_admin=admission.is_admin,
            token_scopes=admission.scopes,
            workspace_patterns=admission.workspace_patterns,
            credential=admission.credential,
            connected_at_ms=int(time.time() * 1000),
            remote_addr=str(context.peer()),
            profiles=tuple(init.orchestrator.supported_profiles),
        )
        session = Session(caller)
        negotiation = negotiate(init, self.config.delivery_extension)
        if negotiation.acknowledged:
            session.delivery = DeliveryState(push=lambda frame: session.push(Outgoing(frame)))
        self.hub.register(session)
        try:
            self._welcome(session, who.pooled, who.fields, lock, negotiation)
        except BaseException:
            self._leave(session)
            raise
        log.info("connect %s session=%s resumed=%s", caller.identity, session_id, lock.resumed)
        return session

    def _welcome(
        self,
        session: Session,
        pooled: bool,
        fields: dict[str, str] | Any,
        lock: Any,
        negotiation: Negotiation,
    ) -> None:
        """Ack first, then the snapshot and queued assignments, then replay of stored messages."""
        caller = session.caller
        ack = aether_pb2.ConnectionAck(
            session_id=caller.session_id,
            resumed=lock.resumed,
            assigned_id=fields.get("task_id", "") if pooled else "",
            server_version=self.config.server_version,
            initial_connection_unix_ms=lock.initial_connection_unix_ms,
            reconnection_count=lock.reconnection_count,
            negotiated_extensions=negotiation.results,
            server_supported_extensions=supported_extensions(self.config.delivery_extension),
        )
        session.push(Outgoing(Down(connection_ack=ack)))
        if negotiation.required_unsupported:
            missing = ", ".join(negotiation.required_unsupported)
            end(
                session,
                grpc.StatusCode.FAILED_PRECONDITION.value[0],
                logsafe.clip(f"ERR_EXTENSION_UNSUPPORTED: {missing}"),
            )
            return
        for frame in self.services.on_connect(caller):  # ConfigSnapshot, queued task assignments
            session.push(Outgoing(frame))
        for topic in self._topics(caller, pooled):
            self.hub.subscribe(session, topic)
            self.hub.replay(session, topic)

    def _topics(self, caller: Caller, pooled: bool) -> list[str]:
        p = caller.principal
        fields = dict(caller.fields)
        topics = [caller.topic] if caller.topic else []
        extra = p.pooled_subscriptions if pooled else p.subscriptions
        topics += [t.format(**fields) for t in extra]
        return topics

    def _leave(self, session: Session) -> None:
        if self.hub.by_id.get(session.caller.session_id) is not session:
            return
        self.hub.unregister(session)
        self.locks.release(session.caller.identity, session.caller.session_id)
        self.services.on_disconnect(session.caller)
        log.info("disconnect %s session=%s", session.caller.identity, session.caller.session_id)

    async def _read(
        self, session: Session, frames: AsyncIterator[aether_pb2.UpstreamMessage]
    ) -> None:
        bucket = TokenBucket(self.config.rate_per_s, self.config.rate_burst)
        caller = session.caller
        try:
            async for frame in frames:
                arm = frame.WhichOneof("payload")
                if arm == "init":
                    end(
                        session,
                        grpc.StatusCode.INVALID_ARGUMENT.value[0],
                        "InitConnection already sent",
                    )
                    return
                state = session.delivery
                if arm == "delivery_ack" and state is not None:
                    # Not rate limited: acks are batched by the client and bounded by PREFETCH.
                    tags = list(frame.delivery_ack.delivery_tags[:MAX_ACK_TAGS])
                    for seq in state.acknowledge(tags):
                        self.hub.commit.delete(seq)
                    continue
                message_id = frame.send.message_id if arm == "send" and state else ""
                if not bucket.take():
                    out = _rate_limited(frame, arm)
                    if arm == "send":
                        self.metrics.refused(out.error.code)
                    session.push(Outgoing(out))
                    if message_id and state is not None:
                        state.refuse(message_id, out.error.code, out.error.message)
                    continue
                if len(message_id) > MAX_MESSAGE_ID:
                    out = error("ERR_INVALID_ARGUMENT", f"message_id over {MAX_MESSAGE_ID} chars")
                    self.metrics.refused(out.error.code)
                    session.push(Outgoing(out))
                    assert state is not None
                    state.refuse(message_id[:MAX_MESSAGE_ID], out.error.code, out.error.message)
                    continue
                outs = self._handle(caller, frame, arm)
                for out in outs:
                    session.push(Outgoing(out))
                if message_id and state is not None:
                    self._settle_send(state, message_id, outs)
        except (grpc.RpcError, asyncio.CancelledError):
            pass
        except DecodeError:
            log.info("ending %s: undecodable frame", caller.identity)
            end(session, grpc.StatusCode.INVALID_ARGUMENT.value[0], UNDECODABLE)
            return
        except Exception:
            log.exception("reader of %s failed", caller.identity)
        end(session, 0, "")

    def _settle_send(self, state: DeliveryState, message_id: str, outs: list[Down]) -> None:
        """Confirm a routed send once its rows are committed; refuse one the router refused."""
        for out in outs:
            if out.HasField("error"):
                state.refuse(message_id, out.error.code, out.error.message)
                return
        self.hub.commit.after_commit(lambda: state.confirm(message_id))

    def _handle(
        self, caller: Caller, frame: aether_pb2.UpstreamMessage, arm: str | None
    ) -> list[Down]:
        handler = self.handlers.get(arm or "")
        body = getattr(frame, arm) if arm else None
        if handler is None:
            rid = getattr(body, "request_id", "") if body is not None else ""
            return [error("ERR_NOT_IMPLEMENTED", f"operation {arm!r} is not implemented", rid)]
        try:
            return handler(caller, body)
        except Exception:
            log.exception("handler %s failed for %s", arm, caller.identity)
            rid = getattr(body, "request_id", "")
            return [error("ERR_INTERNAL", f"internal error handling {arm}", rid)]

    def _switch_workspace(self, caller: Caller, msg: aether_pb2.SwitchWorkspace) -> list[Down]:
        from scitrera_aether_client.wire import identity_problem

        if not caller.principal.workspace_subscriptions:
            return [error("ERR_INVALID_PRINCIPAL", "only users can switch workspaces")]
        new = msg.new_workspace_id
        if not new or identity_problem(new):
            return [error("ERR_WORKSPACE_SWITCH_FAILED", f"invalid workspace {new!r}")]
        if not self.services.may_enter(caller, new):
            return [error("ERR_PERMISSION_DENIED", f"access denied: cannot switch to {new}")]
        if new == caller.workspace:
            return []
        session = self.hub.by_id[caller.session_id]
        templates = caller.principal.workspace_subscriptions
        if caller.workspace:
            for t in templates:
                self.hub.unsubscribe(
                    session, t.format(**{**caller.fields, "workspace": caller.workspace})
                )
        caller.workspace = new
        for t in templates:
            topic = t.format(**{**caller.fields, "workspace": new})
            self.hub.subscribe(session, topic)
            self.hub.replay(session, topic)
        return []

    async def shutdown(self) -> None:
        """Tell every session the server is going away (GRACEFUL_DISCONNECT), then end them.
        From here on, new connections are refused with UNAVAILABLE (clients retry elsewhere or
        later)."""
        self.stopping = True
        signal = aether_pb2.Signal(
            type=aether_pb2.Signal.GRACEFUL_DISCONNECT, reason="server shutting down"
        )
        for session in list(self.hub.by_id.values()):
            session.push(Outgoing(Down(signal=signal)))
            end(session, grpc.StatusCode.UNAVAILABLE.value[0], "server shutting down")
        await asyncio.sleep(0.05)


def _without_extensions(frame: Down) -> Down:
    """A peer that did not negotiate the delivery extension never sees its fields."""
    if not frame.HasField("msg") or not frame.msg.message_id:
        return frame
    out = Down()
    out.CopyFrom(frame)
    out.msg.ClearField("message_id")
    return out


def _rate_limited(frame: aether_pb2.UpstreamMessage, arm: str | None) -> Down:
    body = getattr(frame, arm) if arm else None
    rid = getattr(body, "request_id", "") if body is not None else ""
    out = error("ERR_RATE_LIMITED", "too many frames from this session", rid, retryable=True)
    out.error.retry_after_ms = 100
    return out


def _status(code: int) -> grpc.StatusCode:
    for status in grpc.StatusCode:
        if status.value[0] == code:
            return status
    return grpc.StatusCode.UNKNOWN
