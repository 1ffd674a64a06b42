"""Constants of the reference API: message types, assignment modes, KV operations and scopes."""

from __future__ import annotations

from typing import Final

from scitrera_aether_client.proto import aether_pb2

MESSAGE_TYPE_UNSPECIFIED: Final = aether_pb2.MESSAGE_TYPE_UNSPECIFIED
CHAT: Final = aether_pb2.CHAT
CONTROL: Final = aether_pb2.CONTROL
TOOL_CALL: Final = aether_pb2.TOOL_CALL
EVENT: Final = aether_pb2.EVENT
METRIC: Final = aether_pb2.METRIC
OPAQUE: Final = aether_pb2.OPAQUE

SELF_ASSIGN: Final = aether_pb2.SELF_ASSIGN
TARGETED: Final = aether_pb2.TARGETED
POOL: Final = aether_pb2.POOL

KV_GET: Final = aether_pb2.KVOperation.GET
KV_PUT: Final = aether_pb2.KVOperation.PUT
KV_LIST: Final = aether_pb2.KVOperation.LIST
KV_DELETE: Final = aether_pb2.KVOperation.DELETE

KV_SCOPE_GLOBAL: Final = "global"
KV_SCOPE_WORKSPACE: Final = "workspace"
KV_SCOPE_USER: Final = "user"
KV_SCOPE_USER_WORKSPACE: Final = "user-workspace"
KV_SCOPE_GLOBAL_EXCLUSIVE: Final = "global-exclusive"
KV_SCOPE_WORKSPACE_EXCLUSIVE: Final = "workspace-exclusive"
KV_SCOPE_USER_SHARED: Final = "user-shared"
KV_SCOPE_USER_WORKSPACE_SHARED: Final = "user-workspace-shared"


class PrincipalType:
    """Principal type names as API keys and the gateway spell them."""

    AGENT: Final = "Agent"
    TASK: Final = "Task"
    USER: Final = "User"
    SERVICE: Final = "Service"
    WORKFLOW_ENGINE: Final = "WorkflowEngine"
    METRICS_BRIDGE: Final = "MetricsBridge"
    ORCHESTRATOR: Final = "Orchestrator"
    BRIDGE: Final = "Bridge"
