"""BaseAsyncAetherClient: the asyncio facade over the protocol core.

Per-principal subclasses (AsyncAgentClient, ...) are generated from schema/principals.yaml; this
module holds what every principal shares: lifecycle, KV, checkpoints, tasks, admin primitives.
Correlated calls return the response, or None on timeout (the reference contract); a correlated
ErrorResponse raises the mapped exception.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self, TypeVar

from scitrera_aether_client._core import ops
from scitrera_aether_client._core.connection import ConnectionInfo, call_maybe_async
from scitrera_aether_client._core.settings import DEFAULT_BUFFER, make_connection
from scitrera_aether_client._core.validation import check_timeout, check_topic
from scitrera_aether_client._generated.callbacks import CallbackSlots
from scitrera_aether_client.proto import aether_pb2

__all__ = ["BaseAsyncAetherClient", "ResolvedIdentity"]

KV = aether_pb2.KVOperation
CP = aether_pb2.CheckpointOperation
TO = aether_pb2.TaskOperation
Auth = aether_pb2.AuthorizationContext | None
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class ResolvedIdentity:
    principal_type: str
    actor_id: str
    implementation: str
    specifier: str
    workspace: str


class _CallbackPump:
    """Runs callbacks one at a time, in arrival order, off the reader task.

    The reader keeps resolving pending calls while a callback awaits, so a callback may itself
    await a correlated call without deadlocking.
    """

    def __init__(self) -> None:
        self._queue: asyncio.Queue[tuple[Callable[..., Any], tuple[Any, ...]]] | None = None
        self._task: asyncio.Task[None] | None = None

    def submit(self, callback: Callable[..., Any], args: tuple[Any, ...]) -> None:
        if self._queue is None:
            self._queue = asyncio.Queue()
            self._task = asyncio.get_running_loop().create_task(self._run(self._queue))
        self._queue.put_nowait((callback, args))

    async def _run(self, queue: asyncio.Queue[tuple[Callable[..., Any], tuple[Any, ...]]]) -> None:
        while True:
            callback, args = await queue.get()
            await call_maybe_async(callback, args)
            queue.task_done()

    async def drain(self, timeout: float) -> None:
        if self._queue is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._queue.join(), timeout)

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        self._queue = self._task = None


class BaseAsyncAetherClient(CallbackSlots):
    """Shared surface of every async client. Use a generated subclass, e.g. AsyncAgentClient."""

    def __init__(
        self,
        credentials: dict[str, str] | None = None,
        max_retries: int = 5,
        initial_backoff: float = 1.0,
        max_backoff: float = 30.0,
        auto_reconnect: bool = True,
        tls_enabled: bool | None = None,
        tls_root_cert: bytes | None = None,
        tls_root_cert_path: str | None = None,
        tls_client_cert: bytes | None = None,
        tls_client_cert_path: str | None = None,
        tls_client_key: bytes | None = None,
        tls_client_key_path: str | None = None,
        extensions: list[aether_pb2.ExtensionDeclaration] | None = None,
        backoff_multiplier: float = 2.0,
        *,
        init: aether_pb2.InitConnection | None = None,
        buffer_size: int = DEFAULT_BUFFER,
    ) -> None:
        self._pump = _CallbackPump()
        self._conn = make_connection(
            self,
            self._pump.submit,
            from_env=True,
            init=init,
            credentials=credentials,
            max_retries=max_retries,
            initial_backoff=initial_backoff,
            max_backoff=max_backoff,
            backoff_multiplier=backoff_multiplier,
            auto_reconnect=auto_reconnect,
            tls_enabled=tls_enabled,
            tls_root_cert=tls_root_cert,
            tls_root_cert_path=tls_root_cert_path,
            tls_client_cert=tls_client_cert,
            tls_client_cert_path=tls_client_cert_path,
            tls_client_key=tls_client_key,
            tls_client_key_path=tls_client_key_path,
            extensions=extensions,
            buffer_size=buffer_size,
        )

    # ------------------------------------------------------------------ lifecycle

    @property
    def target(self) -> str:
        return self._conn.target

    @property
    def channel(self) -> Any:
        return self._conn.channel

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

    @property
    def is_connected(self) -> bool:
        return self._conn.is_connected

    @property
    def is_running(self) -> bool:
        return not self._conn.is_stopped

    @property
    def connection_info(self) -> ConnectionInfo:
        """Session id, resume flag, assigned id, server version of the current connection."""
        return self._conn.info

    @property
    def session_id(self) -> str:
        return self._conn.info.session_id

    @property
    def assigned_id(self) -> str:
        """The id the gateway gave this pooled (non-unique) task; "" otherwise."""
        return self._conn.info.assigned_id

    @property
    def last_error(self) -> Exception | None:
        """Why the client stopped (ReconnectionError after the retry budget, ...), if it did."""
        return self._conn.final_error

    def negotiated_extensions(self) -> list[aether_pb2.NegotiatedExtension]:
        return list(self._conn.info.negotiated_extensions)

    def server_supported_extensions(self) -> list[str]:
        return list(self._conn.info.server_supported_extensions)

    def connection_healthy(self, grace_seconds: float = 90.0) -> bool:
        return self._conn.is_connected

    # ------------------------------------------------------------------ messaging

    async def _send(
        self,
        target_topic: str,
        payload: object,
        message_type: int,
        authorization: Auth = None,
        app_workspace: str = "",
    ) -> None:
        frame = ops.send(target_topic, payload, message_type, authorization, app_workspace)
        await self._conn.enqueue_async(frame)

    async def send_message(
        self,
        target_topic: str,
        payload: bytes,
        message_type: int = aether_pb2.OPAQUE,
        authorization: Auth = None,
        app_workspace: str = "",
    ) -> None:
        """Send to any topic string (the typed helpers build these for you)."""
        await self._send(target_topic, payload, message_type, authorization, app_workspace)

    async def switch_workspace(self, new_workspace: str) -> None:
        """Declare the user's active workspace; remembered and re-declared after a reconnect."""
        self._conn.enqueue(ops.switch_workspace(new_workspace))
        self._conn.workspace = new_workspace

    async def report_progress(
        self,
        task_id: str,
        state: str = "running",
        completion: float = -1.0,
        summary: str = "",
        step_name: str = "",
        step_detail: str = "",
        step_sequence: int = 0,
        step_total: int = 0,
        step_type: str = "",
        recipient: str = "",
        request_id: str = "",
        metadata: Mapping[str, str] | None = None,
        kind: int = 0,
    ) -> None:
        self._conn.enqueue(
            ops.progress(
                task_id,
                state,
                completion,
                summary,
                step_name,
                step_detail,
                step_sequence,
                step_total,
                step_type,
                recipient,
                request_id,
                metadata,
                kind,
            )
        )

    # ------------------------------------------------------------------ KV

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

    # ------------------------------------------------------------------ tasks

    async def create_task(
        self,
        task_type: str,
        workspace: str,
        target_agent_id: str = "",
        target_implementation: str = "",
        launch_param_overrides: Mapping[str, str] | None = None,
        metadata: Mapping[str, str] | None = None,
        payload: bytes | None = None,
        assignment_mode: int = aether_pb2.SELF_ASSIGN,
        authorization: Auth = None,
        task_class: int = 0,
        context_id: str = "",
        priority: int = 0,
        retry_policy: aether_pb2.RetryPolicy | None = None,
        parent_task_id: str = "",
    ) -> None:
        """Create a task without waiting (see create_task_sync for the response)."""
        self._conn.enqueue(
            ops.create_task(
                task_type,
                workspace,
                target_agent_id,
                target_implementation,
                launch_param_overrides,
                metadata,
                payload,
                assignment_mode,
                authorization=authorization,
                task_class=task_class,
                context_id=context_id,
                priority=priority,
                retry_policy=retry_policy,
                parent_task_id=parent_task_id,
            )
        )

    async def create_task_sync(
        self,
        task_type: str,
        workspace: str,
        target_agent_id: str = "",
        target_implementation: str = "",
        launch_param_overrides: Mapping[str, str] | None = None,
        metadata: Mapping[str, str] | None = None,
        payload: bytes | None = None,
        assignment_mode: int = aether_pb2.SELF_ASSIGN,
        authorization: Auth = None,
        timeout: float = 10.0,
        target_identity: str = "",
        task_class: int = 0,
        context_id: str = "",
        priority: int = 0,
        retry_policy: aether_pb2.RetryPolicy | None = None,
        parent_task_id: str = "",
    ) -> aether_pb2.CreateTaskResponse | None:
        frame = ops.create_task(
            task_type,
            workspace,
            target_agent_id,
            target_implementation,
            launch_param_overrides,
            metadata,
            payload,
            assignment_mode,
            authorization=authorization,
            task_class=task_class,
            context_id=context_id,
            priority=priority,
            retry_policy=retry_policy,
            parent_task_id=parent_task_id,
            target_identity=target_identity,
        )
        return await self._conn.request(
            frame, aether_pb2.CreateTaskResponse, check_timeout("timeout", timeout)
        )

    async def query_tasks(
        self,
        workspace: str = "",
        status: str = "",
        statuses: list[str] | None = None,
        task_type: str = "",
        limit: int = 0,
        offset: int = 0,
        timeout: float = 10.0,
    ) -> aether_pb2.TaskQueryResponse | None:
        frame = ops.task_query_list(workspace, status, statuses, task_type, limit, offset)
        return await self._conn.request(
            frame, aether_pb2.TaskQueryResponse, check_timeout("timeout", timeout), idempotent=True
        )

    async def get_task(
        self, task_id: str, timeout: float = 10.0
    ) -> aether_pb2.TaskQueryResponse | None:
        frame = ops.task_query_get(task_id)
        return await self._conn.request(
            frame, aether_pb2.TaskQueryResponse, check_timeout("timeout", timeout), idempotent=True
        )

    async def _task_op(
        self, op: int, task_id: str, reason: str, timeout: float
    ) -> aether_pb2.TaskOperationResponse | None:
        return await self._conn.request(
            ops.task_op(op, task_id, reason),
            aether_pb2.TaskOperationResponse,
            check_timeout("timeout", timeout),
        )

    async def cancel_task(
        self, task_id: str, reason: str = "", timeout: float = 10.0
    ) -> aether_pb2.TaskOperationResponse | None:
        return await self._task_op(TO.CANCEL, task_id, reason, timeout)

    async def complete_task(
        self, task_id: str, reason: str = "", timeout: float = 10.0
    ) -> aether_pb2.TaskOperationResponse | None:
        return await self._task_op(TO.COMPLETE, task_id, reason, timeout)

    async def fail_task(
        self, task_id: str, reason: str = "", timeout: float = 10.0
    ) -> aether_pb2.TaskOperationResponse | None:
        return await self._task_op(TO.FAIL, task_id, reason, timeout)

    async def retry_task(
        self, task_id: str, reason: str = "", timeout: float = 10.0
    ) -> aether_pb2.TaskOperationResponse | None:
        return await self._task_op(TO.RETRY, task_id, reason, timeout)

    # ------------------------------------------------------------------ raw admin primitives

    async def _op(self, arm: str, expect: type[R], op: Any, timeout: float) -> R | None:
        frame = aether_pb2.UpstreamMessage(**{arm: op})
        return await self._conn.request(frame, expect, check_timeout("timeout", timeout))

    async def workspace_op(
        self, op: aether_pb2.WorkspaceOperation, timeout: float = 10.0
    ) -> aether_pb2.WorkspaceResponse | None:
        return await self._op("workspace_op", aether_pb2.WorkspaceResponse, op, timeout)

    async def agent_op(
        self, op: aether_pb2.AgentOperation, timeout: float = 10.0
    ) -> aether_pb2.AgentResponse | None:
        return await self._op("agent_op", aether_pb2.AgentResponse, op, timeout)

    async def acl_op(
        self, op: aether_pb2.ACLOperation, timeout: float = 10.0
    ) -> aether_pb2.ACLResponse | None:
        return await self._op("acl_op", aether_pb2.ACLResponse, op, timeout)

    async def token_op(
        self, op: aether_pb2.TokenOperation, timeout: float = 10.0
    ) -> aether_pb2.TokenResponse | None:
        return await self._op("token_op", aether_pb2.TokenResponse, op, timeout)

    async def session_op(
        self, op: aether_pb2.SessionOperation, timeout: float = 10.0
    ) -> aether_pb2.SessionOperationResponse | None:
        return await self._op("session_op", aether_pb2.SessionOperationResponse, op, timeout)

    async def workflow_op(
        self, op: aether_pb2.WorkflowOperation, timeout: float = 10.0
    ) -> aether_pb2.WorkflowResponse | None:
        return await self._op("workflow_op", aether_pb2.WorkflowResponse, op, timeout)

    async def admin_query(
        self, op: aether_pb2.AdminQuery, timeout: float = 10.0
    ) -> aether_pb2.AdminResponse | None:
        return await self._op("admin_query", aether_pb2.AdminResponse, op, timeout)

    async def send_workflow_response(self, response: aether_pb2.WorkflowResponse) -> None:
        """Workflow engines answer a forwarded WorkflowOperation with this."""
        self._conn.enqueue(aether_pb2.UpstreamMessage(workflow_response=response))

    async def list_sessions(
        self,
        *,
        principal_type: str = "",
        workspace: str = "",
        limit: int = 0,
        offset: int = 0,
        authorization: Auth = None,
        timeout: float = 10.0,
    ) -> aether_pb2.SessionOperationResponse | None:
        from scitrera_aether_client._core.admin_ops import session_list

        return await self.session_op(
            session_list(principal_type, workspace, limit, offset, authorization), timeout
        )

    async def get_session(
        self, session_id: str, authorization: Auth = None, timeout: float = 10.0
    ) -> aether_pb2.SessionOperationResponse | None:
        from scitrera_aether_client._core.admin_ops import session_get

        return await self.session_op(session_get(session_id, authorization), timeout)

    async def disconnect_session(
        self, session_id: str, reason: str = "", authorization: Auth = None, timeout: float = 10.0
    ) -> aether_pb2.SessionOperationResponse | None:
        from scitrera_aether_client._core.admin_ops import session_disconnect

        return await self.session_op(session_disconnect(session_id, reason, authorization), timeout)
