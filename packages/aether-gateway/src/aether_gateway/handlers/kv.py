"""KVOperation (upstream arm `kv_op`): principal gate, scope -> namespace, and the operations.

Frames follow the reference gateway so the SDK correlates them the same way: success is one
KVResponse; a refusal or failure is `KVResponse{success=false}` followed by an ErrorResponse, both
carrying the request_id; a value over the size quota is answered by the ErrorResponse alone.
The ACL stage (kv_key/kv_scope rules) is in kv_acl.py.

What each op is (served or not, read, value write, counter) comes from the generated operation
table (schema/operations.yaml); the op itself runs in the store.kv.Operations function the table
names, so adding an op touches neither this module nor kv_acl.py.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping

from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper

from aether_gateway.context import Caller
from aether_gateway.handlers.admin_input import ttl_problem
from aether_gateway.handlers.kv_acl import kv_refusal
from aether_gateway.limits import ENTRY_OVERHEAD
from aether_gateway.store.acl import ACLStore
from aether_gateway.store.kv import MAX_LIST_LIMIT, KVStore, Operations
from scitrera_aether_client.wire import OperationSpec, aether_pb2, identity_problem, of_arm

ERR_PERMISSION_DENIED = "ERR_PERMISSION_DENIED"
ERR_INVALID_ARGUMENT = "ERR_INVALID_ARGUMENT"
ERR_NOT_IMPLEMENTED = "ERR_NOT_IMPLEMENTED"
ERR_QUOTA = "ERR_QUOTA_001"
KV_ERROR = "KV_ERROR"

DEFAULT_MAX_VALUE_BYTES = 1 << 20
MAX_KEY_BYTES = 1024

_Op = aether_pb2.KVOperation
#: The KV rows of the operation table, by op number (read at call time: tests may swap it).
KV_OPERATIONS: Mapping[int, OperationSpec] = of_arm("kv_op")
Run = Callable[[KVStore, str, aether_pb2.KVOperation], aether_pb2.KVResponse]
# Scopes stored in namespaces of the caller's own identity.
_OWNED_SCOPES = frozenset(
    {_Op.GLOBAL_EXCLUSIVE, _Op.WORKSPACE_EXCLUSIVE, _Op.USER, _Op.USER_WORKSPACE}
)


class _Rejected(Exception):
    """A request the gateway refuses; becomes the ErrorResponse after the failed KVResponse."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def handle_kv(
    store: KVStore,
    caller: Caller,
    op: aether_pb2.KVOperation,
    *,
    max_value_bytes: int = DEFAULT_MAX_VALUE_BYTES,
    acl: ACLStore | None = None,
    snapshot_max_bytes: int = 0,
) -> list[aether_pb2.DownstreamMessage]:
    """Run one KV operation for `caller`; returns the frames to send back, in order.

    `acl=None` skips the ACL stage (dev mode, like the reference without an ACL service).
    """
    if not caller.principal.kv:
        message = f"{caller.principal.type_name} principals may not use the KV store"
        return _failure(op.request_id, ERR_PERMISSION_DENIED, message)
    spec = KV_OPERATIONS.get(op.op)
    if acl is not None and (refusal := kv_refusal(acl, caller, op, spec)):
        return _failure(op.request_id, ERR_PERMISSION_DENIED, refusal)
    run = runner(spec)
    if spec is None or run is None:
        message = f"KV operation {_name(_Op.OpType, op.op)} is not implemented"
        return _failure(op.request_id, ERR_NOT_IMPLEMENTED, message)
    if spec.kind == "value_write" and len(op.value) > max_value_bytes:
        message = f"value of {len(op.value)} bytes exceeds the {max_value_bytes} byte limit"
        return [_error(ERR_QUOTA, message, op.request_id)]
    try:
        _validate(op)
        namespace = _namespace(caller, op.scope, op.user_id, op.workspace)
        if over := _past_snapshot(store, caller, namespace, op, spec, snapshot_max_bytes):
            return [_error(ERR_QUOTA, over, op.request_id)]  # as for a value over its quota
        response = run(store, namespace, op)
    except _Rejected as exc:
        return _failure(op.request_id, exc.code, str(exc))
    except ValueError as exc:  # a counter op on a non-integer value, or int64 overflow
        return _failure(op.request_id, KV_ERROR, str(exc))
    except sqlite3.Error:
        return _failure(op.request_id, KV_ERROR, "internal error processing KV operation")
    response.success = True
    response.request_id = op.request_id
    return [aether_pb2.DownstreamMessage(kv=response)]


def runner(spec: OperationSpec | None) -> Run | None:
    """The store.kv.Operations function running a served op, or None."""
    if spec is None or not spec.served:
        return None
    run: Run | None = getattr(Operations, spec.store, None)
    return run


def snapshot_exclusive(store: KVStore, caller: Caller) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The caller's (WORKSPACE_EXCLUSIVE for its workspace, GLOBAL_EXCLUSIVE) entries.

    Fills ConfigSnapshot fields 4 and 5 at connect; empty for callers that cannot own such keys.
    """
    if not caller.principal.kv:
        return {}, {}
    try:
        global_ns = _namespace(caller, _Op.GLOBAL_EXCLUSIVE, "", "")
    except _Rejected:  # no implementation/specifier: pooled task, workflow engine, metrics bridge
        return {}, {}
    global_entries = _read_all(store, global_ns)
    if not caller.workspace:
        return {}, global_entries
    workspace_ns = _namespace(caller, _Op.WORKSPACE_EXCLUSIVE, "", "")
    return _read_all(store, workspace_ns), global_entries


_COUNTER_BYTES = 20  # the longest int64 in decimal


def _past_snapshot(
    store: KVStore,
    caller: Caller,
    namespace: str,
    op: aether_pb2.KVOperation,
    spec: OperationSpec,
    budget: int,
) -> str | None:
    """Why this write would make the caller's ConfigSnapshot exceed `budget` bytes (or None).

    The snapshot carries the caller's exclusive entries at every connect; past the budget it would
    be trimmed (limits.trim_snapshot), so such writes are refused up front instead.
    """
    if not budget or not spec.grows:
        return None
    try:
        spaces = {_namespace(caller, _Op.GLOBAL_EXCLUSIVE, "", "")}
        if caller.workspace:
            spaces.add(_namespace(caller, _Op.WORKSPACE_EXCLUSIVE, "", ""))
    except _Rejected:  # no implementation/specifier: no snapshot entries either
        return None
    if namespace not in spaces:
        return None
    current = store.get(namespace, op.key)
    value = len(op.value) if spec.kind == "value_write" else _COUNTER_BYTES
    size = sum(store.footprint(ns, ENTRY_OVERHEAD) for ns in spaces) + value
    size -= 0 if current is None else len(current)
    size += 0 if current is not None else len(op.key.encode()) + ENTRY_OVERHEAD
    if size <= budget:
        return None
    return (
        f"exclusive KV of {caller.identity} would reach {size} bytes, over the "
        f"{budget} byte ConfigSnapshot limit; delete entries or use a shared scope"
    )


def _read_all(store: KVStore, namespace: str) -> dict[str, bytes]:
    entries: dict[str, bytes] = {}
    cursor, has_more = "", True
    while has_more:
        page, cursor, has_more = store.list(namespace, limit=MAX_LIST_LIMIT, cursor=cursor)
        entries.update(page)
    return entries


def kv_namespace(*parts: str) -> str:
    """The storage namespace for a tuple of parts, as a JSON array.

    JSON quotes and escapes every part, so two different tuples never give the same string,
    whatever characters the parts hold (a `|`- or `:`-joined name aliased `p|q`+`r` with
    `p`+`q|r`).
    """
    return json.dumps(parts, separators=(",", ":"))


def _namespace(caller: Caller, scope: int, user_id: str, workspace: str) -> str:
    """The storage namespace of `scope` for this caller.

    Exclusive scopes belong to the caller's whole identity: principal type, workspace,
    implementation and specifier, so same-named agents of two workspaces, or an agent and a task
    of one name, never share one.
    """
    workspace = workspace or caller.workspace
    name = _name(_Op.Scope, scope)

    def need(value: str, what: str) -> str:
        if not value:
            raise _Rejected(ERR_INVALID_ARGUMENT, f"KV scope {name} requires {what}")
        return value

    if scope == _Op.GLOBAL:
        return kv_namespace("global")
    if scope in (_Op.SCOPE_UNSPECIFIED, _Op.WORKSPACE):
        return kv_namespace("ws", need(workspace, "a workspace"))
    if scope == _Op.USER_SHARED:
        return kv_namespace("user", need(user_id, "a user_id"))
    if scope == _Op.USER_WORKSPACE_SHARED:
        return kv_namespace("user-ws", need(user_id, "a user_id"), need(workspace, "a workspace"))
    if scope not in _OWNED_SCOPES:
        raise _Rejected(ERR_INVALID_ARGUMENT, f"unknown KV scope {name}")
    owner = (
        "own",
        caller.principal.key,
        caller.fields.get("workspace", ""),
        need(caller.implementation, "a caller with an implementation"),
        need(caller.specifier, "a caller with a specifier"),
    )
    if scope == _Op.GLOBAL_EXCLUSIVE:
        return kv_namespace(*owner, "global")
    if scope == _Op.WORKSPACE_EXCLUSIVE:
        return kv_namespace(*owner, "ws", need(workspace, "a workspace"))
    if scope == _Op.USER:
        return kv_namespace(*owner, "user", need(user_id, "a user_id"))
    return kv_namespace(
        *owner, "user-ws", need(user_id, "a user_id"), need(workspace, "a workspace")
    )


def _validate(op: aether_pb2.KVOperation) -> None:
    for what, value in (("workspace", op.workspace), ("user_id", op.user_id)):
        if value and (problem := identity_problem(value)):
            raise _Rejected(ERR_INVALID_ARGUMENT, f"KV {what} {problem}")
    if not op.key and op.op != _Op.LIST:
        raise _Rejected(ERR_INVALID_ARGUMENT, "KV key must not be empty")
    if len(op.key.encode()) > MAX_KEY_BYTES:
        raise _Rejected(ERR_INVALID_ARGUMENT, f"KV key exceeds {MAX_KEY_BYTES} bytes")
    if op.ttl < 0:
        raise _Rejected(ERR_INVALID_ARGUMENT, "KV ttl must not be negative")
    if problem := ttl_problem("KV ttl", op.ttl):  # past int64 once in milliseconds
        raise _Rejected(ERR_INVALID_ARGUMENT, problem)
    if op.delta_value < 0:
        raise _Rejected(ERR_INVALID_ARGUMENT, "KV delta_value must not be negative")
    if op.limit < 0:
        raise _Rejected(ERR_INVALID_ARGUMENT, "KV list limit must not be negative")


def _name(enum: EnumTypeWrapper, value: int) -> str:
    """The enum value's name; open proto3 enums can carry numbers this schema does not know."""
    return enum.Name(value) if value in enum.values() else str(value)


def _failure(request_id: str, code: str, message: str) -> list[aether_pb2.DownstreamMessage]:
    failed = aether_pb2.KVResponse(success=False, request_id=request_id)
    return [aether_pb2.DownstreamMessage(kv=failed), _error(code, message, request_id)]


def _error(code: str, message: str, request_id: str) -> aether_pb2.DownstreamMessage:
    error = aether_pb2.ErrorResponse(code=code, message=message, request_id=request_id)
    return aether_pb2.DownstreamMessage(error=error)
