"""The correlation part of Connection: a request waits as a `Pending` call under its request_id
until the response arm that answers it arrives. The Go gateway does not echo request_id on some
answers and refusals; the rules for matching those to a waiting call live here too."""

from __future__ import annotations

import asyncio
from typing import Any, TypeVar

from scitrera_aether_client import exceptions as exc
from scitrera_aether_client._core.connection_state import (
    ConnectionState,
    Pending,
    stamp_request_id,
)
from scitrera_aether_client._generated.dispatch import ARM_BY_MESSAGE
from scitrera_aether_client.proto import aether_pb2

R = TypeVar("R")

#: Responses the Go gateway sends without echoing request_id: matched to the oldest pending call.
FIFO_ARMS = frozenset({"workspace", "agent", "acl"})
#: Admin calls the Go gateway refuses with an ErrorResponse carrying no request_id (docs/admin.md,
#: "Refusals without a request_id"): one such refusal fails the call when it is the only one of
#: these pending, since then it cannot be anyone else's.
UNCORRELATED_DENIAL_ARMS = frozenset({"workspace", "agent", "token"})


class ConnectionCorrelation(ConnectionState):
    """Send requests and match response frames (and refusals) to the calls waiting for them."""

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
        rid = stamp_request_id(frame)
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self.pending[rid] = Pending(future, arm, frame, idempotent)
        try:
            self.enqueue(frame)
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            return None
        finally:
            self.pending.pop(rid, None)

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

    def _fail_pending(self, error: exc.AetherError) -> None:
        for pending in self.pending.values():
            if not pending.future.done():
                pending.future.set_exception(error)
