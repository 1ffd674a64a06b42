"""The recovery part of Connection: what happens when a stream ends. Tell the user once, then,
when reconnecting can help, put back what may not have arrived (unconfirmed sends, recent
best-effort sends, idempotent calls) and open a new stream that resumes the session, within the
retry budget; otherwise stop for good and fail whatever still waits. Also the teardown steps
close() shares."""

from __future__ import annotations

import asyncio
import time

from scitrera_aether_client import exceptions as exc
from scitrera_aether_client._core.connection_state import (
    RESEND_WINDOW_S,
    ConnectionState,
    log,
    suppress_rpc,
)


class ConnectionRecovery(ConnectionState):
    """Reconnect with resume after a lost stream, or stop; tear down tasks and channel."""

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

    async def _cancel_tasks(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with suppress_rpc():
                await task

    async def _drop_channel(self) -> None:
        channel, self.channel, self._call = self.channel, None, None
        if channel is not None:
            await channel.close(grace=None)
