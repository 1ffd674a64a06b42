"""KV and checkpoint operations of the sync clients."""

from __future__ import annotations

from scitrera_aether_client._core import ops
from scitrera_aether_client._facade.sync_base import SyncOps
from scitrera_aether_client.proto import aether_pb2

KV = aether_pb2.KVOperation
CP = aether_pb2.CheckpointOperation


class SyncStorageOps(SyncOps):
    # ------------------------------------------------------------------ KV
    # The reference's sync KV calls are fire-and-forget: results arrive via on_kv_response.

    def kv_get(
        self, key: str, scope: str = "global", user_id: str = "", workspace: str = ""
    ) -> None:
        self._conn.enqueue(ops.kv(KV.GET, key, scope, user_id, workspace))

    def kv_put(
        self,
        key: str,
        value: bytes,
        scope: str = "global",
        user_id: str = "",
        workspace: str = "",
        ttl: int = 0,
    ) -> None:
        self._conn.enqueue(ops.kv(KV.PUT, key, scope, user_id, workspace, value=value, ttl=ttl))

    def kv_list(
        self, key_prefix: str = "", scope: str = "global", user_id: str = "", workspace: str = ""
    ) -> None:
        self._conn.enqueue(ops.kv(KV.LIST, key_prefix, scope, user_id, workspace))

    def kv_delete(
        self, key: str, scope: str = "global", user_id: str = "", workspace: str = ""
    ) -> None:
        self._conn.enqueue(ops.kv(KV.DELETE, key, scope, user_id, workspace))

    def kv_increment(
        self, key: str, scope: str = "global", user_id: str = "", workspace: str = "", ttl: int = 0
    ) -> None:
        self._conn.enqueue(ops.kv(KV.INCREMENT, key, scope, user_id, workspace, ttl=ttl))

    def kv_decrement(
        self, key: str, scope: str = "global", user_id: str = "", workspace: str = ""
    ) -> None:
        self._conn.enqueue(ops.kv(KV.DECREMENT, key, scope, user_id, workspace))

    def kv_increment_if(
        self,
        key: str,
        delta: int = 1,
        ceiling: int = 0,
        scope: str = "global",
        user_id: str = "",
        workspace: str = "",
        ttl: int = 0,
    ) -> None:
        self._conn.enqueue(
            ops.kv(
                KV.INCREMENT_IF, key, scope, user_id, workspace, ttl=ttl, delta=delta, guard=ceiling
            )
        )

    def kv_decrement_if(
        self,
        key: str,
        delta: int = 1,
        floor: int = 0,
        scope: str = "global",
        user_id: str = "",
        workspace: str = "",
    ) -> None:
        self._conn.enqueue(
            ops.kv(KV.DECREMENT_IF, key, scope, user_id, workspace, delta=delta, guard=floor)
        )

    def kv_get_sync(
        self,
        key: str,
        scope: str = "global",
        user_id: str = "",
        workspace: str = "",
        timeout: float = 5.0,
    ) -> aether_pb2.KVResponse | None:
        """Blocking GET (an addition: the reference had only the callback form)."""
        return self._request(
            ops.kv(KV.GET, key, scope, user_id, workspace), aether_pb2.KVResponse, timeout, True
        )

    def kv_put_sync(
        self,
        key: str,
        value: bytes,
        scope: str = "global",
        user_id: str = "",
        workspace: str = "",
        ttl: int = 0,
        timeout: float = 5.0,
    ) -> aether_pb2.KVResponse | None:
        """Blocking PUT that returns the gateway's confirmation."""
        return self._request(
            ops.kv(KV.PUT, key, scope, user_id, workspace, value=value, ttl=ttl),
            aether_pb2.KVResponse,
            timeout,
        )

    def kv_list_sync(
        self,
        key_prefix: str = "",
        scope: str = "global",
        user_id: str = "",
        workspace: str = "",
        timeout: float = 5.0,
        limit: int = 0,
        cursor: str = "",
    ) -> aether_pb2.KVResponse | None:
        return self._request(
            ops.kv(KV.LIST, key_prefix, scope, user_id, workspace, limit=limit, cursor=cursor),
            aether_pb2.KVResponse,
            timeout,
            True,
        )

    def kv_delete_sync(
        self,
        key: str,
        scope: str = "global",
        user_id: str = "",
        workspace: str = "",
        timeout: float = 5.0,
    ) -> aether_pb2.KVResponse | None:
        return self._request(
            ops.kv(KV.DELETE, key, scope, user_id, workspace), aether_pb2.KVResponse, timeout
        )

    # ------------------------------------------------------------------ checkpoints

    def checkpoint_save(self, data: bytes, key: str = "", ttl: int = -1) -> None:
        self._conn.enqueue(ops.checkpoint(CP.SAVE, key, data, ttl))

    def checkpoint_load(self, key: str = "") -> None:
        self._conn.enqueue(ops.checkpoint(CP.LOAD, key))

    def checkpoint_delete(self, key: str = "") -> None:
        self._conn.enqueue(ops.checkpoint(CP.DELETE, key))

    def checkpoint_list(self) -> None:
        self._conn.enqueue(ops.checkpoint(CP.LIST))

    def checkpoint_save_sync(
        self, data: bytes, key: str = "", ttl: int = -1, timeout: float = 5.0
    ) -> aether_pb2.CheckpointResponse | None:
        return self._request(
            ops.checkpoint(CP.SAVE, key, data, ttl), aether_pb2.CheckpointResponse, timeout
        )

    def checkpoint_load_sync(
        self, key: str = "", timeout: float = 5.0
    ) -> aether_pb2.CheckpointResponse | None:
        return self._request(
            ops.checkpoint(CP.LOAD, key), aether_pb2.CheckpointResponse, timeout, True
        )

    def checkpoint_delete_sync(
        self, key: str = "", timeout: float = 5.0
    ) -> aether_pb2.CheckpointResponse | None:
        return self._request(ops.checkpoint(CP.DELETE, key), aether_pb2.CheckpointResponse, timeout)

    def checkpoint_list_sync(self, timeout: float = 5.0) -> aether_pb2.CheckpointResponse | None:
        return self._request(ops.checkpoint(CP.LIST), aether_pb2.CheckpointResponse, timeout, True)
