"""Constants of the reference API: message types, assignment modes, KV operations and scopes.

`PrincipalType` is generated from schema/principals.yaml and re-exported here.
"""

from __future__ import annotations

from typing import Final

from scitrera_aether_client._generated.principals import PrincipalType
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


# Per task created with target_offline_policy: what the gateway does when the target is offline.
TARGET_OFFLINE_UNSPECIFIED: Final = aether_pb2.TARGET_OFFLINE_POLICY_UNSPECIFIED
TARGET_OFFLINE_ORCHESTRATE: Final = aether_pb2.TARGET_OFFLINE_POLICY_ORCHESTRATE
TARGET_OFFLINE_QUEUE: Final = aether_pb2.TARGET_OFFLINE_POLICY_QUEUE
TARGET_OFFLINE_REJECT: Final = aether_pb2.TARGET_OFFLINE_POLICY_REJECT

#: Version of the authority policy a workflow schedule records (the reference's value).
WORKFLOW_SCHEDULE_AUTHORITY_POLICY_VERSION: Final = 1

__all__ = [
    "CHAT",
    "CONTROL",
    "EVENT",
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
    "OPAQUE",
    "POOL",
    "SELF_ASSIGN",
    "TARGETED",
    "TARGET_OFFLINE_ORCHESTRATE",
    "TARGET_OFFLINE_QUEUE",
    "TARGET_OFFLINE_REJECT",
    "TARGET_OFFLINE_UNSPECIFIED",
    "TOOL_CALL",
    "WORKFLOW_SCHEDULE_AUTHORITY_POLICY_VERSION",
    "PrincipalType",
]
