"""What BaseAetherClient and BaseAsyncAetherClient share: options, status, sends, progress.

A method here builds its frame once and hands it to the flavour's `_deliver`, whose result it
returns: None for the sync client (it blocked until queued), a coroutine for the async one (the
caller awaits it). So the flavours differ only in how a frame leaves, never in what it holds.
"""

from __future__ import annotations

from collections.abc import Coroutine, Mapping
from typing import Any, Generic, TypeVar

from scitrera_aether_client._core import frames as ops
from scitrera_aether_client._core.connection import Connection, ConnectionInfo, RunCallback
from scitrera_aether_client._core.options import ClientOptions
from scitrera_aether_client._core.settings import make_connection
from scitrera_aether_client._core.tls import tls_wanted
from scitrera_aether_client._facade.delivery import DeliveryOptions
from scitrera_aether_client._generated.callbacks import CallbackSlots
from scitrera_aether_client.proto import aether_pb2

__all__ = ["AsyncResult", "ClientCore"]

#: The result type of a shared method: None (sync) or AsyncResult (async).
R = TypeVar("R", None, Coroutine[Any, Any, None])
AsyncResult = Coroutine[Any, Any, None]
Auth = aether_pb2.AuthorizationContext | None


class ClientCore(CallbackSlots, DeliveryOptions, Generic[R]):
    _conn: Connection
    _options: ClientOptions

    def _open(self, options: ClientOptions, run_callback: RunCallback) -> None:
        """Keep the options, set the reference's public attributes, build the connection."""
        self._options = options
        self.max_retries = options.max_retries
        self.initial_backoff = options.initial_backoff
        self.max_backoff = options.max_backoff
        self.backoff_multiplier = options.backoff_multiplier
        self.auto_reconnect = options.auto_reconnect
        # As in the reference, decided at construction: the environment as it is now.
        self.tls_enabled = tls_wanted(options)
        self._conn = make_connection(self, run_callback, options)

    def _deliver(self, frame: aether_pb2.UpstreamMessage, wait_for_commit: bool) -> R:
        """Queue `frame` (or send it and wait for the gateway's commit): the flavour's job."""
        raise NotImplementedError

    def _queued(self) -> R:
        """The flavour's result for a frame that was queued without waiting."""
        raise NotImplementedError

    # ------------------------------------------------------------------ status

    @property
    def options(self) -> ClientOptions:
        """The connection options this client was built with (frozen)."""
        return self._options

    @property
    def target(self) -> str:
        return self._conn.target

    @property
    def channel(self) -> Any:
        return self._conn.channel

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

    # ------------------------------------------------------------------ messaging

    def send_message(
        self,
        target_topic: str,
        payload: bytes,
        message_type: int = aether_pb2.OPAQUE,
        authorization: Auth = None,
        app_workspace: str = "",
        *,
        wait_for_commit: bool = False,
    ) -> R:
        """Send to any topic string (the typed helpers build these for you).

        wait_for_commit: return only once the gateway confirmed it stored the message durably
        (needs the delivery extension: see `delivery_mode`); raises the typed refusal, or
        TimeoutError after `commit_timeout` seconds.
        """
        frame = ops.send(target_topic, payload, message_type, authorization, app_workspace)
        return self._deliver(frame, wait_for_commit)

    def switch_workspace(self, new_workspace: str) -> R:
        """Declare the user's active workspace; remembered and re-declared after a reconnect."""
        self._conn.enqueue(ops.switch_workspace(new_workspace))
        self._conn.workspace = new_workspace
        return self._queued()

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
    ) -> R:
        # Built here, not in frames.py: this public signature is the one list of its fields.
        report = aether_pb2.ProgressReport(
            task_id=task_id,
            state=state,
            completion=completion,
            summary=summary,
            recipient=recipient,
            request_id=request_id,
            metadata=dict(metadata or {}),
            kind=kind,  # type: ignore[arg-type]
        )
        if step_name or step_detail or step_sequence or step_total or step_type:
            report.step.CopyFrom(
                aether_pb2.ProgressStep(
                    name=step_name,
                    detail=step_detail,
                    sequence=step_sequence,
                    total_steps=step_total,
                    step_type=step_type,
                )
            )
        self._conn.enqueue(aether_pb2.UpstreamMessage(progress=report))
        return self._queued()
