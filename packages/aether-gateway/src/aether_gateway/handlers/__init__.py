"""Operation handlers: plain functions from (state, caller, operation) to the caller's frames."""

from aether_gateway.handlers.checkpoints import handle_checkpoint
from aether_gateway.handlers.kv import handle_kv, snapshot_exclusive

__all__ = ["handle_checkpoint", "handle_kv", "snapshot_exclusive"]
