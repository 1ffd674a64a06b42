"""The stream part of Connection: opening a channel and stream, the handshake (InitConnection out,
ConnectionAck back), and the two loops that run for as long as one stream lives: the writer that
drains the outbound buffer and the reader that hands each frame to dispatch."""

from __future__ import annotations

import asyncio
import platform
import sys
import time
from collections.abc import Coroutine, Generator
from typing import Any

import grpc

from scitrera_aether_client import exceptions as exc
from scitrera_aether_client._core import delivery
from scitrera_aether_client._core.connection_state import (
    RESEND_WINDOW_S,
    ConnectionInfo,
    ConnectionState,
    log,
)
from scitrera_aether_client._core.tls import channel_credentials
from scitrera_aether_client.proto import aether_pb2, aether_pb2_grpc

HANDSHAKE_TIMEOUT_S = 30.0
SDK_VERSION = "0.3.0"


class ConnectionStream(ConnectionState):
    """Open a stream, complete its handshake, and run its writer and reader."""

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

    def _kick(self) -> None:
        """Outbox.kick, on the loop: a frame arrived for the idle writer. Start writing it here
        and now (the writer task finishes the write), instead of waking the writer task to do it:
        one loop iteration less (and, for a sync client, one less after the thread hop) between
        a send and the wire."""
        call = self._call
        if self._direct is None and call is not None and not self._closing:
            frame = self.outbox.take_single()
            if frame is not None:
                self._stamp(frame)
                write = call.write(frame)
                try:
                    pending = write.send(None)  # grpc starts the write in this first step
                except StopIteration:
                    self._wrote(frame)
                    return
                except BaseException:
                    # The call refused at once (it ended): the writer meets the same and
                    # keeps the frame for the next stream.
                    self.outbox.requeue_front([frame])
                else:
                    self._direct = (frame, write, pending)
        self.outbox.wake_writer()

    def _stamp(self, frame: aether_pb2.UpstreamMessage) -> None:
        """Give a send the id the delivery extension confirms it by (kept across resends)."""
        if self.acknowledged and frame.HasField("send") and not frame.send.message_id:
            frame.send.message_id = self._ids.next()

    def _wrote(self, frame: aether_pb2.UpstreamMessage) -> None:
        """A frame went out on the stream: keep a send until it is confirmed (or for the
        best-effort resend window)."""
        self._written += 1
        if not frame.HasField("send"):
            return
        if self.acknowledged:
            self._unconfirmed.written(frame.send.message_id, frame)
        else:
            now = time.monotonic()
            recent = self._recent
            recent.append((now, frame))
            while recent[0][0] < now - RESEND_WINDOW_S:
                recent.popleft()

    def _take_direct(self) -> None:
        """The stream ends under a write _kick started: its frame goes out again on the next
        stream (a repeat is dropped by id with the delivery extension, at-least-once without)."""
        direct, self._direct = self._direct, None
        if direct is not None:
            frame, write, _ = direct
            write.close()
            self.outbox.requeue_front([frame])

    async def _write_loop(self, call: Any) -> None:
        try:
            while True:
                if self._direct is not None:
                    frame, write, pending = self._direct
                    try:
                        await _Resume(write, pending)
                    except (grpc.RpcError, asyncio.InvalidStateError, grpc.aio.UsageError):
                        self._direct = None
                        self.outbox.requeue_front([frame])
                        return
                    self._direct = None
                    self._wrote(frame)
                frames = self.outbox.drain()
                if not frames:
                    if self._closing:
                        return  # everything queued before close() went out
                    await self.outbox.wait()
                    continue
                for i, frame in enumerate(frames):
                    self._stamp(frame)
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
                    self._wrote(frame)
        except asyncio.CancelledError:
            self._take_direct()
            raise

    async def _read_loop(self, call: Any) -> None:
        reason = "connection lost"
        error: exc.AetherError | None = None
        try:
            while True:
                frame = await call.read()
                if frame is grpc.aio.EOF:
                    break
                fired = self._fired
                self._dispatch(frame)
                if self._fired != fired:
                    # A callback task is ready: let it start before the next read is armed, so
                    # what it sends (an answer, typically) is not queued behind that grpc work.
                    # Not after a callback that already ran, nor for a sync client's callback
                    # thread (it needs the GIL, which the loop keeps until it blocks).
                    await asyncio.sleep(0)
        except asyncio.CancelledError:
            raise
        except grpc.RpcError as rpc_error:
            error = exc.from_grpc_error(rpc_error)
            reason = f"connection lost: {error.message}"
        if not self._closing:
            asyncio.get_running_loop().create_task(self._on_lost(reason, error))


class _Resume:
    """Awaitable: the rest of a coroutine whose first step already ran and yielded `pending`.

    The awaiting task waits for what the coroutine waits for and passes the outcome in, as if
    it had run the coroutine from the start (cancelling it reaches the coroutine the same way).
    """

    __slots__ = ("_coro", "_pending")

    def __init__(self, coro: Coroutine[Any, Any, Any], pending: Any) -> None:
        self._coro = coro
        self._pending = pending

    def __await__(self) -> Generator[Any, None, None]:
        coro, pending = self._coro, self._pending
        while True:
            try:
                yield pending
            except BaseException as error:  # passed on, as a task would
                try:
                    pending = coro.throw(error)
                except StopIteration:
                    return
                continue
            try:
                pending = coro.send(None)
            except StopIteration:
                return
