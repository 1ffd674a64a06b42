"""The protocol core: one async connection shared by the sync and async client facades.

It owns the gRPC stream, the handshake, request/response correlation, downstream dispatch,
reconnection with session resume, and the bounded outbound buffer. It runs on one event loop (the
caller's for async clients, a background loop thread for sync clients); the facades differ only in
how they wait.
"""

from __future__ import annotations

import asyncio
import logging
import platform
import sys
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import grpc

from scitrera_aether_client import exceptions as exc
from scitrera_aether_client._core import delivery
from scitrera_aether_client._core.backoff import Backoff, RetryBudget
from scitrera_aether_client._core.outbox import Outbox
from scitrera_aether_client._core.tls import TLSOptions, channel_credentials
from scitrera_aether_client._generated.dispatch import (
    ARM_BY_MESSAGE,
    MESSAGE_TYPE_CALLBACKS,
    ROUTES,
)
from scitrera_aether_client.proto import aether_pb2, aether_pb2_grpc

log = logging.getLogger("scitrera_aether_client")
R = TypeVar("R")

#: Responses the Go gateway sends without echoing request_id: matched to the oldest pending call.
FIFO_ARMS = frozenset({"workspace", "agent", "acl"})
#: Admin calls the Go gateway refuses with an ErrorResponse carrying no request_id (docs/admin.md,
#: "Refusals without a request_id"): one such refusal fails the call when it is the only one of
#: these pending, since then it cannot be anyone else's.
UNCORRELATED_DENIAL_ARMS = frozenset({"workspace", "agent", "token"})
HANDSHAKE_TIMEOUT_S = 30.0
# Best-effort mode (a gateway without the delivery extension): aether.v1 has no send
# acknowledgement, so messages written just before a stream died may never have reached the
# gateway. Those written in the last RESEND_WINDOW_S are sent again on the next stream. With the
# extension, every unconfirmed send is resent instead (delivery.py).
RESEND_WINDOW_S = 0.25
CLOSE_FLUSH_S = 10.0  # close() gives up flushing when the gateway takes nothing for this long
# ...and waits at most this long for the gateway to finish reading what was flushed (a busy
# gateway may still be routing a large backlog; a dead one ends the stream at once).
CLOSE_DRAIN_S = 60.0
SDK_VERSION = "0.3.0"


@dataclass
class Pending:
    """A call waiting for its response frame."""

    future: asyncio.Future[Any]
    arm: str  # the DownstreamMessage arm that answers it
    frame: aether_pb2.UpstreamMessage
    idempotent: bool  # safe to resend on a new stream after a disconnect


@dataclass
class ConnectionInfo:
    """What the last ConnectionAck told us (the reference discarded most of it)."""

    session_id: str = ""
    resumed: bool = False
    assigned_id: str = ""
    server_version: str = ""
    reconnection_count: int = 0
    initial_connection_unix_ms: int = 0
    negotiated_extensions: list[aether_pb2.NegotiatedExtension] = field(default_factory=list)
    server_supported_extensions: list[str] = field(default_factory=list)


class RunCallback(Protocol):
    """Runs a callback off the I/O path; calls `done` (from any thread) once it returned."""

    def __call__(
        self,
        callback: Callable[..., Any],
        args: tuple[Any, ...],
        done: Callable[[], None] | None = None,
    ) -> None: ...


class Connection:
    """One identity's stream to the gateway, across reconnects."""

    def __init__(
        self,
        owner: Any,
        init: aether_pb2.InitConnection,
        *,
        tls: Callable[[], TLSOptions | None],
        backoff: Backoff,
        budget: RetryBudget,
        auto_reconnect: bool,
        buffer_size: int,
        run_callback: RunCallback,
        channel_options: list[tuple[str, Any]],
        acknowledged_delivery: bool = True,
    ) -> None:
        self.owner = owner  # the facade: callbacks are looked up on it at dispatch time
        self.init = init
        self.resolve_tls = tls  # read at connect: certificate files may appear after construction
        self.tls: TLSOptions | None = None
        self.backoff = backoff
        self.budget = budget
        self.auto_reconnect = auto_reconnect
        self.outbox = Outbox(buffer_size)
        self.run_callback = run_callback
        self.channel_options = channel_options
        self.info = ConnectionInfo()
        self.target = ""
        self.workspace = ""  # set by switch_workspace; replayed after a reconnect
        self.channel: grpc.aio.Channel | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.pending: dict[str, Pending] = {}
        self.runtime_handlers: dict[str, Callable[[Any], None]] = {}
        self._call: Any = None
        self._tasks: list[asyncio.Task[None]] = []
        self._connected: asyncio.Event | None = None
        self._stopped: asyncio.Event | None = None
        self._closing = False
        self._forced = False
        self.final_error: exc.AetherError | None = None
        self.connected_once = False
        self._early: list[aether_pb2.DownstreamMessage] = []
        self._writer: asyncio.Task[None] | None = None
        self._written = 0  # frames written, so close() can tell a slow flush from a stuck one
        self._recent: deque[tuple[float, aether_pb2.UpstreamMessage]] = deque()
        # The delivery extension: asked for unless switched off; active when the gateway agreed.
        self.wants_acknowledged = acknowledged_delivery
        self.acknowledged = False
        self._ids = delivery.MessageIds()
        self._unconfirmed = delivery.Unconfirmed()
        self._seen = delivery.SeenWindow()
        self._acks = delivery.AckBatcher(self.enqueue)
        # Whether this gateway has shown it echoes request_id on workspace, agent or ACL answers
        # (ours does; the Go gateway never does): see _sole_admin_call.
        self._echoes_admin_ids = False

    @property
    def delivery_mode(self) -> str:
        """ "acknowledged" when the current (or last) stream negotiated the delivery extension."""
        return delivery.ACKNOWLEDGED if self.acknowledged else delivery.BEST_EFFORT

    # ------------------------------------------------------------------ lifecycle

    @property
    def is_connected(self) -> bool:
        return self._connected is not None and self._connected.is_set()

    @property
    def is_stopped(self) -> bool:
        return self._stopped is not None and self._stopped.is_set()

    async def connect(self, target: str) -> None:
        """Open the stream and complete the handshake, retrying recoverable failures."""
        if self.is_connected:
            return
        self.tls = self.resolve_tls()
        self.loop = asyncio.get_running_loop()
        self.outbox.bind(self.loop)
        self._acks.bind(self.loop)
        self._connected = asyncio.Event()
        self._stopped = asyncio.Event()
        self._closing = self._forced = False
        self.final_error = None
        self.target = target
        attempt = 0
        while True:
            try:
                await self._open(resume=bool(self.info.session_id))
                break
            except exc.AetherError as error:
                await self._drop_channel()
                if not exc.is_recoverable_error(error):
                    raise
                attempt += 1
                if self.budget.exhausted(attempt):
                    raise exc.ReconnectionError(
                        f"could not connect to {target}: {error.message}", attempts=attempt
                    ) from error
                await asyncio.sleep(self.backoff.delay(attempt))
        self._start()

    async def close(self) -> None:
        """Half-close the stream, stop the tasks and the channel; idempotent."""
        if self._closing:
            return
        self._closing = True
        call, writer = self._call, self._writer
        self._acks.flush()  # what the callbacks finished goes out with the rest
        if call is not None and writer is not None and self.is_connected:
            # Everything queued before close() goes out: the writer drains and returns, we
            # half-close, and the gateway ends the stream once it has read every frame.
            self.outbox.poke()
            with _suppress_rpc():
                await self._wait_flushed(writer)
                await asyncio.wait_for(call.done_writing(), timeout=CLOSE_FLUSH_S)
                reader = self._tasks[0] if self._tasks else None
                if reader is not None:
                    await asyncio.wait_for(asyncio.shield(reader), timeout=CLOSE_DRAIN_S)
        was_connected = self.is_connected
        self.outbox.set_stream_up(False)
        if self._connected is not None:
            self._connected.clear()
        await self._cancel_tasks()
        await self._drop_channel()
        self._fail_pending(exc.ConnectionClosedError("client closed", reason="client closed"))
        self._unconfirmed.fail_waiters(
            exc.ConnectionClosedError("client closed before the gateway confirmed", reason="closed")
        )
        if was_connected:
            self._fire("on_disconnect", "client closed")
        if self._stopped is not None:
            self._stopped.set()

    async def _wait_flushed(self, writer: asyncio.Task[None]) -> None:
        """Wait for the writer to send the backlog, as long as it keeps making progress."""
        while not writer.done():
            before = self._written
            done, _ = await asyncio.wait({writer}, timeout=CLOSE_FLUSH_S)
            if not done and self._written == before:
                raise TimeoutError("no progress flushing the outbound buffer")

    async def wait_closed(self) -> None:
        assert self._stopped is not None
        await self._stopped.wait()

    # ------------------------------------------------------------------ sending

    def enqueue(self, frame: aether_pb2.UpstreamMessage) -> None:
        """Fire-and-forget, from any thread; buffered while the stream is down."""
        if self.is_stopped and self.connected_once:
            raise exc.ConnectionClosedError("the client is closed", reason="closed")
        self.outbox.put(frame)

    async def enqueue_async(self, frame: aether_pb2.UpstreamMessage) -> None:
        """Enqueue, then wait while the live stream's backlog is over capacity (backpressure)."""
        self.enqueue(frame)
        if self.outbox.crowded:
            await self.outbox.room()

    def enqueue_blocking(self, frame: aether_pb2.UpstreamMessage) -> None:
        """Enqueue from a caller thread, blocking it while the backlog is over capacity."""
        self.enqueue(frame)
        if self.outbox.crowded:
            self.outbox.room_blocking()

    async def send_committed(self, frame: aether_pb2.UpstreamMessage, timeout: float) -> None:
        """Send, then return once the gateway confirmed it committed the message durably.

        Raises NotImplementedError when the gateway does not speak the delivery extension,
        the typed refusal when the gateway refused the message, TimeoutError after `timeout`.
        """
        if not self.acknowledged:
            raise exc.NotImplementedError(
                "wait_for_commit needs a gateway that negotiates the delivery extension "
                f"({delivery.DELIVERY_URI}); this connection runs {self.delivery_mode}",
                code="ERR_EXTENSION_UNSUPPORTED",
            )
        message_id = self._ids.next()
        frame.send.message_id = message_id
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._unconfirmed.waiters[message_id] = future
        try:
            await self.enqueue_async(frame)
            await asyncio.wait_for(asyncio.shield(future), timeout)
        except TimeoutError:
            raise exc.TimeoutError(
                "the gateway did not confirm the message", "wait_for_commit", timeout
            ) from None
        finally:
            self._unconfirmed.waiters.pop(message_id, None)

    async def request(
        self,
        frame: aether_pb2.UpstreamMessage,
        expect: type[R],
        timeout: float,
        *,
        idempotent: bool = False,
    ) -> R | None:
        """Send a request; wait for its `expect` response by request_id (None on timeout)."""
        arm = ARM_BY_MESSAGE[expect.DESCRIPTOR.name]  # type: ignore[attr-defined]
        rid = _stamp_request_id(frame)
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self.pending[rid] = Pending(future, arm, frame, idempotent)
        try:
            self.enqueue(frame)
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            return None
        finally:
            self.pending.pop(rid, None)

    def add_runtime_handler(self, arm: str, handler: Callable[[Any], None]) -> None:
        """Hand every frame of a runtime DownstreamMessage arm (the HTTP proxy's, ...) to `handler`.

        It runs on the connection's loop, inline in dispatch, so it must not block. One handler
        per arm; registering a different one for a taken arm raises ValueError.
        """
        route = ROUTES.get(arm)
        if route is None or route.kind != "runtime" or arm == "connection_ack":
            raise ValueError(f"{arm!r} is not a runtime DownstreamMessage arm")
        current = self.runtime_handlers.get(arm)
        if current is not None and current != handler:
            raise ValueError(f"a runtime handler for {arm!r} is already registered")
        self.runtime_handlers[arm] = handler

    def remove_runtime_handler(self, arm: str, handler: Callable[[Any], None]) -> None:
        """Undo add_runtime_handler; a no-op when `handler` is not the one registered."""
        if self.runtime_handlers.get(arm) == handler:
            del self.runtime_handlers[arm]

    # ------------------------------------------------------------------ internals

    def _channel(self) -> grpc.aio.Channel:
        if self.tls is not None:
            return grpc.aio.secure_channel(
                self.target, channel_credentials(self.tls), options=self.channel_options
            )
        return grpc.aio.insecure_channel(self.target, options=self.channel_options)

    def _init_frame(self, resume: bool) -> aether_pb2.UpstreamMessage:
        init = aether_pb2.InitConnection()
        init.CopyFrom(self.init)
        if resume and self.info.session_id:
            init.resume_session_id = self.info.session_id
        init.client_version = SDK_VERSION
        init.client_sdk = "python"
        init.client_build_info.runtime = f"python{platform.python_version()}"
        init.client_build_info.os = f"{sys.platform}/{platform.machine()}"
        if self.wants_acknowledged and not any(
            e.uri == delivery.DELIVERY_URI for e in init.extensions
        ):
            init.extensions.append(delivery.declaration())
        return aether_pb2.UpstreamMessage(init=init)

    async def _open(self, resume: bool) -> None:
        """New channel and stream; send init; wait for ConnectionAck. Early frames are kept."""
        await self._drop_channel()
        self.channel = self._channel()
        stub = aether_pb2_grpc.AetherGatewayStub(self.channel)
        call = stub.Connect()
        self._call = call
        early: list[aether_pb2.DownstreamMessage] = []
        try:
            await call.write(self._init_frame(resume))
            async with asyncio.timeout(HANDSHAKE_TIMEOUT_S):
                while True:
                    frame = await call.read()
                    if frame is grpc.aio.EOF:
                        raise exc.ConnectionError("stream ended before ConnectionAck")
                    if frame.WhichOneof("payload") == "connection_ack":
                        self._on_ack(frame.connection_ack)
                        break
                    early.append(frame)  # replayed messages may precede the ack
        except grpc.RpcError as error:
            raise exc.from_grpc_error(error) from None
        except TimeoutError:
            raise exc.TimeoutError("no ConnectionAck", "connect", HANDSHAKE_TIMEOUT_S) from None
        self.connected_once = True
        assert self._connected is not None
        self._connected.set()
        if self.workspace and self.init.WhichOneof("client_type") == "user":
            # The gateway forgets a user's workspace with the old stream; declare it again first.
            sw = aether_pb2.SwitchWorkspace(new_workspace_id=self.workspace)
            await call.write(aether_pb2.UpstreamMessage(switch_workspace=sw))
        self._early = early

    def _on_ack(self, ack: aether_pb2.ConnectionAck) -> None:
        was = self.delivery_mode
        self.acknowledged = self.wants_acknowledged and delivery.negotiated(ack)
        if self.delivery_mode != was or not self.connected_once:
            log.info("delivery mode: %s (%s)", self.delivery_mode, self.target)
        if not self.acknowledged:
            self._unconfirmed.fail_waiters(
                exc.NotImplementedError(
                    "the gateway stopped confirming messages (no delivery extension)",
                    code="ERR_EXTENSION_UNSUPPORTED",
                )
            )
        self.info = ConnectionInfo(
            session_id=ack.session_id,
            resumed=ack.resumed,
            assigned_id=ack.assigned_id,
            server_version=ack.server_version,
            reconnection_count=ack.reconnection_count,
            initial_connection_unix_ms=ack.initial_connection_unix_ms,
            negotiated_extensions=list(ack.negotiated_extensions),
            server_supported_extensions=list(ack.server_supported_extensions),
        )

    def _start(self) -> None:
        call = self._call
        self._writer = asyncio.create_task(self._write_loop(call), name="aether-writer")
        self._tasks = [
            asyncio.create_task(self._read_loop(call), name="aether-reader"),
            self._writer,
        ]
        self.outbox.set_stream_up(True)
        self.outbox.poke()
        self._fire("on_connect")
        early, self._early = self._early, []
        for frame in early:
            self._dispatch(frame)

    async def _write_loop(self, call: Any) -> None:
        try:
            while True:
                frames = self.outbox.drain()
                if not frames:
                    if self._closing:
                        return  # everything queued before close() went out
                    await self.outbox.wait()
                    continue
                recent = self._recent
                acknowledged = self.acknowledged
                for i, frame in enumerate(frames):
                    is_send = frame.HasField("send")
                    if is_send and acknowledged and not frame.send.message_id:
                        frame.send.message_id = self._ids.next()
                    try:
                        await call.write(frame)
                    except (grpc.RpcError, asyncio.InvalidStateError, grpc.aio.UsageError):
                        # The stream died under us: keep what was not written for the next one.
                        self.outbox.requeue_front(frames[i:])
                        return
                    except asyncio.CancelledError:
                        # Cancelled by the reader that saw the stream end, maybe mid-write: this
                        # frame and the rest go out again on the next stream (a repeat is
                        # dropped by id with the delivery extension, at-least-once without).
                        self.outbox.requeue_front(frames[i:])
                        raise
                    self._written += 1
                    if not is_send:
                        continue
                    if acknowledged:
                        self._unconfirmed.written(frame.send.message_id, frame)
                    else:
                        now = time.monotonic()
                        recent.append((now, frame))
                        while recent[0][0] < now - RESEND_WINDOW_S:
                            recent.popleft()
        except asyncio.CancelledError:
            raise

    async def _read_loop(self, call: Any) -> None:
        reason = "connection lost"
        error: exc.AetherError | None = None
        try:
            while True:
                frame = await call.read()
                if frame is grpc.aio.EOF:
                    break
                self._dispatch(frame)
        except asyncio.CancelledError:
            raise
        except grpc.RpcError as rpc_error:
            error = exc.from_grpc_error(rpc_error)
            reason = f"connection lost: {error.message}"
        if not self._closing:
            asyncio.get_running_loop().create_task(self._on_lost(reason, error))

    async def _on_lost(self, reason: str, error: exc.AetherError | None) -> None:
        """The stream ended: tell the user once, then reconnect if that can help."""
        assert self._connected is not None
        self._connected.clear()
        self.outbox.set_stream_up(False)
        for task in self._tasks:
            if task is not asyncio.current_task():
                task.cancel()
        self._tasks = []
        self._fire("on_disconnect", reason)
        recoverable = error is None or exc.is_recoverable_error(error)
        if self._closing or self._forced or not self.auto_reconnect or not recoverable:
            await self._stop(error or exc.ConnectionClosedError(reason, reason=reason))
            return
        self._requeue_unconfirmed()
        self._requeue_recent()
        self._requeue_idempotent()
        attempt = 0
        while not self._closing:
            attempt += 1
            if self.budget.exhausted(attempt):
                await self._stop(
                    exc.ReconnectionError(f"gave up reconnecting to {self.target}", attempt - 1)
                )
                return
            await asyncio.sleep(self.backoff.delay(attempt))
            try:
                await self._open(resume=True)
            except exc.AetherError as failure:
                log.info("reconnect attempt %d failed: %s", attempt, failure)
                if not exc.is_recoverable_error(failure):
                    await self._stop(failure)
                    return
                continue
            self._start()
            return

    def _requeue_unconfirmed(self) -> None:
        """Every send the gateway did not confirm goes out again first, in order, same ids."""
        self.outbox.requeue_front(self._unconfirmed.take_all())

    def _requeue_recent(self) -> None:
        """Messages written shortly before the stream died go out again first, in order."""
        horizon = time.monotonic() - RESEND_WINDOW_S
        frames = [frame for at, frame in self._recent if at >= horizon]
        self._recent.clear()
        self.outbox.requeue_front(frames)

    def _requeue_idempotent(self) -> None:
        """Resend idempotent calls on the next stream; fail the others at once."""
        resend = []
        for rid, pending in list(self.pending.items()):
            if pending.idempotent:
                resend.append(pending.frame)
            elif not pending.future.done():
                pending.future.set_exception(
                    exc.ConnectionClosedError("connection lost before the response", reason=rid)
                )
        self.outbox.requeue_front(resend)

    async def _stop(self, error: exc.AetherError) -> None:
        self.final_error = error
        reason = str(error)
        closed = exc.ConnectionClosedError(f"connection lost: {reason}", reason=reason)
        self._fail_pending(closed)
        self._unconfirmed.fail_waiters(closed)
        await self._drop_channel()
        assert self._stopped is not None
        self._stopped.set()

    def _fail_pending(self, error: exc.AetherError) -> None:
        for pending in self.pending.values():
            if not pending.future.done():
                pending.future.set_exception(error)

    async def _cancel_tasks(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with _suppress_rpc():
                await task

    async def _drop_channel(self) -> None:
        channel, self.channel, self._call = self.channel, None, None
        if channel is not None:
            await channel.close(grace=None)

    # ------------------------------------------------------------------ dispatch

    def _dispatch(self, frame: aether_pb2.DownstreamMessage) -> None:
        arm = frame.WhichOneof("payload")
        if arm is None:
            return
        body = getattr(frame, arm)
        route = ROUTES.get(arm)
        if arm == "error":
            if body.request_id:
                pending = self.pending.get(body.request_id)
                if pending is not None and pending.arm in UNCORRELATED_DENIAL_ARMS:
                    self._echoes_admin_ids = True
            else:
                pending = self._sole_admin_call(body)
            if pending is not None and not pending.future.done():
                pending.future.set_exception(exc.error_response_to_aether_error(body))
                return
        elif route is not None and route.correlated and self._resolve(arm, body):
            return
        if arm == "connection_ack":
            self._on_ack(body)
        elif arm == "signal":
            self._on_signal(body)
        elif arm in self.runtime_handlers:
            self.runtime_handlers[arm](body)
        elif arm == "proxy_http_request":
            self._refuse_http(body)
        elif arm == "msg":
            self._on_message(body)
        elif arm == "send_confirm":
            self._on_send_confirm(body)
        elif route is not None:
            for name in route.callbacks:
                self._fire(name, body)

    def _on_message(self, msg: aether_pb2.IncomingMessage) -> None:
        """Hand a message to its callbacks; with the extension, drop duplicates and acknowledge
        it once every callback returned (a crash before that means redelivery, not loss)."""
        typed = MESSAGE_TYPE_CALLBACKS.get(msg.message_type)
        names = [n for n in (typed, "on_message") if n and getattr(self.owner, n, None)]
        tag = msg.delivery_tag
        if not tag:  # best effort, or a live-only lane
            for name in names:
                self._fire(name, msg)
            return
        if msg.message_id and not self._seen.first_time(msg.message_id):
            self._acks.add(tag)  # a resend or redelivery of a message the app already has
            return
        if not names:
            self._acks.add(tag)
            return
        countdown = delivery.Countdown(len(names), lambda: self._acks.add(tag))
        for name in names:
            self.run_callback(getattr(self.owner, name), (msg,), countdown.done)

    def _on_send_confirm(self, confirm: aether_pb2.SendConfirm) -> None:
        self._unconfirmed.confirm(confirm.committed)
        for refusal in confirm.refused:
            error = exc.error_response_to_aether_error(
                aether_pb2.ErrorResponse(code=refusal.code, message=refusal.message)
            )
            self._unconfirmed.refuse(refusal.message_id, error)

    def _refuse_http(self, request: aether_pb2.ProxyHttpRequest) -> None:
        """Nothing serves HTTP on this client: answer at once so the caller does not time out."""
        error = aether_pb2.ProxyError(
            kind=aether_pb2.ProxyError.DIAL_FAILED,
            message="no HTTP handler is served by this client",
        )
        reply = aether_pb2.ProxyHttpResponse(request_id=request.request_id, error=error)
        self.enqueue(aether_pb2.UpstreamMessage(proxy_http_response=reply))

    def _sole_admin_call(self, error: aether_pb2.ErrorResponse) -> Pending | None:
        """The call an uncorrelated permission refusal answers: the one workspace, agent or token
        call waiting, or None when there are several (which one was refused is unknowable)."""
        if "PERMISSION_DENIED" not in error.code or self.acknowledged or self._echoes_admin_ids:
            # A gateway that speaks our delivery extension, or has echoed request_id on these
            # calls, is not the Go gateway: its uncorrelated refusals are someone else's (a
            # send, a switch_workspace), and guessing would fail a call that is yet to succeed.
            return None
        waiting = [
            p
            for p in self.pending.values()
            if p.arm in UNCORRELATED_DENIAL_ARMS and not p.future.done()
        ]
        return waiting[0] if len(waiting) == 1 else None

    def _resolve(self, arm: str, body: Any) -> bool:
        rid = getattr(body, "request_id", "")
        if rid and arm in FIFO_ARMS:
            self._echoes_admin_ids = True  # the Go gateway never echoes on these arms
        pending = self.pending.get(rid) if rid else None
        if pending is None and arm in FIFO_ARMS:
            pending = next((p for p in self.pending.values() if p.arm == arm), None)
        if pending is None or pending.arm != arm or pending.future.done():
            return False
        pending.future.set_result(body)
        return True

    def _on_signal(self, signal: aether_pb2.Signal) -> None:
        if signal.type == aether_pb2.Signal.FORCE_DISCONNECT:
            self._forced = True  # a forced disconnect must not bring us straight back
        self._fire("on_signal", signal)

    def _fire(self, name: str, *args: Any) -> None:
        callback = getattr(self.owner, name, None)
        if callback is not None:
            self.run_callback(callback, args)


class _suppress_rpc:
    """Swallow the errors a dying stream raises while we tear it down."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, et: Any, ev: Any, tb: Any) -> bool:
        return et is not None and issubclass(
            et,
            grpc.RpcError
            | asyncio.CancelledError
            | TimeoutError
            | grpc.aio.UsageError
            | asyncio.InvalidStateError,
        )


def _stamp_request_id(frame: aether_pb2.UpstreamMessage) -> str:
    arm = frame.WhichOneof("payload")
    body = getattr(frame, arm or "")
    rid: str = body.request_id or uuid.uuid4().hex
    body.request_id = rid
    return rid


async def call_maybe_async(callback: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """Run a sync or async callable; log what it raises instead of killing the stream."""
    try:
        result = callback(*args)
        if isinstance(result, Awaitable):
            await result
    except Exception:
        log.exception("callback %s raised", getattr(callback, "__name__", callback))
