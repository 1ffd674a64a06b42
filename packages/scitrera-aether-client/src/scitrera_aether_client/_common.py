"""Compatibility module: the names the reference client exposes from `_common`.

Topic builders and InitConnection factories with the reference signatures. Two reference defects
are fixed without changing signatures: a task topic with an empty specifier addresses the pooled
instances' lane (`tb::ws::impl`) instead of the unreachable `ta::ws::impl::`, and every builder
validates its identity fields.
"""

from __future__ import annotations

from scitrera_aether_client._generated import topics
from scitrera_aether_client._generated.topics import IDENTITY_SEP, SERVICE_WILDCARD, Wildcard
from scitrera_aether_client.constants import (
    CHAT,
    CONTROL,
    EVENT,
    KV_DELETE,
    KV_GET,
    KV_LIST,
    KV_PUT,
    KV_SCOPE_GLOBAL,
    KV_SCOPE_GLOBAL_EXCLUSIVE,
    KV_SCOPE_USER,
    KV_SCOPE_USER_SHARED,
    KV_SCOPE_USER_WORKSPACE,
    KV_SCOPE_USER_WORKSPACE_SHARED,
    KV_SCOPE_WORKSPACE,
    KV_SCOPE_WORKSPACE_EXCLUSIVE,
    MESSAGE_TYPE_UNSPECIFIED,
    METRIC,
    OPAQUE,
    POOL,
    SELF_ASSIGN,
    TARGET_OFFLINE_ORCHESTRATE,
    TARGET_OFFLINE_QUEUE,
    TARGET_OFFLINE_REJECT,
    TARGET_OFFLINE_UNSPECIFIED,
    TARGETED,
    TOOL_CALL,
    PrincipalType,
)
from scitrera_aether_client.credentials import Credentials
from scitrera_aether_client.exceptions import NON_RECOVERABLE_CODES
from scitrera_aether_client.proto import aether_pb2

create_topic_agent = topics.create_topic_agent
create_topic_task_broadcast = topics.create_topic_task_broadcast
create_topic_user = topics.create_topic_user
create_topic_user_workspace = topics.create_topic_user_workspace
create_topic_user_broadcast = topics.create_topic_user_broadcast
create_topic_global_agents = topics.create_topic_global_agents
create_topic_global_users = topics.create_topic_global_users

ExtensionList = list[aether_pb2.ExtensionDeclaration] | None

__all__ = [
    "CHAT",
    "CONTROL",
    "EVENT",
    "IDENTITY_SEP",
    "KV_DELETE",
    "KV_GET",
    "KV_LIST",
    "KV_PUT",
    "KV_SCOPE_GLOBAL",
    "KV_SCOPE_GLOBAL_EXCLUSIVE",
    "KV_SCOPE_USER",
    "KV_SCOPE_USER_SHARED",
    "KV_SCOPE_USER_WORKSPACE",
    "KV_SCOPE_USER_WORKSPACE_SHARED",
    "KV_SCOPE_WORKSPACE",
    "KV_SCOPE_WORKSPACE_EXCLUSIVE",
    "MESSAGE_TYPE_UNSPECIFIED",
    "METRIC",
    "NON_RECOVERABLE_CODES",
    "OPAQUE",
    "POOL",
    "SELF_ASSIGN",
    "SERVICE_WILDCARD",
    "TARGETED",
    "TARGET_OFFLINE_ORCHESTRATE",
    "TARGET_OFFLINE_QUEUE",
    "TARGET_OFFLINE_REJECT",
    "TARGET_OFFLINE_UNSPECIFIED",
    "TOOL_CALL",
    "Credentials",
    "PrincipalType",
    "create_agent_init",
    "create_metrics_bridge_init",
    "create_orchestrator_init",
    "create_service_init",
    "create_task_init",
    "create_topic_agent",
    "create_topic_global_agents",
    "create_topic_global_users",
    "create_topic_service",
    "create_topic_task",
    "create_topic_task_broadcast",
    "create_topic_user",
    "create_topic_user_broadcast",
    "create_topic_user_workspace",
    "create_user_init",
    "create_workflow_engine_init",
]


def create_topic_task(workspace: str, implementation: str, specifier: str) -> str:
    """`tu::ws::impl::spec`, or the pooled lane `tb::ws::impl` when the specifier is empty."""
    if not specifier:
        return topics.create_topic_task_broadcast(workspace, implementation)
    return topics.create_topic_task(workspace, implementation, specifier)


def create_topic_service(implementation: str, specifier: str | Wildcard) -> str:
    """`sv::impl::spec`, or `sv::impl` (any live instance) for SERVICE_WILDCARD."""
    if isinstance(specifier, Wildcard):
        return topics.create_topic_any_service(implementation)
    return topics.create_topic_service(implementation, specifier)


def _init(
    credentials: dict[str, str] | None,
    resume_session_id: str,
    extensions: ExtensionList,
    **identity: object,
) -> aether_pb2.InitConnection:
    init = aether_pb2.InitConnection(**identity)  # type: ignore[arg-type]
    init.credentials.update(credentials or {})
    init.resume_session_id = resume_session_id
    init.extensions.extend(extensions or [])
    return init


def create_agent_init(
    workspace: str,
    implementation: str,
    specifier: str,
    credentials: dict[str, str] | None = None,
    resume_session_id: str = "",
    extensions: ExtensionList = None,
) -> aether_pb2.InitConnection:
    ident = aether_pb2.AgentIdentity(
        workspace=workspace, implementation=implementation, specifier=specifier
    )
    return _init(credentials, resume_session_id, extensions, agent=ident)


def create_task_init(
    workspace: str,
    implementation: str,
    unique_specifier: str = "",
    credentials: dict[str, str] | None = None,
    resume_session_id: str = "",
    extensions: ExtensionList = None,
) -> aether_pb2.InitConnection:
    ident = aether_pb2.TaskIdentity(
        workspace=workspace, implementation=implementation, unique_specifier=unique_specifier
    )
    return _init(credentials, resume_session_id, extensions, task=ident)


def create_user_init(
    user_id: str,
    window_id: str,
    credentials: dict[str, str] | None = None,
    resume_session_id: str = "",
    extensions: ExtensionList = None,
) -> aether_pb2.InitConnection:
    ident = aether_pb2.UserIdentity(user_id=user_id, window_id=window_id)
    return _init(credentials, resume_session_id, extensions, user=ident)


def create_orchestrator_init(
    implementation: str,
    specifier: str,
    supported_profiles: list[str] | None = None,
    credentials: dict[str, str] | None = None,
    resume_session_id: str = "",
    extensions: ExtensionList = None,
) -> aether_pb2.InitConnection:
    ident = aether_pb2.OrchestratorIdentity(
        implementation=implementation,
        specifier=specifier,
        supported_profiles=supported_profiles or [],
    )
    return _init(credentials, resume_session_id, extensions, orchestrator=ident)


def create_workflow_engine_init(
    credentials: dict[str, str] | None = None,
    resume_session_id: str = "",
    extensions: ExtensionList = None,
) -> aether_pb2.InitConnection:
    ident = aether_pb2.WorkflowEngineIdentity()
    return _init(credentials, resume_session_id, extensions, workflow_engine=ident)


def create_metrics_bridge_init(
    credentials: dict[str, str] | None = None,
    resume_session_id: str = "",
    extensions: ExtensionList = None,
) -> aether_pb2.InitConnection:
    ident = aether_pb2.MetricsBridgeIdentity()
    return _init(credentials, resume_session_id, extensions, metrics_bridge=ident)


def create_service_init(
    implementation: str,
    specifier: str,
    credentials: dict[str, str] | None = None,
    resume_session_id: str = "",
    extensions: ExtensionList = None,
    no_pool_consumer: bool = False,
) -> aether_pb2.InitConnection:
    ident = aether_pb2.ServiceIdentity(
        implementation=implementation, specifier=specifier, no_pool_consumer=no_pool_consumer
    )
    return _init(credentials, resume_session_id, extensions, service=ident)
