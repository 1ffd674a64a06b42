"""BaseAsyncAetherClient: the asyncio facade over the protocol core.

Per-principal subclasses (AsyncAgentClient, ...) are generated from schema/principals.yaml; this
module holds what every principal shares: lifecycle, KV, checkpoints, tasks, admin primitives.
Correlated calls return the response, or None on timeout (the reference contract); a correlated
ErrorResponse raises the mapped exception.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from scitrera_aether_client._core import frames as ops
from scitrera_aether_client._core.connection import ConnectionInfo, call_maybe_async
from scitrera_aether_client._core.settings import DEFAULT_BUFFER, make_connection
from scitrera_aether_client._core.validation import check_topic
from scitrera_aether_client._facade.async_admin import AsyncAdminOps
from scitrera_aether_client._facade.async_tasks import AsyncTaskOps
from scitrera_aether_client._facade.delivery import DeliveryOptions
from scitrera_aether_client._generated.callbacks import CallbackSlots
from scitrera_aether_client._generated.storage import AsyncStorageOps
from scitrera_aether_client.proto import aether_pb2

__all__ = ["BaseAsyncAetherClient", "ResolvedIdentity"]

KV = aether_pb2.KVOperation
Auth = aether_pb2.AuthorizationContext | None


@dataclass(frozen=True, slots=True)
class ResolvedIdentity:
    principal_type: str
    actor_id: str
    implementation: str
    specifier: str
    workspace: str


_Job = tuple[Callable[..., Any], tuple[Any, ...], Callable[[], None] | None]


class _CallbackPump:
    """Runs callbacks one at a time, in arrival order, off the reader task.

    The reader keeps resolving pending calls while a callback awaits, so a callback may itself
    await a correlated call without deadlocking.
    """

    def __init__(self) -> None:
        self._queue: asyncio.Queue[_Job] | None = None
        self._task: asyncio.Task[None] | None = None

    def submit(
        self,
        callback: Callable[..., Any],
        args: tuple[Any, ...],
        done: Callable[[], None] | None = None,
    ) -> None:
        """Queue a callback; `done` runs after it returned (or raised): delivery acks hang on it."""
        if self._queue is None:
            self._queue = asyncio.Queue()
            self._task = asyncio.get_running_loop().create_task(self._run(self._queue))
        self._queue.put_nowait((callback, args, done))

    async def _run(self, queue: asyncio.Queue[_Job]) -> None:
        while True:
            callback, args, done = await queue.get()
            await call_maybe_async(callback, args)
            if done is not None:
                done()
            queue.task_done()

    async def drain(self, timeout: float) -> None:
        if self._queue is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._queue.join(), timeout)

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        self._queue = self._task = None


class BaseAsyncAetherClient(
    CallbackSlots, DeliveryOptions, AsyncStorageOps, AsyncTaskOps, AsyncAdminOps
):
    """Shared surface of every async client. Use a generated subclass, e.g. AsyncAgentClient."""

    def __init__(
        self,
        credentials: dict[str, str] | None = None,
        max_retries: int = 5,
        initial_backoff: float = 1.0,
        max_backoff: float = 30.0,
        auto_reconnect: bool = True,
        tls_enabled: bool | None = None,
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
        self._pump = _CallbackPump()
        self._conn = make_connection(
            self,
            self._pump.submit,
            from_env=True,
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

    # ------------------------------------------------------------------ lifecycle

    @property
    def target(self) -> str:
        return self._conn.target

    @property
    def channel(self) -> Any:
        return self._conn.channel

    async def connect(self, target: str = "localhost:50051") -> None:
        """Connect and complete the handshake.

        Raises AuthenticationError, PermissionDeniedError, DuplicateIdentityError,
        InvalidArgumentError at once, or ReconnectionError after the retry budget.
        """
        check_topic("target", target)
        await self._conn.connect(target)

    async def close(self) -> None:
        """Flush queued frames, end the stream and release the identity; safe to call twice."""
        await self._conn.close()
        await self._pump.drain(1.0)
        self._pump.stop()

    async def wait_until_disconnected(self) -> None:
        """Return once the client is closed or gave up reconnecting (not during a reconnect)."""
        await self._conn.wait_closed()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @property
    def is_connected(self) -> bool:
        return self._conn.is_connected

    @property
    def is_running(self) -> bool:
        return not self._conn.is_stopped

    @property
    def connection_info(self) -> ConnectionInfo:
        """Session id, resume flag, assigned id, server version of the current connection."""
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
        """Why the client stopped (ReconnectionError after the retry budget, ...), if it did."""
        return self._conn.final_error

    def negotiated_extensions(self) -> list[aether_pb2.NegotiatedExtension]:
        return list(self._conn.info.negotiated_extensions)

    def server_supported_extensions(self) -> list[str]:
        return list(self._conn.info.server_supported_extensions)

    def connection_healthy(self, grace_seconds: float = 90.0) -> bool:
        return self._conn.is_connected

    # ------------------------------------------------------------------ messaging

    async def _send(
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
            await self._conn.send_committed(frame, self.commit_timeout)
        else:
            await self._conn.enqueue_async(frame)

    async def send_message(
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
        await self._send(
            target_topic,
            payload,
            message_type,
            authorization,
            app_workspace,
            wait_for_commit=wait_for_commit,
        )

    async def switch_workspace(self, new_workspace: str) -> None:
        """Declare the user's active workspace; remembered and re-declared after a reconnect."""
        self._conn.enqueue(ops.switch_workspace(new_workspace))
        self._conn.workspace = new_workspace

    async def report_progress(
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
