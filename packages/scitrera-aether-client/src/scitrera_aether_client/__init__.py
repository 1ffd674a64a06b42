"""scitrera_aether_client: Python SDK for the Aether control plane.

One bidirectional gRPC stream per participant; sync and async clients for every principal type
(generated from schema/principals.yaml), KV, checkpoints, tasks and admin operations.

The package also ships a pytest plugin (testing/pytest_plugin.py), which makes pytest want to
rewrite its asserts; PYTEST_DONT_REWRITE keeps pytest from warning when the SDK was imported
before pytest started (a sitecustomize, say): its asserts are product code, not test code.
"""

from scitrera_aether_client._generated.clients import (
    AgentClient,
    BridgeClient,
    MetricsBridgeClient,
    OrchestratorClient,
    ServiceClient,
    TaskClient,
    UserClient,
    WorkflowEngineClient,
)
from scitrera_aether_client._generated.clients_async import (
    AsyncAgentClient,
    AsyncBridgeClient,
    AsyncMetricsBridgeClient,
    AsyncOrchestratorClient,
    AsyncServiceClient,
    AsyncTaskClient,
    AsyncUserClient,
    AsyncWorkflowEngineClient,
)
from scitrera_aether_client._generated.topics import IDENTITY_SEP, SERVICE_WILDCARD
from scitrera_aether_client.admin import AdminClient
from scitrera_aether_client.admin_async import AsyncAdminClient
from scitrera_aether_client.client import BaseAetherClient
from scitrera_aether_client.client_async import BaseAsyncAetherClient, ResolvedIdentity
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
    TARGETED,
    TOOL_CALL,
    PrincipalType,
)
from scitrera_aether_client.credentials import Credentials
from scitrera_aether_client.exceptions import (
    AetherError,
    AuthenticationError,
    BufferFullError,
    CheckpointError,
    ConnectionClosedError,
    ConnectionError,
    DuplicateIdentityError,
    InvalidArgumentError,
    KVOperationError,
    MessageError,
    NotFoundError,
    NotImplementedError,
    PermissionDeniedError,
    ReconnectionError,
    TimeoutError,
    from_grpc_error,
    is_recoverable_error,
)
from scitrera_aether_client.health import GatewayHealth
from scitrera_aether_client.metrics import MetricBuilder, new_metric

__version__ = "0.3.0"

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
    "OPAQUE",
    "POOL",
    "SELF_ASSIGN",
    "SERVICE_WILDCARD",
    "TARGETED",
    "TOOL_CALL",
    "AdminClient",
    "AetherError",
    "AgentClient",
    "AsyncAdminClient",
    "AsyncAgentClient",
    "AsyncBridgeClient",
    "AsyncMetricsBridgeClient",
    "AsyncOrchestratorClient",
    "AsyncServiceClient",
    "AsyncTaskClient",
    "AsyncUserClient",
    "AsyncWorkflowEngineClient",
    "AuthenticationError",
    "BaseAetherClient",
    "BaseAsyncAetherClient",
    "BridgeClient",
    "BufferFullError",
    "CheckpointError",
    "ConnectionClosedError",
    "ConnectionError",
    "Credentials",
    "DuplicateIdentityError",
    "GatewayHealth",
    "InvalidArgumentError",
    "KVOperationError",
    "MessageError",
    "MetricBuilder",
    "MetricsBridgeClient",
    "NotFoundError",
    "NotImplementedError",
    "OrchestratorClient",
    "PermissionDeniedError",
    "PrincipalType",
    "ReconnectionError",
    "ResolvedIdentity",
    "ServiceClient",
    "TaskClient",
    "TimeoutError",
    "UserClient",
    "WorkflowEngineClient",
    "__version__",
    "from_grpc_error",
    "is_recoverable_error",
    "new_metric",
]
