"""scitrera_aether_client: Python SDK for the Aether control plane.

One bidirectional gRPC stream per participant; sync and async clients for every principal type
(generated from schema/principals.yaml), KV, checkpoints, tasks and admin operations.

The package also ships a pytest plugin (testing/pytest_plugin.py), which makes pytest want to
rewrite its asserts; PYTEST_DONT_REWRITE keeps pytest from warning when the SDK was imported
before pytest started (a sitecustomize, say): its asserts are product code, not test code.
"""

from typing import Final

from scitrera_aether_client import constants as _constants

# The client classes come from principals.yaml; the star import takes exactly exports.__all__.
from scitrera_aether_client._generated import exports as _principal_exports
from scitrera_aether_client._generated.exports import *  # noqa: F403
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

# Importable but not in __all__, as in the reference package.
TARGET_OFFLINE_UNSPECIFIED: Final = _constants.TARGET_OFFLINE_UNSPECIFIED
TARGET_OFFLINE_ORCHESTRATE: Final = _constants.TARGET_OFFLINE_ORCHESTRATE
TARGET_OFFLINE_QUEUE: Final = _constants.TARGET_OFFLINE_QUEUE
TARGET_OFFLINE_REJECT: Final = _constants.TARGET_OFFLINE_REJECT
WORKFLOW_SCHEDULE_AUTHORITY_POLICY_VERSION: Final = (
    _constants.WORKFLOW_SCHEDULE_AUTHORITY_POLICY_VERSION
)

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
    "AsyncAdminClient",
    "AuthenticationError",
    "BaseAetherClient",
    "BaseAsyncAetherClient",
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
    "NotFoundError",
    "NotImplementedError",
    "PermissionDeniedError",
    "PrincipalType",
    "ReconnectionError",
    "ResolvedIdentity",
    "TimeoutError",
    "__version__",
    "from_grpc_error",
    "is_recoverable_error",
    "new_metric",
]
# Every principal's FooClient and AsyncFooClient (see _generated/exports.py).
__all__ += _principal_exports.__all__
