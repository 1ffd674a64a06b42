"""KV and checkpoint operations of the async clients."""

from __future__ import annotations

from scitrera_aether_client._core import ops
from scitrera_aether_client._core.validation import check_timeout
from scitrera_aether_client._facade.async_base import AsyncOps
from scitrera_aether_client.proto import aether_pb2

KV = aether_pb2.KVOperation
CP = aether_pb2.CheckpointOperation
Auth = aether_pb2.AuthorizationContext | None


class AsyncStorageOps(AsyncOps):
    async def _kv(
        self, frame: aether_pb2.UpstreamMessage, timeout: float
    ) -> aether_pb2.KVResponse | None:
        idempotent = frame.kv_op.op in ops.IDEMPOTENT_KV
        return await self._conn.request(
            frame, aether_pb2.KVResponse, check_timeout("timeout", timeout), idempotent=idempotent
        )

    async def kv_get(
        self,
        key: str,
        scope: str = "global",
        user_id: str = "",
        workspace: str = "",
        timeout: float = 5.0,
        authorization: Auth = None,
    ) -> aether_pb2.KVResponse | None:
        return await self._kv(
            ops.kv(KV.GET, key, scope, user_id, workspace, authorization=authorization), timeout
        )

    async def kv_put(
        self,
        key: str,
        value: bytes,
        scope: str = "global",
        user_id: str = "",
        workspace: str = "",
        ttl: int = 0,
        timeout: float = 5.0,
        authorization: Auth = None,
    ) -> aether_pb2.KVResponse | None:
        return await self._kv(
            ops.kv(
                KV.PUT,
                key,
                scope,
                user_id,
                workspace,
                value=value,
                ttl=ttl,
                authorization=authorization,
            ),
            timeout,
        )

    async def kv_list(
        self,
        key_prefix: str = "",
        scope: str = "global",
        user_id: str = "",
        workspace: str = "",
        timeout: float = 5.0,
        authorization: Auth = None,
        limit: int = 0,
        cursor: str = "",
    ) -> aether_pb2.KVResponse | None:
        return await self._kv(
            ops.kv(
                KV.LIST,
                key_prefix,
                scope,
                user_id,
                workspace,
                limit=limit,
                cursor=cursor,
                authorization=authorization,
            ),
            timeout,
        )

    async def kv_delete(
        self,
        key: str,
        scope: str = "global",
        user_id: str = "",
        workspace: str = "",
        timeout: float = 5.0,
        authorization: Auth = None,
    ) -> aether_pb2.KVResponse | None:
        return await self._kv(
            ops.kv(KV.DELETE, key, scope, user_id, workspace, authorization=authorization), timeout
        )

    async def kv_increment(
        self,
        key: str,
        scope: str = "global",
        user_id: str = "",
        workspace: str = "",
        ttl: int = 0,
        timeout: float = 5.0,
        authorization: Auth = None,
        delta: int = 1,
    ) -> aether_pb2.KVResponse | None:
        return await self._kv(
            ops.kv(
                KV.INCREMENT,
                key,
                scope,
                user_id,
                workspace,
                ttl=ttl,
                delta=delta,
                authorization=authorization,
            ),
            timeout,
        )

    async def kv_decrement(
        self,
        key: str,
        scope: str = "global",
        user_id: str = "",
        workspace: str = "",
        timeout: float = 5.0,
        authorization: Auth = None,
        delta: int = 1,
    ) -> aether_pb2.KVResponse | None:
        return await self._kv(
            ops.kv(
                KV.DECREMENT,
                key,
                scope,
                user_id,
                workspace,
                delta=delta,
                authorization=authorization,
            ),
            timeout,
        )

    async def kv_increment_if(
        self,
        key: str,
        delta: int = 1,
        ceiling: int = 0,
        scope: str = "global",
        user_id: str = "",
        workspace: str = "",
        ttl: int = 0,
        timeout: float = 5.0,
        authorization: Auth = None,
    ) -> tuple[int, bool] | None:
        r = await self._kv(
            ops.kv(
                KV.INCREMENT_IF,
                key,
                scope,
                user_id,
                workspace,
                ttl=ttl,
                delta=delta,
                guard=ceiling,
                authorization=authorization,
            ),
            timeout,
        )
        return None if r is None else (r.counter_value, r.applied)

    async def kv_decrement_if(
        self,
        key: str,
        delta: int = 1,
        floor: int = 0,
        scope: str = "global",
        user_id: str = "",
        workspace: str = "",
        timeout: float = 5.0,
        authorization: Auth = None,
    ) -> tuple[int, bool] | None:
        r = await self._kv(
            ops.kv(
                KV.DECREMENT_IF,
                key,
                scope,
                user_id,
                workspace,
                delta=delta,
                guard=floor,
                authorization=authorization,
            ),
            timeout,
        )
        return None if r is None else (r.counter_value, r.applied)

    async def kv_set_nx(
        self,
        key: str,
        value: bytes,
        scope: str = "global",
        user_id: str = "",
        workspace: str = "",
        ttl: int = 0,
        timeout: float = 5.0,
        authorization: Auth = None,
    ) -> aether_pb2.KVResponse | None:
        """Set the key only if it does not exist; `applied` tells whether it did."""
        return await self._kv(
            ops.kv(
                KV.SET_NX,
                key,
                scope,
                user_id,
                workspace,
                value=value,
                ttl=ttl,
                authorization=authorization,
            ),
            timeout,
        )

    async def kv_compare_and_set(
        self,
        key: str,
        expected: bytes,
        value: bytes,
        scope: str = "global",
        user_id: str = "",
        workspace: str = "",
        ttl: int = 0,
        timeout: float = 5.0,
        authorization: Auth = None,
    ) -> aether_pb2.KVResponse | None:
        """Replace the value only if it equals `expected`; on failure `value` holds the current."""
        return await self._kv(
            ops.kv(
                KV.COMPARE_AND_SET,
                key,
                scope,
                user_id,
                workspace,
                value=value,
                expected=expected,
                ttl=ttl,
                authorization=authorization,
            ),
            timeout,
        )

    async def kv_put_nowait(
        self,
        key: str,
        value: bytes,
        scope: str = "global",
        user_id: str = "",
        workspace: str = "",
        ttl: int = 0,
    ) -> None:
        self._conn.enqueue(ops.kv(KV.PUT, key, scope, user_id, workspace, value=value, ttl=ttl))

    async def kv_delete_nowait(
        self, key: str, scope: str = "global", user_id: str = "", workspace: str = ""
    ) -> None:
        self._conn.enqueue(ops.kv(KV.DELETE, key, scope, user_id, workspace))

    # ------------------------------------------------------------------ checkpoints

    async def _checkpoint(
        self, frame: aether_pb2.UpstreamMessage, timeout: float
    ) -> aether_pb2.CheckpointResponse | None:
        idempotent = frame.checkpoint_op.op in ops.IDEMPOTENT_CHECKPOINT
        return await self._conn.request(
            frame,
            aether_pb2.CheckpointResponse,
            check_timeout("timeout", timeout),
            idempotent=idempotent,
        )

    async def checkpoint_save(
        self, data: bytes, key: str = "", ttl: int = -1, timeout: float = 5.0
    ) -> aether_pb2.CheckpointResponse | None:
        return await self._checkpoint(ops.checkpoint(CP.SAVE, key, data, ttl), timeout)

    async def checkpoint_load(
        self, key: str = "", timeout: float = 5.0
    ) -> aether_pb2.CheckpointResponse | None:
        return await self._checkpoint(ops.checkpoint(CP.LOAD, key), timeout)

    async def checkpoint_delete(
        self, key: str = "", timeout: float = 5.0
    ) -> aether_pb2.CheckpointResponse | None:
        return await self._checkpoint(ops.checkpoint(CP.DELETE, key), timeout)

    async def checkpoint_list(self, timeout: float = 5.0) -> aether_pb2.CheckpointResponse | None:
        return await self._checkpoint(ops.checkpoint(CP.LIST), timeout)

    async def checkpoint_save_nowait(self, data: bytes, key: str = "", ttl: int = -1) -> None:
        self._conn.enqueue(ops.checkpoint(CP.SAVE, key, data, ttl))

    async def checkpoint_load_nowait(self, key: str = "") -> None:
        self._conn.enqueue(ops.checkpoint(CP.LOAD, key))

    async def checkpoint_delete_nowait(self, key: str = "") -> None:
        self._conn.enqueue(ops.checkpoint(CP.DELETE, key))

    async def checkpoint_list_nowait(self) -> None:
        self._conn.enqueue(ops.checkpoint(CP.LIST))
