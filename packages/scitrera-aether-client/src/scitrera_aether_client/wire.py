"""The supported surface for code that speaks aether.v1 from the other side: the gateway and tools.

The SDK keeps its machinery in private modules (``_core``, ``_generated``, ``_facade``,
``_common``) so it can move things around freely. Whatever the gateway (``aether_gateway``) and
other tools need from it is re-exported here, under stable names, and nowhere else: they import
this module, never a private one (``tox -e lint`` enforces this with import-linter contracts).

What is here:

- ``aether_pb2`` / ``aether_pb2_grpc``: the protoc-generated messages and gRPC service stubs.
- ``PRINCIPALS``, ``BY_ARM``, ``PrincipalSpec``: the generated principal table (by key and by
  ``InitConnection.client_type`` arm), the one table client and gateway both enforce.
  ``EXTENSION_ARM`` and ``arm_key``: principal types aether.v1 lacks send their identity in the
  extension arm; ``arm_key(arm, principal_type)`` is the ``BY_ARM`` key of an identity.
- ``VALID_PREFIXES``: every topic prefix a send may address.
- ``OPERATIONS``, ``ARMS``, ``OperationSpec``, ``of_arm``: the generated operation table (kind,
  idempotency, response arm, callers, gateway store function of each request operation).
  ``ADMIN_AREAS``: per admin arm, the area of the ACL resource ``admin/<area>`` that grants it
  (with each op's ``admin_level``, what the gateway's admin gate asks for).
- ``identity_problem``: why a string is not a valid identity field, or None; the gateway's rule,
  shared so the client refuses exactly what the gateway would.
- ``DELIVERY_URI`` / ``DELIVERY_VERSION``: the delivery-acknowledgement extension's name and
  version as negotiated in the handshake.

Adding a name: re-export it here, list it in ``__all__`` and say what it is above.
"""

from __future__ import annotations

from scitrera_aether_client._core.delivery import DELIVERY_URI, DELIVERY_VERSION
from scitrera_aether_client._core.validation import identity_problem
from scitrera_aether_client._generated.operations import (
    ADMIN_AREAS,
    ARMS,
    OPERATIONS,
    OperationSpec,
    of_arm,
)
from scitrera_aether_client._generated.principals import (
    BY_ARM,
    EXTENSION_ARM,
    PRINCIPALS,
    PrincipalSpec,
    arm_key,
)
from scitrera_aether_client._generated.topics import VALID_PREFIXES
from scitrera_aether_client.proto import aether_pb2, aether_pb2_grpc

__all__ = [
    "ADMIN_AREAS",
    "ARMS",
    "BY_ARM",
    "DELIVERY_URI",
    "DELIVERY_VERSION",
    "EXTENSION_ARM",
    "OPERATIONS",
    "PRINCIPALS",
    "VALID_PREFIXES",
    "OperationSpec",
    "PrincipalSpec",
    "aether_pb2",
    "aether_pb2_grpc",
    "arm_key",
    "identity_problem",
    "of_arm",
]
