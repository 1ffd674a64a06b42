"""CheckpointOperation (upstream arm `checkpoint_op`): save, load, delete and list own checkpoints.

Every identity (user windows included) owns its checkpoints; there is no principal-type gate.
Exactly one CheckpointResponse answers each operation, with the request_id echoed; failures are
reported in its `error` field and never as an ErrorResponse, which the SDK would not correlate.
"""

from __future__ import annotations

import sqlite3

from aether_gateway.context import Caller
from aether_gateway.handlers.admin_input import invalid, ttl_problem
from aether_gateway.store.checkpoints import CheckpointStore
from scitrera_aether_client.wire import aether_pb2

DEFAULT_KEY = "default"
DEFAULT_MAX_DATA_BYTES = 8 << 20
SERVER_DEFAULT_TTL = -1  # CheckpointOperation.ttl asking for the gateway's configured default

_Op = aether_pb2.CheckpointOperation


def handle_checkpoint(
    store: CheckpointStore,
    caller: Caller,
    op: aether_pb2.CheckpointOperation,
    *,
    default_ttl_s: int = 0,
    max_data_bytes: int = DEFAULT_MAX_DATA_BYTES,
) -> list[aether_pb2.DownstreamMessage]:
    """Run one checkpoint operation for `caller`; returns its single response frame.

    `default_ttl_s` is the gateway's checkpoint.default_ttl (0: never expires), used for ttl -1.
    """
    try:
        response = _run(store, caller.identity, op, default_ttl_s, max_data_bytes)
    except sqlite3.Error:
        response = _failed("internal error processing checkpoint operation")
    response.request_id = op.request_id
    return [aether_pb2.DownstreamMessage(checkpoint=response)]


def _run(
    store: CheckpointStore,
    identity: str,
    op: aether_pb2.CheckpointOperation,
    default_ttl_s: int,
    max_data_bytes: int,
) -> aether_pb2.CheckpointResponse:
    key = op.key or DEFAULT_KEY
    if op.op == _Op.SAVE:
        if len(op.data) > max_data_bytes:
            return _failed(f"checkpoint of {len(op.data)} bytes exceeds {max_data_bytes} bytes")
        if op.ttl < SERVER_DEFAULT_TTL:
            return _failed("checkpoint ttl must be -1 (server default), 0 (never) or seconds")
        if problem := ttl_problem("checkpoint ttl", op.ttl):
            return _failed(invalid(problem))
        ttl_s = default_ttl_s if op.ttl == SERVER_DEFAULT_TTL else op.ttl
        saved_at = store.save(identity, key, op.data, ttl_s)
        return aether_pb2.CheckpointResponse(success=True, saved_at=saved_at)
    if op.op == _Op.LOAD:
        found = store.load(identity, key)
        if found is None:  # a miss is not an error: a fresh identity simply has nothing saved
            return aether_pb2.CheckpointResponse(success=True)
        data, saved_at = found
        return aether_pb2.CheckpointResponse(success=True, data=data, saved_at=saved_at)
    if op.op == _Op.DELETE:
        store.delete(identity, key)
        return aether_pb2.CheckpointResponse(success=True)
    if op.op == _Op.LIST:
        return aether_pb2.CheckpointResponse(success=True, keys=store.keys(identity))
    return _failed(f"unsupported checkpoint operation {op.op}")


def _failed(error: str) -> aether_pb2.CheckpointResponse:
    return aether_pb2.CheckpointResponse(success=False, error=error)
