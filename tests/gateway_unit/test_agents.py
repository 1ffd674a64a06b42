"""The agent registry (AgentStore, OrchestratorRegistry) and handle_agent_op."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from aether_gateway.context import Caller
from aether_gateway.handlers.agents import handle_agent_op
from aether_gateway.store import agents as agents_module
from aether_gateway.store.agents import AgentStore
from aether_gateway.store.db import Database
from scitrera_aether_client._generated.principals import PRINCIPALS
from scitrera_aether_client.proto import aether_pb2

Op = aether_pb2.AgentOperation
Info = aether_pb2.AgentRegistrationInfo


class FakeHub:
    """The live sessions a handler can see; this handler only reads them."""

    def __init__(self, *callers: Caller) -> None:
        self.live = list(callers)

    def deliver(self, topic: str, frame: aether_pb2.DownstreamMessage) -> None:
        raise AssertionError("not used")

    def send_to_session(self, session_id: str, frame: aether_pb2.DownstreamMessage) -> bool:
        raise AssertionError("not used")

    def sessions(self) -> Sequence[Caller]:
        return self.live

    def session_by_identity(self, identity: str) -> Caller | None:
        return next((c for c in self.live if c.identity == identity), None)

    def disconnect(self, session_id: str, reason: str) -> bool:
        raise AssertionError("not used")


def orchestrator(session_id: str, spec: str, connected_ms: int) -> Caller:
    fields = {"implementation": "k8s", "specifier": spec}
    return Caller(
        session_id,
        PRINCIPALS["orchestrator"],
        f"orc::k8s::{spec}",
        "",
        fields,
        connected_at_ms=connected_ms,
    )


def agent_caller() -> Caller:
    fields = {"workspace": "ws", "implementation": "impl", "specifier": "a"}
    return Caller("sa", PRINCIPALS["agent"], "ag::ws::impl::a", "ag::ws::impl::a", fields, "ws")


@pytest.fixture
def store() -> AgentStore:
    return AgentStore(Database(":memory:"))


def run(
    store: AgentStore, op: aether_pb2.AgentOperation, hub: FakeHub | None = None
) -> aether_pb2.AgentResponse:
    frames = handle_agent_op(store, hub or FakeHub(), agent_caller(), op, True)
    assert len(frames) == 1 and frames[0].WhichOneof("payload") == "agent"
    assert frames[0].agent.request_id == op.request_id
    return frames[0].agent


def register(store: AgentStore, implementation: str, profile: str = "") -> aether_pb2.AgentResponse:
    info = Info(implementation=implementation, orchestrator_profile=profile)
    return run(store, Op(op=Op.REGISTER, agent=info, request_id=f"r-{implementation}"))


def test_register_round_trips_every_field(store: AgentStore) -> None:
    info = Info(
        implementation="summarizer",
        orchestrator_profile="gpu",
        description="summarizes",
        launch_params={"image": "x:1", "profile": "gpu"},
        resource_schema=[
            aether_pb2.AgentResourceSchemaEntry(
                resource_type_prefix="doc", permission_verbs=["read"], resource_id_schema="id"
            )
        ],
        capabilities={"streaming": True},
        extensions=["urn:x"],
    )
    response = run(store, Op(op=Op.REGISTER, agent=info, request_id="r"))
    assert response.success and response.message == "agent registered successfully"
    stored = run(store, Op(op=Op.GET, implementation="summarizer")).agent
    assert stored == response.agent and stored.registered_at > 0
    expected = Info()
    expected.CopyFrom(info)
    expected.registered_at, expected.updated_at = stored.registered_at, stored.updated_at
    assert stored == expected


def test_re_registering_keeps_the_registration_time(
    store: AgentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(agents_module, "now_s", lambda: 100)
    register(store, "impl", "p1")
    monkeypatch.setattr(agents_module, "now_s", lambda: 200)
    again = register(store, "impl", "p2").agent
    assert (again.registered_at, again.updated_at, again.orchestrator_profile) == (100, 200, "p2")


def test_list_filters_by_profile_and_pages(store: AgentStore) -> None:
    register(store, "a", "gpu")
    register(store, "b", "cpu")
    register(store, "c", "gpu")
    everything = run(store, Op(op=Op.LIST, request_id="l"))
    assert [a.implementation for a in everything.agents] == ["a", "b", "c"]
    assert everything.total_count == 3
    gpu = run(store, Op(op=Op.LIST, filter=aether_pb2.AgentFilter(orchestrator_profile="gpu")))
    assert [a.implementation for a in gpu.agents] == ["a", "c"] and gpu.total_count == 2
    page = run(store, Op(op=Op.LIST, filter=aether_pb2.AgentFilter(limit=1, offset=2)))
    assert [a.implementation for a in page.agents] == ["c"] and page.total_count == 3


def test_update_replaces_an_existing_registration(store: AgentStore) -> None:
    register(store, "a", "gpu")
    info = Info(orchestrator_profile="cpu", description="moved")
    response = run(store, Op(op=Op.UPDATE, implementation="a", agent=info, request_id="u"))
    assert response.success and response.message == "agent updated successfully"
    assert response.agent.orchestrator_profile == "cpu" and response.agent.implementation == "a"
    missing = run(store, Op(op=Op.UPDATE, agent=Info(implementation="ghost")))
    assert not missing.success and missing.error == "agent not found: ghost"


def test_delete(store: AgentStore) -> None:
    register(store, "a")
    response = run(store, Op(op=Op.DELETE, implementation="a", request_id="d"))
    assert response.success and response.message == "agent deleted successfully"
    for op in (Op.GET, Op.DELETE):
        missing = run(store, Op(op=op, implementation="a"))
        assert not missing.success and missing.error == "agent not found: a"


def test_operations_on_one_agent_need_an_implementation(store: AgentStore) -> None:
    for op in (Op.GET, Op.REGISTER, Op.UPDATE, Op.DELETE):
        assert run(store, Op(op=op)).error == "implementation is required"


def test_launch_is_not_implemented(store: AgentStore) -> None:
    response = run(store, Op(op=Op.LAUNCH, implementation="a", request_id="x"))
    assert not response.success and response.error == "not implemented"


def test_list_orchestrators_reports_live_orchestrators_with_their_profiles(
    store: AgentStore,
) -> None:
    gpu, bare = orchestrator("s1", "one", 5_000), orchestrator("s2", "two", 7_000)
    store.orchestrators.add("s1", gpu.identity, ["gpu", "cpu"], 5)
    store.orchestrators.add("gone", "orc::k8s::old", ["gpu"], 1)  # its session has ended
    hub = FakeHub(gpu, bare, agent_caller())
    response = run(store, Op(op=Op.LIST_ORCHESTRATORS, request_id="o"), hub)
    assert response.success and response.total_count == 2
    found = [(o.orchestrator_id, list(o.profiles), o.connected_at) for o in response.orchestrators]
    assert found == [("orc::k8s::one", ["gpu", "cpu"], 5), ("orc::k8s::two", [], 7)]


def test_the_orchestrator_registry_is_keyed_by_session(store: AgentStore) -> None:
    registry = store.orchestrators
    registry.add("old", "orc::k8s::one", ["gpu"], 1)
    registry.add("new", "orc::k8s::one", ["gpu"], 2)  # a resumed orchestrator
    registry.remove("old")
    assert [(e.session_id, e.connected_at) for e in registry.list_entries()] == [("new", 2)]
    registry.remove("missing")
    assert registry.get("new") is not None and registry.get("old") is None


def test_refusal_is_an_error_response_carrying_the_request_id(store: AgentStore) -> None:
    op = Op(op=Op.REGISTER, agent=Info(implementation="a"), request_id="r")
    frames = handle_agent_op(store, FakeHub(), agent_caller(), op, False)
    assert len(frames) == 1 and frames[0].error.code == "ERR_PERMISSION_DENIED"
    assert frames[0].error.request_id == "r" and "admin/agents" in frames[0].error.message
    assert store.get("a") is None


def test_registrations_survive_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "agents.db"
    first = AgentStore(Database(path))
    stored = first.register(Info(implementation="a", launch_params={"profile": "gpu"}))
    assert AgentStore(Database(path)).get("a") == stored
