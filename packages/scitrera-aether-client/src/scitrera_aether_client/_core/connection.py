"""The protocol core: one async connection shared by the sync and async client facades.

It owns the gRPC stream, the handshake, request/response correlation, downstream dispatch,
reconnection with session resume, and the bounded outbound buffer. It runs on one event loop (the
caller's for async clients, a background loop thread for sync clients); the facades differ only in
how they wait.

This module holds `Connection`'s construction and its public calls (connect, close, enqueue,
send_committed); the rest comes from one part per job, each a base class of `Connection`:
connection_stream (handshake, writer and reader loops), connection_correlation (requests and the
calls waiting for answers), connection_dispatch (downstream frames) and connection_recovery
(reconnect and resume), over the shared state in connection_state.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import grpc

from scitrera_aether_client import exceptions as exc
from scitrera_aether_client._core import delivery
from scitrera_aether_client._core.backoff import Backoff, RetryBudget
from scitrera_aether_client._core.connection_correlation import (
    FIFO_ARMS,
    UNCORRELATED_DENIAL_ARMS,
    ConnectionCorrelation,
)
from scitrera_aether_client._core.connection_dispatch import ConnectionDispatch
from scitrera_aether_client._core.connection_recovery import ConnectionRecovery
from scitrera_aether_client._core.connection_state import (
    RESEND_WINDOW_S,
    ConnectionInfo,
    Pending,
    RunCallback,
    log,
    suppress_rpc,
)
from scitrera_aether_client._core.connection_stream import (
    HANDSHAKE_TIMEOUT_S,
    SDK_VERSION,
    ConnectionStream,
)
from scitrera_aether_client._core.outbox import Outbox
from scitrera_aether_client._core.tls import TLSOptions
from scitrera_aether_client.proto import aether_pb2

# The names other modules (and tests) import from here, wherever they are defined.
__all__ = [
    "CLOSE_DRAIN_S",
    "CLOSE_FLUSH_S",
    "FIFO_ARMS",
    "HANDSHAKE_TIMEOUT_S",
    "RESEND_WINDOW_S",
    "SDK_VERSION",
    "UNCORRELATED_DENIAL_ARMS",
    "Connection",
    "ConnectionInfo",
    "Pending",
    "RunCallback",
    "call_maybe_async",
]

CLOSE_FLUSH_S = 10.0  # close() gives up flushing when the gateway takes nothing for this long
# ...and waits at most this long for the gateway to finish reading what was flushed (a busy
# gateway may still be routing a large backlog; a dead one ends the stream at once).
CLOSE_DRAIN_S = 60.0


class Connection(ConnectionDispatch, ConnectionCorrelation, ConnectionStream, ConnectionRecovery):
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
        self._direct: tuple[aether_pb2.UpstreamMessage, Any, Any] | None = None
        self._fired = 0
        self.outbox.kick = self._kick
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

    # ------------------------------------------------------------------ lifecycle

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
            with suppress_rpc():
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


async def call_maybe_async(callback: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """Run a sync or async callable; log what it raises instead of killing the stream."""
    try:
        result = callback(*args)
        if isinstance(result, Awaitable):
            await result
    except Exception:
        log.exception("callback %s raised", getattr(callback, "__name__", callback))
