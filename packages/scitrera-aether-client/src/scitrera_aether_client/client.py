"""BaseAetherClient: the synchronous facade over the protocol core.

The core runs on a background event loop (one per process); sync calls hand it coroutines and
wait. Callbacks run in order on a per-client callback thread, never on the I/O loop, so a callback
may make blocking *_sync calls. Per-principal subclasses (AgentClient, ...) are generated.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self, TypeVar

from scitrera_aether_client._core import ops
from scitrera_aether_client._core.admin_ops import session_disconnect, session_get, session_list
from scitrera_aether_client._core.callback_thread import CallbackThread
from scitrera_aether_client._core.connection import Connection, ConnectionInfo
from scitrera_aether_client._core.loop_thread import background_loop, run_sync
from scitrera_aether_client._core.settings import DEFAULT_BUFFER, make_connection
from scitrera_aether_client._core.validation import check_timeout, check_topic
from scitrera_aether_client._generated.callbacks import CallbackSlots
from scitrera_aether_client.proto import aether_pb2

__all__ = ["BaseAetherClient"]

log = logging.getLogger("scitrera_aether_client")
KV = aether_pb2.KVOperation
CP = aether_pb2.CheckpointOperation
TO = aether_pb2.TaskOperation
Auth = aether_pb2.AuthorizationContext | None
R = TypeVar("R")


class _RequestQueue:
    """`client.request_queue` of the reference: put() an UpstreamMessage to send it raw."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def put(
        self,
        frame: aether_pb2.UpstreamMessage | None,
        block: bool = True,
        timeout: float | None = None,
    ) -> None:
        if frame is not None:  # the reference used None as a shutdown sentinel
            self._conn.enqueue(frame)

    def put_nowait(self, frame: aether_pb2.UpstreamMessage | None) -> None:
        self.put(frame)


class BaseAetherClient(CallbackSlots):
    """Shared surface of every sync client. Use a generated subclass, e.g. AgentClient."""

    def __init__(
        self,
        credentials: dict[str, str] | None = None,
        max_retries: int = 5,
        initial_backoff: float = 1.0,
        max_backoff: float = 30.0,
        auto_reconnect: bool = True,
        tls_enabled: bool = False,
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
        self._callbacks = CallbackThread()
        self._conn = make_connection(
            self,
            self._callbacks.submit,
            from_env=False,
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
        self.request_queue = _RequestQueue(self._conn)

    def _request(
        self,
        frame: aether_pb2.UpstreamMessage,
        expect: type[R],
        timeout: float,
        idempotent: bool = False,
    ) -> R | None:
        check_timeout("timeout", timeout)
        return run_sync(self._conn.request(frame, expect, timeout, idempotent=idempotent))

    # ------------------------------------------------------------------ lifecycle

    @property
    def target(self) -> str:
        return self._conn.target

    @property
    def channel(self) -> Any:
        return self._conn.channel

    def connect(self, target: str = "localhost:50051") -> None:
        """Connect and complete the handshake.

        Raises AuthenticationError, PermissionDeniedError, DuplicateIdentityError,
        InvalidArgumentError at once, or ReconnectionError after the retry budget.
        """
        check_topic("target", target)
        background_loop()
        run_sync(self._conn.connect(target))

    def close(self) -> None:
        """Flush queued frames, end the stream, then let pending callbacks finish; idempotent."""
        run_sync(self._conn.close())
        self._callbacks.stop()

    def wait_until_disconnected(self, timeout: float | None = None) -> None:
        """Block until the client is closed or gave up reconnecting (not during a reconnect)."""
        run_sync(self._conn.wait_closed(), timeout)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def is_connected(self) -> bool:
        return self._conn.is_connected

    @property
    def is_running(self) -> bool:
        return not self._conn.is_stopped

    @property
    def connection_info(self) -> ConnectionInfo:
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
        return self._conn.final_error

    def negotiated_extensions(self) -> list[aether_pb2.NegotiatedExtension]:
        return list(self._conn.info.negotiated_extensions)

    def server_supported_extensions(self) -> list[str]:
        return list(self._conn.info.server_supported_extensions)

    # ------------------------------------------------------------------ messaging

    def _send(
        self,
        target_topic: str,
        payload: object,
        message_type: int,
        authorization: Auth = None,
        app_workspace: str = "",
    ) -> None:
        frame = ops.send(target_topic, payload, message_type, authorization, app_workspace)
        self._conn.enqueue_blocking(frame)

    def send_message(
        self,
        target_topic: str,
        payload: bytes,
        message_type: int = aether_pb2.OPAQUE,
        authorization: Auth = None,
        app_workspace: str = "",
    ) -> None:
        """Send to any topic string (the typed helpers build these for you)."""
        self._send(target_topic, payload, message_type, authorization, app_workspace)

    def switch_workspace(self, new_workspace: str) -> None:
        """Declare the user's active workspace; remembered and re-declared after a reconnect."""
        self._conn.enqueue(ops.switch_workspace(new_workspace))
        self._conn.workspace = new_workspace

    def report_progress(
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

    # ------------------------------------------------------------------ tasks

    def create_task(
        self,
        task_type: str,
        workspace: str,
        target_agent_id: str = "",
        target_implementation: str = "",
        launch_param_overrides: Mapping[str, str] | None = None,
        metadata: Mapping[str, str] | None = None,
        payload: bytes | None = None,
        assignment_mode: int = aether_pb2.SELF_ASSIGN,
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
                context_id=context_id,
                priority=priority,
                retry_policy=retry_policy,
                parent_task_id=parent_task_id,
            )
        )

    def create_task_sync(
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
            context_id=context_id,
            priority=priority,
            retry_policy=retry_policy,
            parent_task_id=parent_task_id,
        )
        return self._request(frame, aether_pb2.CreateTaskResponse, timeout)

    def query_tasks(
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
        return self._request(frame, aether_pb2.TaskQueryResponse, timeout, True)

    def get_task(self, task_id: str, timeout: float = 10.0) -> aether_pb2.TaskQueryResponse | None:
        return self._request(
            ops.task_query_get(task_id), aether_pb2.TaskQueryResponse, timeout, True
        )

    def cancel_task(
        self, task_id: str, reason: str = "", timeout: float = 10.0
    ) -> aether_pb2.TaskOperationResponse | None:
        return self._request(
            ops.task_op(TO.CANCEL, task_id, reason), aether_pb2.TaskOperationResponse, timeout
        )

    def complete_task(
        self, task_id: str, reason: str = "", timeout: float = 10.0
    ) -> aether_pb2.TaskOperationResponse | None:
        return self._request(
            ops.task_op(TO.COMPLETE, task_id, reason), aether_pb2.TaskOperationResponse, timeout
        )

    def fail_task(
        self, task_id: str, reason: str = "", timeout: float = 10.0
    ) -> aether_pb2.TaskOperationResponse | None:
        return self._request(
            ops.task_op(TO.FAIL, task_id, reason), aether_pb2.TaskOperationResponse, timeout
        )

    def retry_task(
        self, task_id: str, reason: str = "", timeout: float = 10.0
    ) -> aether_pb2.TaskOperationResponse | None:
        return self._request(
            ops.task_op(TO.RETRY, task_id, reason), aether_pb2.TaskOperationResponse, timeout
        )

    # ------------------------------------------------------------------ raw admin primitives

    def _op(self, arm: str, expect: type[R], op: Any, timeout: float) -> R | None:
        return self._request(aether_pb2.UpstreamMessage(**{arm: op}), expect, timeout)

    def workspace_op(
        self, op: aether_pb2.WorkspaceOperation, timeout: float = 10.0
    ) -> aether_pb2.WorkspaceResponse | None:
        return self._op("workspace_op", aether_pb2.WorkspaceResponse, op, timeout)

    def agent_op(
        self, op: aether_pb2.AgentOperation, timeout: float = 10.0
    ) -> aether_pb2.AgentResponse | None:
        return self._op("agent_op", aether_pb2.AgentResponse, op, timeout)

    def acl_op(
        self, op: aether_pb2.ACLOperation, timeout: float = 10.0
    ) -> aether_pb2.ACLResponse | None:
        return self._op("acl_op", aether_pb2.ACLResponse, op, timeout)

    def token_op(
        self, op: aether_pb2.TokenOperation, timeout: float = 10.0
    ) -> aether_pb2.TokenResponse | None:
        return self._op("token_op", aether_pb2.TokenResponse, op, timeout)

    def session_op(
        self, op: aether_pb2.SessionOperation, timeout: float = 10.0
    ) -> aether_pb2.SessionOperationResponse | None:
        return self._op("session_op", aether_pb2.SessionOperationResponse, op, timeout)

    def workflow_op(
        self, op: aether_pb2.WorkflowOperation, timeout: float = 10.0
    ) -> aether_pb2.WorkflowResponse | None:
        return self._op("workflow_op", aether_pb2.WorkflowResponse, op, timeout)

    def admin_query(
        self, op: aether_pb2.AdminQuery, timeout: float = 10.0
    ) -> aether_pb2.AdminResponse | None:
        return self._op("admin_query", aether_pb2.AdminResponse, op, timeout)

    def send_workflow_response(self, response: aether_pb2.WorkflowResponse) -> None:
        self._conn.enqueue(aether_pb2.UpstreamMessage(workflow_response=response))

    def list_sessions(
        self,
        *,
        principal_type: str = "",
        workspace: str = "",
        limit: int = 0,
        offset: int = 0,
        authorization: Auth = None,
        timeout: float = 10.0,
    ) -> aether_pb2.SessionOperationResponse | None:
        return self.session_op(
            session_list(principal_type, workspace, limit, offset, authorization), timeout
        )

    def get_session(
        self, session_id: str, authorization: Auth = None, timeout: float = 10.0
    ) -> aether_pb2.SessionOperationResponse | None:
        return self.session_op(session_get(session_id, authorization), timeout)

    def disconnect_session(
        self, session_id: str, reason: str = "", authorization: Auth = None, timeout: float = 10.0
    ) -> aether_pb2.SessionOperationResponse | None:
        return self.session_op(session_disconnect(session_id, reason, authorization), timeout)
