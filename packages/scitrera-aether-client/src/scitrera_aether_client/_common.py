"""Compatibility module: the names the reference client exposes from `_common`.

Topic builders and InitConnection factories with the reference signatures. Two reference defects
are fixed without changing signatures: a task topic with an empty specifier addresses the pooled
instances' lane (`tb::ws::impl`) instead of the unreachable `ta::ws::impl::`, and every builder
validates its identity fields.
"""

from __future__ import annotations

from scitrera_aether_client import constants as _constants
from scitrera_aether_client._generated import topics
from scitrera_aether_client._generated.topics import IDENTITY_SEP, SERVICE_WILDCARD, Wildcard
from scitrera_aether_client.constants import *  # noqa: F403
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
    "IDENTITY_SEP",
    "NON_RECOVERABLE_CODES",
    "SERVICE_WILDCARD",
    "Credentials",
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
# The constants of constants.py but the schedule policy version, which this list never named.
__all__ += _constants.__all__
__all__.remove("WORKFLOW_SCHEDULE_AUTHORITY_POLICY_VERSION")


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
