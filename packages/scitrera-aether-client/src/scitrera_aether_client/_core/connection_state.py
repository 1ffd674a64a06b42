"""What every part of the connection shares: its state, the small types it is made of, and the
names each part calls in another.

`Connection` (connection.py) is assembled from parts, one module per job: the stream and its
handshake (connection_stream.py), pending-call correlation (connection_correlation.py),
downstream dispatch (connection_dispatch.py) and reconnection with resume
(connection_recovery.py). Each part is a class over `ConnectionState`, so the methods all end up
on `Connection` itself: no per-frame indirection, and a test can still replace one of them on the
class.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import grpc

from scitrera_aether_client import exceptions as exc
from scitrera_aether_client._core import delivery
from scitrera_aether_client._core.backoff import Backoff, RetryBudget
from scitrera_aether_client._core.outbox import Outbox
from scitrera_aether_client._core.tls import TLSOptions
from scitrera_aether_client.proto import aether_pb2

log = logging.getLogger("scitrera_aether_client")

# Best-effort mode (a gateway without the delivery extension): aether.v1 has no send
# acknowledgement, so messages written just before a stream died may never have reached the
# gateway. Those written in the last RESEND_WINDOW_S are sent again on the next stream. With the
# extension, every unconfirmed send is resent instead (delivery.py).
RESEND_WINDOW_S = 0.25


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
    """Runs a callback off the I/O path; calls `done` (from any thread) once it returned.

    Returns True when it left a task ready to run on the connection's loop (the reader then
    lets it start before arming the next read), a falsy value otherwise."""

    def __call__(
        self,
        callback: Callable[..., Any],
        args: tuple[Any, ...],
        done: Callable[[], None] | None = None,
    ) -> bool | None: ...


class ConnectionState:
    """The attributes of a Connection (set in Connection.__init__), typed once for every part."""

    owner: Any  # the facade: callbacks are looked up on it at dispatch time
    init: aether_pb2.InitConnection
    resolve_tls: Callable[[], TLSOptions | None]
    tls: TLSOptions | None
    backoff: Backoff
    budget: RetryBudget
    auto_reconnect: bool
    outbox: Outbox
    run_callback: RunCallback
    channel_options: list[tuple[str, Any]]
    info: ConnectionInfo
    target: str
    workspace: str
    channel: grpc.aio.Channel | None
    loop: asyncio.AbstractEventLoop | None
    pending: dict[str, Pending]
    runtime_handlers: dict[str, Callable[[Any], None]]
    _call: Any
    _tasks: list[asyncio.Task[None]]
    _connected: asyncio.Event | None
    _stopped: asyncio.Event | None
    _closing: bool
    _forced: bool
    final_error: exc.AetherError | None
    connected_once: bool
    _early: list[aether_pb2.DownstreamMessage]
    _writer: asyncio.Task[None] | None
    _written: int
    # A write _kick started and the writer task finishes: (frame, its write, what it awaits).
    _direct: tuple[aether_pb2.UpstreamMessage, Any, Any] | None
    _fired: int  # callbacks that left a task ready on the loop (the reader yields after new ones)
    _recent: deque[tuple[float, aether_pb2.UpstreamMessage]]
    wants_acknowledged: bool
    acknowledged: bool
    _ids: delivery.MessageIds
    _unconfirmed: delivery.Unconfirmed
    _seen: delivery.SeenWindow
    _acks: delivery.AckBatcher
    _echoes_admin_ids: bool

    @property
    def delivery_mode(self) -> str:
        """ "acknowledged" when the current (or last) stream negotiated the delivery extension."""
        return delivery.ACKNOWLEDGED if self.acknowledged else delivery.BEST_EFFORT

    @property
    def is_connected(self) -> bool:
        return self._connected is not None and self._connected.is_set()

    @property
    def is_stopped(self) -> bool:
        return self._stopped is not None and self._stopped.is_set()

    if TYPE_CHECKING:
        # Declared for the type checker only (no runtime cost): each is defined by one part and
        # called from another.

        # connection.py
        def enqueue(self, frame: aether_pb2.UpstreamMessage) -> None: ...

        # connection_stream.py
        async def _open(self, resume: bool) -> None: ...
        def _on_ack(self, ack: aether_pb2.ConnectionAck) -> None: ...
        def _start(self) -> None: ...

        # connection_dispatch.py
        def _dispatch(self, frame: aether_pb2.DownstreamMessage) -> None: ...
        def _fire(self, name: str, *args: Any) -> None: ...

        # connection_correlation.py
        def _resolve(self, arm: str, body: Any) -> bool: ...
        def _sole_admin_call(self, error: aether_pb2.ErrorResponse) -> Pending | None: ...
        def _fail_pending(self, error: exc.AetherError) -> None: ...

        # connection_recovery.py
        async def _on_lost(self, reason: str, error: exc.AetherError | None) -> None: ...
        async def _stop(self, error: exc.AetherError) -> None: ...
        async def _drop_channel(self) -> None: ...


class suppress_rpc:
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


def stamp_request_id(frame: aether_pb2.UpstreamMessage) -> str:
    """The request_id of `frame`'s payload, set to a fresh one when it has none."""
    arm = frame.WhichOneof("payload")
    body = getattr(frame, arm or "")
    rid: str = body.request_id or uuid.uuid4().hex
    body.request_id = rid
    return rid
