"""BaseAsyncAetherClient: the asyncio facade over the protocol core.

Per-principal subclasses (AsyncAgentClient, ...) are generated from schema/principals.yaml; this
module holds what every principal shares: lifecycle, KV, checkpoints, tasks, admin primitives.
Correlated calls return the response, or None on timeout (the reference contract); a correlated
ErrorResponse raises the mapped exception.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Self

from scitrera_aether_client._core.callback_pump import CallbackPump
from scitrera_aether_client._core.options import ClientOptions
from scitrera_aether_client._core.validation import check_topic
from scitrera_aether_client._facade.async_admin import AsyncAdminOps
from scitrera_aether_client._facade.async_tasks import AsyncTaskOps
from scitrera_aether_client._facade.common import AsyncResult, ClientCore
from scitrera_aether_client._generated.constructors import AsyncConstructor
from scitrera_aether_client._generated.storage import AsyncStorageOps
from scitrera_aether_client.proto import aether_pb2

__all__ = ["BaseAsyncAetherClient", "ResolvedIdentity"]


@dataclass(frozen=True, slots=True)
class ResolvedIdentity:
    principal_type: str
    actor_id: str
    implementation: str
    specifier: str
    workspace: str


class BaseAsyncAetherClient(
    AsyncConstructor, ClientCore[AsyncResult], AsyncStorageOps, AsyncTaskOps, AsyncAdminOps
):
    """Shared surface of every async client. Use a generated subclass, e.g. AsyncAgentClient.

    The constructor (generated: constructors.AsyncConstructor) takes the reference arguments, or
    one `options=ClientOptions(...)`; `tls_enabled` defaults to None: TLS is on when
    AETHER_TLS_ENABLED says so or a CA is configured, as in the reference. Shared methods
    (send_message, switch_workspace, report_progress) return an awaitable.
    """

    def _setup(self, options: ClientOptions) -> None:
        self._pump = CallbackPump()
        self._open(options, self._pump.submit)

    async def _deliver(self, frame: aether_pb2.UpstreamMessage, wait_for_commit: bool) -> None:
        if wait_for_commit:
            await self._conn.send_committed(frame, self.commit_timeout)
        else:
            await self._conn.enqueue_async(frame)

    async def _queued(self) -> None:
        return None

    # ------------------------------------------------------------------ lifecycle

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

    def connection_healthy(self, grace_seconds: float = 90.0) -> bool:
        return self._conn.is_connected
