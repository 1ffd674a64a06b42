"""Principal facts the package exposes come from the generated principal table, and keep the
reference's public names: client classes, PrincipalType, the admin filter's principal names."""

from __future__ import annotations

import pytest

import scitrera_aether_client as package
from scitrera_aether_client._core import admin_ops
from scitrera_aether_client._generated import exports
from scitrera_aether_client._generated.principals import PRINCIPALS
from scitrera_aether_client.exceptions import InvalidArgumentError
from scitrera_aether_client.proto import aether_pb2

# The reference package's client classes (reference-sdk-api.md §1), plus our Bridge pair.
REFERENCE_CLASSES = ("Agent", "Task", "User", "Orchestrator", "WorkflowEngine", "MetricsBridge")
CLASSES = (*REFERENCE_CLASSES, "Service", "Bridge")


@pytest.mark.parametrize("name", CLASSES)
def test_both_flavours_of_every_client_are_public(name: str) -> None:
    sync, async_ = getattr(package, f"{name}Client"), getattr(package, f"Async{name}Client")
    assert {f"{name}Client", f"Async{name}Client"} <= set(package.__all__)
    assert sync.__module__ == "scitrera_aether_client._generated.clients"
    assert async_.__module__ == "scitrera_aether_client._generated.clients_async"


def test_the_package_exports_exactly_the_generated_clients() -> None:
    skip = ("Admin", "Base")
    clients = {n for n in package.__all__ if n.endswith("Client") and not n.startswith(skip)}
    clients -= {"AsyncAdminClient"}
    assert clients == set(exports.__all__)
    assert len(exports.__all__) == 2 * len(PRINCIPALS)
    assert all(getattr(package, n) is getattr(exports, n) for n in exports.__all__)


def test_principal_type_spells_the_reference_names() -> None:
    expected = {
        "AGENT": "Agent",
        "TASK": "Task",
        "USER": "User",
        "SERVICE": "Service",
        "WORKFLOW_ENGINE": "WorkflowEngine",
        "METRICS_BRIDGE": "MetricsBridge",
        "ORCHESTRATOR": "Orchestrator",
        "BRIDGE": "Bridge",
    }
    got = {k: v for k, v in vars(package.PrincipalType).items() if k.isupper()}
    assert got == expected
    assert set(got.values()) == {p.type_name for p in PRINCIPALS.values()}


def test_session_filter_accepts_every_principal_by_either_spelling() -> None:
    enums = {
        "agent": aether_pb2.PRINCIPAL_AGENT,
        "task": aether_pb2.PRINCIPAL_TASK,
        "user": aether_pb2.PRINCIPAL_USER,
        "orchestrator": aether_pb2.PRINCIPAL_ORCHESTRATOR,
        "workflow_engine": aether_pb2.PRINCIPAL_WORKFLOW_ENGINE,
        "metrics_bridge": aether_pb2.PRINCIPAL_METRICS_BRIDGE,
        "bridge": aether_pb2.PRINCIPAL_BRIDGE,
        "service": aether_pb2.PRINCIPAL_SERVICE,
    }
    for key, enum in enums.items():
        assert admin_ops.session_list(key).filter.type == enum
    assert admin_ops.session_list("WorkflowEngine").filter.type == enums["workflow_engine"]
    assert admin_ops.session_list().filter.type == aether_pb2.PRINCIPAL_TYPE_UNSPECIFIED
    with pytest.raises(InvalidArgumentError):
        admin_ops.session_list("robot")


def test_reference_constants_are_importable_but_not_in_all() -> None:
    from scitrera_aether_client import (
        TARGET_OFFLINE_ORCHESTRATE,
        TARGET_OFFLINE_QUEUE,
        TARGET_OFFLINE_REJECT,
        TARGET_OFFLINE_UNSPECIFIED,
        WORKFLOW_SCHEDULE_AUTHORITY_POLICY_VERSION,
    )

    assert (
        TARGET_OFFLINE_UNSPECIFIED,
        TARGET_OFFLINE_ORCHESTRATE,
        TARGET_OFFLINE_QUEUE,
        TARGET_OFFLINE_REJECT,
    ) == (
        aether_pb2.TARGET_OFFLINE_POLICY_UNSPECIFIED,
        aether_pb2.TARGET_OFFLINE_POLICY_ORCHESTRATE,
        aether_pb2.TARGET_OFFLINE_POLICY_QUEUE,
        aether_pb2.TARGET_OFFLINE_POLICY_REJECT,
    )
    assert WORKFLOW_SCHEDULE_AUTHORITY_POLICY_VERSION == 1
    hidden = {n for n in package.__all__ if n.startswith("TARGET_OFFLINE") or "SCHEDULE" in n}
    assert hidden == set()
