"""BaseAetherClient: the synchronous facade over the protocol core.

The core runs on a background event loop (one per process); sync calls hand it coroutines and
wait. Callbacks run in order on a per-client callback thread, never on the I/O loop, so a callback
may make blocking *_sync calls. Per-principal subclasses (AgentClient, ...) are generated.
"""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Self

from scitrera_aether_client._core.callback_thread import CallbackThread
from scitrera_aether_client._core.connection import Connection
from scitrera_aether_client._core.loop_thread import background_loop, run_sync
from scitrera_aether_client._core.options import ClientOptions
from scitrera_aether_client._core.validation import check_topic
from scitrera_aether_client._facade.common import ClientCore
from scitrera_aether_client._facade.sync_admin import SyncAdminOps
from scitrera_aether_client._facade.sync_tasks import SyncTaskOps
from scitrera_aether_client._generated.constructors import SyncConstructor
from scitrera_aether_client._generated.storage import SyncStorageOps
from scitrera_aether_client.proto import aether_pb2

__all__ = ["BaseAetherClient"]

log = logging.getLogger("scitrera_aether_client")


class _RequestQueue:
    """`client.request_queue` of the reference: put() an UpstreamMessage to send it raw."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def put(
        self,
        frame: aether_pb2.UpstreamMessage | None,
        block: bool = True,
        timeout: float | None = None,
    ) -> None:
        if frame is not None:  # the reference used None as a shutdown sentinel
            self._conn.enqueue(frame)

    def put_nowait(self, frame: aether_pb2.UpstreamMessage | None) -> None:
        self.put(frame)


class BaseAetherClient(
    SyncConstructor, ClientCore[None], SyncStorageOps, SyncTaskOps, SyncAdminOps
):
    """Shared surface of every sync client. Use a generated subclass, e.g. AgentClient.

    The constructor (generated: constructors.SyncConstructor) takes the reference arguments, or
    one `options=ClientOptions(...)`; `tls_enabled` defaults to False, as in the reference.
    """

    def _setup(self, options: ClientOptions) -> None:
        self._callbacks = CallbackThread()
        self._open(options, self._callbacks.submit)
        self.request_queue = _RequestQueue(self._conn)

    def _deliver(self, frame: aether_pb2.UpstreamMessage, wait_for_commit: bool) -> None:
        if wait_for_commit:
            run_sync(self._conn.send_committed(frame, self.commit_timeout))
        else:
            self._conn.enqueue_blocking(frame)

    def _queued(self) -> None:
        return None

    # ------------------------------------------------------------------ lifecycle

    def connect(self, target: str = "localhost:50051") -> None:
        """Connect and complete the handshake.

        Raises AuthenticationError, PermissionDeniedError, DuplicateIdentityError,
        InvalidArgumentError at once, or ReconnectionError after the retry budget.
        """
        check_topic("target", target)
        background_loop()
        run_sync(self._conn.connect(target))

    def close(self) -> None:
        """Flush queued frames, end the stream, then let pending callbacks finish; idempotent."""
        run_sync(self._conn.close())
        self._callbacks.stop()

    def wait_until_disconnected(self, timeout: float | None = None) -> None:
        """Block until the client is closed or gave up reconnecting (not during a reconnect)."""
        run_sync(self._conn.wait_closed(), timeout)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
