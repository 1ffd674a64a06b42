"""The dispatch part of Connection: every DownstreamMessage the reader takes off the stream goes
to `_dispatch`, which answers a waiting call, updates the connection (acks, signals, send
confirmations), hands the frame to a runtime handler, or fires the facade's callbacks (messages
under the delivery extension are acknowledged once every callback returned)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scitrera_aether_client import exceptions as exc
from scitrera_aether_client._core import delivery
from scitrera_aether_client._core.connection_correlation import UNCORRELATED_DENIAL_ARMS
from scitrera_aether_client._core.connection_state import ConnectionState
from scitrera_aether_client._generated.dispatch import MESSAGE_TYPE_CALLBACKS, ROUTES
from scitrera_aether_client.proto import aether_pb2


class ConnectionDispatch(ConnectionState):
    """Route each downstream frame; register runtime handlers for whole arms."""

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
            if self.run_callback(getattr(self.owner, name), (msg,), countdown.done):
                self._fired += 1

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

    def _on_signal(self, signal: aether_pb2.Signal) -> None:
        if signal.type == aether_pb2.Signal.FORCE_DISCONNECT:
            self._forced = True  # a forced disconnect must not bring us straight back
        self._fire("on_signal", signal)

    def _fire(self, name: str, *args: Any) -> None:
        callback = getattr(self.owner, name, None)
        if callback is not None and self.run_callback(callback, args):
            self._fired += 1  # the reader lets it start before reading on
