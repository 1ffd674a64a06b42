"""scitrera_aether_client: Python SDK for the Aether control plane.

One bidirectional gRPC stream per participant; sync and async clients for every principal type
(generated from schema/principals.yaml), KV, checkpoints, tasks and admin operations.

The package also ships a pytest plugin (testing/pytest_plugin.py), which makes pytest want to
rewrite its asserts; PYTEST_DONT_REWRITE keeps pytest from warning when the SDK was imported
before pytest started (a sitecustomize, say): its asserts are product code, not test code.
"""

import importlib
from typing import TYPE_CHECKING, Final

from scitrera_aether_client import constants as _constants

# The client classes come from principals.yaml; the package takes exactly exports.__all__.
from scitrera_aether_client._generated import exports as _principal_exports

# Every name of constants.__all__; the root lists all but five of them (below).
from scitrera_aether_client.constants import *  # noqa: F403
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

if TYPE_CHECKING:
    from scitrera_aether_client._generated.exports import *  # noqa: F403
    from scitrera_aether_client._generated.topics import IDENTITY_SEP, SERVICE_WILDCARD
    from scitrera_aether_client.admin import AdminClient
    from scitrera_aether_client.admin_async import AsyncAdminClient
    from scitrera_aether_client.client import BaseAetherClient
    from scitrera_aether_client.client_async import BaseAsyncAetherClient, ResolvedIdentity
    from scitrera_aether_client.health import GatewayHealth
    from scitrera_aether_client.metrics import MetricBuilder, new_metric

# Names loaded on first use (PEP 562 __getattr__ below), so that `import scitrera_aether_client`
# costs grpc, protobuf, the constants and the exceptions only, not every client, admin and
# storage module. Each name -> the module that defines it; keep in step with TYPE_CHECKING above.
_LAZY: Final[dict[str, str]] = {
    "IDENTITY_SEP": "_generated.topics",
    "SERVICE_WILDCARD": "_generated.topics",
    "AdminClient": "admin",
    "AsyncAdminClient": "admin_async",
    "BaseAetherClient": "client",
    "BaseAsyncAetherClient": "client_async",
    "ResolvedIdentity": "client_async",
    "GatewayHealth": "health",
    "MetricBuilder": "metrics",
    "new_metric": "metrics",
}
# Submodules the package used to import eagerly: `scitrera_aether_client.admin` and the like
# still resolve after a bare `import scitrera_aether_client`.
_SUBMODULES: Final = frozenset(
    {"admin", "admin_async", "client", "client_async", "health", "metrics"}
)


# Hidden from type checkers: they see the real imports above, and a visible __getattr__ would
# make them accept any misspelt name of the package.
if not TYPE_CHECKING:

    def __getattr__(name: str) -> object:
        if name in _principal_exports.MODULES:
            value: object = getattr(_principal_exports, name)
        elif name in _LAZY:
            value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        elif name in _SUBMODULES:
            value = importlib.import_module(f"{__name__}.{name}")
        else:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        globals()[name] = value  # later lookups skip this function
        return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY, *_SUBMODULES, *_principal_exports.MODULES})


__version__ = "0.3.0"

__all__ = [
    "IDENTITY_SEP",
    "SERVICE_WILDCARD",
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
    "ReconnectionError",
    "ResolvedIdentity",
    "TimeoutError",
    "__version__",
    "from_grpc_error",
    "is_recoverable_error",
    "new_metric",
]
# The constants (constants.py) but those the reference package leaves out of its __all__: they
# are importable from here all the same.
__all__ += _constants.__all__
__all__.remove("TARGET_OFFLINE_UNSPECIFIED")
__all__.remove("TARGET_OFFLINE_ORCHESTRATE")
__all__.remove("TARGET_OFFLINE_QUEUE")
__all__.remove("TARGET_OFFLINE_REJECT")
__all__.remove("WORKFLOW_SCHEDULE_AUTHORITY_POLICY_VERSION")
# Every principal's FooClient and AsyncFooClient (see _generated/exports.py).
__all__ += _principal_exports.__all__
