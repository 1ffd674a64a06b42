"""scitrera_aether_client.wire, the gateway's supported surface, hands out the SDK's own objects.

If wire made copies, the gateway could drift from the client (a topic prefix, a permission, an
identity rule): each name must be the very object the SDK itself uses.
"""

from __future__ import annotations

import importlib

import pytest

from scitrera_aether_client import wire

#: Each name wire exports and the SDK module it comes from (a name added to wire goes here too).
SOURCES = {
    "aether_pb2": "scitrera_aether_client.proto",
    "aether_pb2_grpc": "scitrera_aether_client.proto",
    "PRINCIPALS": "scitrera_aether_client._generated.principals",
    "BY_ARM": "scitrera_aether_client._generated.principals",
    "PrincipalSpec": "scitrera_aether_client._generated.principals",
    "EXTENSION_ARM": "scitrera_aether_client._generated.principals",
    "arm_key": "scitrera_aether_client._generated.principals",
    "OPERATIONS": "scitrera_aether_client._generated.operations",
    "ARMS": "scitrera_aether_client._generated.operations",
    "ADMIN_AREAS": "scitrera_aether_client._generated.operations",
    "OperationSpec": "scitrera_aether_client._generated.operations",
    "of_arm": "scitrera_aether_client._generated.operations",
    "VALID_PREFIXES": "scitrera_aether_client._generated.topics",
    "identity_problem": "scitrera_aether_client._core.validation",
    "DELIVERY_URI": "scitrera_aether_client._core.delivery",
    "DELIVERY_VERSION": "scitrera_aether_client._core.delivery",
}


def test_wire_exports_exactly_the_documented_names() -> None:
    assert sorted(wire.__all__) == sorted(SOURCES)
    for name in wire.__all__:
        assert name in (wire.__doc__ or ""), f"wire's docstring does not describe {name}"


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_wire_name_is_the_sdk_object(name: str) -> None:
    source = importlib.import_module(SOURCES[name])
    assert getattr(wire, name) is getattr(source, name)
