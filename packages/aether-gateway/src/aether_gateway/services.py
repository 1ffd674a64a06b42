"""Wires the stores to the operation handlers: one place that knows every feature of the gateway."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aether_gateway.config import GatewayConfig
from aether_gateway.context import Caller
from aether_gateway.handlers.acl import handle_acl_op
from aether_gateway.handlers.admin_policy import acl_op_level, admin_allowed
from aether_gateway.handlers.checkpoints import handle_checkpoint
from aether_gateway.handlers.kv import handle_kv, snapshot_exclusive
from aether_gateway.handlers.tokens import handle_token_op
from aether_gateway.hub import Hub
from aether_gateway.store.acl import ACLStore
from aether_gateway.store.checkpoints import CheckpointStore
from aether_gateway.store.db import Database
from aether_gateway.store.kv import KVStore
from aether_gateway.store.queue import MessageQueue
from aether_gateway.store.tokens import TokenStore
from scitrera_aether_client.proto import aether_pb2

Down = aether_pb2.DownstreamMessage
Handler = Callable[[Caller, Any], list[Down]]


class Services:
    """Every store, and the handler for each upstream arm."""

    def __init__(self, config: GatewayConfig, db: Database) -> None:
        self.config = config
        self.db = db
        self.queue = MessageQueue(db)
        self.hub = Hub(self.queue, config.principals)
        self.kv = KVStore(db)
        self.checkpoints = CheckpointStore(db)
        self.tokens = TokenStore(db)
        self.acl = ACLStore(db)

    def _admin(self, caller: Caller, area: str, level: int | None = None) -> bool:
        if level is None:
            return admin_allowed(caller, self.config.dev_mode, self.acl, area)
        return admin_allowed(caller, self.config.dev_mode, self.acl, area, level)

    def handlers(self) -> dict[str, Handler]:
        return {
            "kv_op": lambda c, op: handle_kv(self.kv, c, op),
            "checkpoint_op": lambda c, op: handle_checkpoint(self.checkpoints, c, op),
            "token_op": lambda c, op: handle_token_op(self.tokens, c, op, self._admin(c, "tokens")),
            "acl_op": lambda c, op: handle_acl_op(
                self.acl, c, op, self._admin(c, "acl", acl_op_level(op.op))
            ),
        }

    def on_connect(self, caller: Caller) -> list[Down]:
        """Frames that follow the ConnectionAck: the ConfigSnapshot for agents and tasks."""
        frames: list[Down] = []
        if caller.principal.key in ("agent", "task"):
            ws_kv, global_kv = snapshot_exclusive(self.kv, caller)
            snapshot = aether_pb2.ConfigSnapshot(
                workspace_exclusive_kv=ws_kv, global_exclusive_kv=global_kv
            )
            frames.append(Down(config=snapshot))
        return frames

    def on_disconnect(self, caller: Caller) -> None:
        """Session ended: nothing to clean yet beyond the hub and locks."""
