"""BaseAetherClient: the synchronous facade over the protocol core.

The core runs on a background event loop (one per process); sync calls hand it coroutines and
wait. Callbacks run in order on a per-client callback thread, never on the I/O loop, so a callback
may make blocking *_sync calls. Per-principal subclasses (AgentClient, ...) are generated.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self

from scitrera_aether_client._core import frames as ops
from scitrera_aether_client._core.callback_thread import CallbackThread
from scitrera_aether_client._core.connection import Connection, ConnectionInfo
from scitrera_aether_client._core.loop_thread import background_loop, run_sync
from scitrera_aether_client._core.settings import DEFAULT_BUFFER, make_connection
from scitrera_aether_client._core.validation import check_topic
from scitrera_aether_client._facade.delivery import DeliveryOptions
from scitrera_aether_client._facade.sync_admin import SyncAdminOps
from scitrera_aether_client._facade.sync_tasks import SyncTaskOps
from scitrera_aether_client._generated.callbacks import CallbackSlots
from scitrera_aether_client._generated.storage import SyncStorageOps
from scitrera_aether_client.proto import aether_pb2

__all__ = ["BaseAetherClient"]

log = logging.getLogger("scitrera_aether_client")
Auth = aether_pb2.AuthorizationContext | None


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


class BaseAetherClient(CallbackSlots, DeliveryOptions, SyncStorageOps, SyncTaskOps, SyncAdminOps):
    """Shared surface of every sync client. Use a generated subclass, e.g. AgentClient."""

    def __init__(
        self,
        credentials: dict[str, str] | None = None,
        max_retries: int = 5,
        initial_backoff: float = 1.0,
        max_backoff: float = 30.0,
        auto_reconnect: bool = True,
        tls_enabled: bool = False,
        tls_root_cert: bytes | None = None,
        tls_root_cert_path: str | None = None,
        tls_client_cert: bytes | None = None,
        tls_client_cert_path: str | None = None,
        tls_client_key: bytes | None = None,
        tls_client_key_path: str | None = None,
        extensions: list[aether_pb2.ExtensionDeclaration] | None = None,
        backoff_multiplier: float = 2.0,
        *,
        init: aether_pb2.InitConnection | None = None,
        buffer_size: int = DEFAULT_BUFFER,
    ) -> None:
        self._callbacks = CallbackThread()
        self._conn = make_connection(
            self,
            self._callbacks.submit,
            from_env=False,
            init=init,
            credentials=credentials,
            max_retries=max_retries,
            initial_backoff=initial_backoff,
            max_backoff=max_backoff,
            backoff_multiplier=backoff_multiplier,
            auto_reconnect=auto_reconnect,
            tls_enabled=tls_enabled,
            tls_root_cert=tls_root_cert,
            tls_root_cert_path=tls_root_cert_path,
            tls_client_cert=tls_client_cert,
            tls_client_cert_path=tls_client_cert_path,
            tls_client_key=tls_client_key,
            tls_client_key_path=tls_client_key_path,
            extensions=extensions,
            buffer_size=buffer_size,
        )
        self.request_queue = _RequestQueue(self._conn)

    # ------------------------------------------------------------------ lifecycle

    @property
    def target(self) -> str:
        return self._conn.target

    @property
    def channel(self) -> Any:
        return self._conn.channel

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

    @property
    def is_connected(self) -> bool:
        return self._conn.is_connected

    @property
    def is_running(self) -> bool:
        return not self._conn.is_stopped

    @property
    def connection_info(self) -> ConnectionInfo:
        return self._conn.info

    @property
    def session_id(self) -> str:
        return self._conn.info.session_id

    @property
    def assigned_id(self) -> str:
        """The id the gateway gave this pooled (non-unique) task; "" otherwise."""
        return self._conn.info.assigned_id

    @property
    def last_error(self) -> Exception | None:
        return self._conn.final_error

    def negotiated_extensions(self) -> list[aether_pb2.NegotiatedExtension]:
        return list(self._conn.info.negotiated_extensions)

    def server_supported_extensions(self) -> list[str]:
        return list(self._conn.info.server_supported_extensions)

    # ------------------------------------------------------------------ messaging

    def _send(
        self,
        target_topic: str,
        payload: object,
        message_type: int,
        authorization: Auth = None,
        app_workspace: str = "",
        *,
        wait_for_commit: bool = False,
    ) -> None:
        frame = ops.send(target_topic, payload, message_type, authorization, app_workspace)
        if wait_for_commit:
            run_sync(self._conn.send_committed(frame, self.commit_timeout))
        else:
            self._conn.enqueue_blocking(frame)

    def send_message(
        self,
        target_topic: str,
        payload: bytes,
        message_type: int = aether_pb2.OPAQUE,
        authorization: Auth = None,
        app_workspace: str = "",
        *,
        wait_for_commit: bool = False,
    ) -> None:
        """Send to any topic string (the typed helpers build these for you).

        wait_for_commit: return only once the gateway confirmed it stored the message durably
        (needs the delivery extension: see `delivery_mode`); raises the typed refusal, or
        TimeoutError after `commit_timeout` seconds.
        """
        self._send(
            target_topic,
            payload,
            message_type,
            authorization,
            app_workspace,
            wait_for_commit=wait_for_commit,
        )

    def switch_workspace(self, new_workspace: str) -> None:
        """Declare the user's active workspace; remembered and re-declared after a reconnect."""
        self._conn.enqueue(ops.switch_workspace(new_workspace))
        self._conn.workspace = new_workspace

    def report_progress(
        self,
        task_id: str,
        state: str = "running",
        completion: float = -1.0,
        summary: str = "",
        step_name: str = "",
        step_detail: str = "",
        step_sequence: int = 0,
        step_total: int = 0,
        step_type: str = "",
        recipient: str = "",
        request_id: str = "",
        metadata: Mapping[str, str] | None = None,
        kind: int = 0,
    ) -> None:
        self._conn.enqueue(
            ops.progress(
                task_id,
                state,
                completion,
                summary,
                step_name,
                step_detail,
                step_sequence,
                step_total,
                step_type,
                recipient,
                request_id,
                metadata,
                kind,
            )
        )
