"""What every sync operation mixin needs: the connection, and a blocking correlated call."""

from __future__ import annotations

from typing import TypeVar

from scitrera_aether_client._core.connection import Connection
from scitrera_aether_client._core.loop_thread import run_sync
from scitrera_aether_client._core.validation import check_timeout
from scitrera_aether_client.proto import aether_pb2

R = TypeVar("R")


class SyncOps:
    _conn: Connection

    def _request(
        self,
        frame: aether_pb2.UpstreamMessage,
        expect: type[R],
        timeout: float,
        idempotent: bool = False,
    ) -> R | None:
        check_timeout("timeout", timeout)
        return run_sync(self._conn.request(frame, expect, timeout, idempotent=idempotent))
