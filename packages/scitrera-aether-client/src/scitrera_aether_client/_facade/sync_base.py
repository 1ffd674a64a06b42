"""What every sync operation mixin needs: the connection, and a blocking correlated call.

The sync mixins are generated from the async ones (aether-codegen's unasync step), which await
async_base.AsyncOps._request; here the same name blocks on the background loop instead.
"""

from __future__ import annotations

from typing import TypeVar

from scitrera_aether_client._core.connection import Connection
from scitrera_aether_client._core.loop_thread import run_sync
from scitrera_aether_client._core.validation import check_timeout
from scitrera_aether_client.proto import aether_pb2

R = TypeVar("R")
Frame = aether_pb2.UpstreamMessage


class SyncOps:
    _conn: Connection

    def _request(
        self, frame: Frame, expect: type[R], timeout: float, idempotent: bool = False
    ) -> R | None:
        # Checked in the caller's thread, before anything is scheduled on the loop.
        check_timeout("timeout", timeout)
        return run_sync(self._conn.request(frame, expect, timeout, idempotent=idempotent))
