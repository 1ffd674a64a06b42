"""Builders of upstream request frames: pure functions that validate their arguments first.

Shared by both client flavours; which frames are idempotent and how the gateway treats each
operation is in the generated operation table (_generated/operations.py), not here.
"""

from __future__ import annotations

from collections.abc import Mapping

from scitrera_aether_client._core.validation import (
    check_identity_field,
    check_message_type,
    check_non_negative,
    check_payload,
    check_scope,
    check_topic,
)
from scitrera_aether_client.exceptions import InvalidArgumentError
from scitrera_aether_client.proto import aether_pb2

Up = aether_pb2.UpstreamMessage
KV = aether_pb2.KVOperation
CP = aether_pb2.CheckpointOperation

_STATUS_NAMES = {
    "queued": aether_pb2.TASK_STATUS_QUEUED,
    "pending": aether_pb2.TASK_STATUS_QUEUED,
    "running": aether_pb2.TASK_STATUS_RUNNING,
    "completed": aether_pb2.TASK_STATUS_COMPLETED,
    "failed": aether_pb2.TASK_STATUS_FAILED,
    "cancelled": aether_pb2.TASK_STATUS_CANCELLED,
}


def send(
    target_topic: str,
    payload: object,
    message_type: int,
    authorization: aether_pb2.AuthorizationContext | None = None,
    app_workspace: str = "",
) -> Up:
    msg = aether_pb2.SendMessage(
        target_topic=check_topic("target_topic", target_topic),
        payload=check_payload("payload", payload),
        message_type=check_message_type(message_type),  # type: ignore[arg-type]
        app_workspace=app_workspace,
    )
    if authorization is not None:
        msg.authorization.CopyFrom(authorization)
    return Up(send=msg)


def kv(
    op: int,
    key: str,
    scope: str = "global",
    user_id: str = "",
    workspace: str = "",
    *,
    value: object = b"",
    ttl: int = 0,
    guard: int = 0,
    delta: int = 0,
    expected: object = b"",
    limit: int = 0,
    cursor: str = "",
    authorization: aether_pb2.AuthorizationContext | None = None,
) -> Up:
    if not isinstance(key, str) or (not key and op != KV.LIST):
        raise InvalidArgumentError("key must be a non-empty str", argument="key")
    body = KV(
        op=op,  # type: ignore[arg-type]
        scope=check_scope(scope),  # type: ignore[arg-type]
        key=key,
        value=check_payload("value", value),
        user_id=check_identity_field("user_id", user_id, required=False),
        workspace=check_identity_field("workspace", workspace, required=False),
        ttl=check_non_negative("ttl", ttl),
        guard_value=guard,
        delta_value=check_non_negative("delta", delta),
        expected_value=check_payload("expected", expected),
        limit=check_non_negative("limit", limit),
        cursor=cursor,
    )
    if authorization is not None:
        body.authorization.CopyFrom(authorization)
    return Up(kv_op=body)


def checkpoint(op: int, key: str = "", data: object = b"", ttl: int = -1) -> Up:
    if not isinstance(key, str):
        raise InvalidArgumentError("key must be a str", argument="key")
    if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl < -1:
        raise InvalidArgumentError("ttl must be -1 (server default), 0 (never) or seconds", "ttl")
    return Up(
        checkpoint_op=CP(op=op, key=key, data=check_payload("data", data), ttl=ttl)  # type: ignore[arg-type]
    )


def create_task(
    task_type: str,
    workspace: str,
    target_agent_id: str = "",
    target_implementation: str = "",
    launch_param_overrides: Mapping[str, str] | None = None,
    metadata: Mapping[str, str] | None = None,
    payload: object = None,
    assignment_mode: int = aether_pb2.SELF_ASSIGN,
    *,
    authorization: aether_pb2.AuthorizationContext | None = None,
    task_class: int = 0,
    context_id: str = "",
    priority: int = 0,
    retry_policy: aether_pb2.RetryPolicy | None = None,
    parent_task_id: str = "",
    target_identity: str = "",
) -> Up:
    if not isinstance(task_type, str) or not task_type:
        raise InvalidArgumentError("task_type must be a non-empty str", argument="task_type")
    check_identity_field("workspace", workspace, required=False)
    mode = assignment_mode
    if mode == aether_pb2.SELF_ASSIGN and target_agent_id:
        mode = aether_pb2.TARGETED
    elif mode == aether_pb2.SELF_ASSIGN and target_implementation:
        mode = aether_pb2.POOL
    if mode not in (aether_pb2.SELF_ASSIGN, aether_pb2.TARGETED, aether_pb2.POOL):
        raise InvalidArgumentError(f"unknown assignment_mode {mode}", argument="assignment_mode")
    # A TARGETED task without a target or a POOL task without an implementation is refused by the
    # gateway (ERR_INVALID_ARGUMENT), not here: the reference README sends exactly that.
    req = aether_pb2.CreateTaskRequest(
        task_type=task_type,
        workspace=workspace,
        assignment_mode=mode,  # type: ignore[arg-type]
        target_agent_id=target_agent_id,
        target_implementation=target_implementation,
        launch_param_overrides=dict(launch_param_overrides or {}),
        metadata=dict(metadata or {}),
        payload=b"" if payload is None else check_payload("payload", payload),
        task_class=task_class,  # type: ignore[arg-type]
        context_id=context_id,
        priority=priority,  # type: ignore[arg-type]
        parent_task_id=parent_task_id,
        target_identity=target_identity,
    )
    if authorization is not None:
        req.authorization.CopyFrom(authorization)
    if retry_policy is not None:
        req.retry_policy.CopyFrom(retry_policy)
    return Up(create_task=req)


def switch_workspace(new_workspace: str) -> Up:
    check_identity_field("new_workspace", new_workspace, required=True)
    return Up(switch_workspace=aether_pb2.SwitchWorkspace(new_workspace_id=new_workspace))


def task_query_list(
    workspace: str = "",
    status: str = "",
    statuses: list[str] | None = None,
    task_type: str = "",
    limit: int = 0,
    offset: int = 0,
) -> Up:
    flt = aether_pb2.TaskFilter(
        workspace=workspace,
        task_type=task_type,
        limit=check_non_negative("limit", limit),
        offset=check_non_negative("offset", offset),
    )
    if status:
        flt.status = _status(status)
    for s in statuses or []:
        flt.statuses.append(_status(s))
    return Up(task_query=aether_pb2.TaskQuery(op=aether_pb2.TaskQuery.LIST, filter=flt))


def task_query_get(task_id: str) -> Up:
    _check_task_id(task_id)
    return Up(task_query=aether_pb2.TaskQuery(op=aether_pb2.TaskQuery.GET, task_id=task_id))


def task_op(op: int, task_id: str, reason: str = "") -> Up:
    _check_task_id(task_id)
    return Up(task_op=aether_pb2.TaskOperation(op=op, task_id=task_id, reason=reason))  # type: ignore[arg-type]


def _check_task_id(task_id: object) -> None:
    if not isinstance(task_id, str) or not task_id:
        raise InvalidArgumentError("task_id must be a non-empty str", argument="task_id")


def _status(name: str) -> aether_pb2.TaskStatus:
    try:
        return _STATUS_NAMES[name.lower()]
    except KeyError:
        raise InvalidArgumentError(f"unknown task status {name!r}", argument="status") from None
