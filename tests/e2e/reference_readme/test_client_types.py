"""README snippets 4-10: "Client Types". Each constructor is run as written, then the client is
connected and shown to be the principal the snippet says: it receives on the topic of that
identity (or, for the orchestrator, is listed with its profiles)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from aether_gateway.embedded import EmbeddedGateway
from scitrera_aether_client import AdminClient, AgentClient, AuthenticationError
from scitrera_aether_client.proto import aether_pb2

from ._support import Inbox, latency_metric

Msg = aether_pb2.IncomingMessage


@pytest.fixture
def probe(sync_gateway: EmbeddedGateway) -> Iterator[AgentClient]:
    """An agent that sends to the snippet's client."""
    with AgentClient("default", "probe", "01") as client:
        client.connect(sync_gateway.target)
        yield client


def test_04_agent_client(sync_gateway: EmbeddedGateway, probe: AgentClient) -> None:
    # --- snippet 4 as written ---
    from scitrera_aether_client import AgentClient

    client = AgentClient(workspace="default", implementation="python-worker", specifier="worker-01")
    # --- end of snippet ---

    got: Inbox[Msg] = Inbox()
    client.on_message = got
    client.connect(sync_gateway.target)
    probe.send_message_to_agent("default", "python-worker", "worker-01", b"to the agent")
    msg = got.get()
    client.close()
    assert (msg.payload, msg.source_topic) == (b"to the agent", "ag::default::probe::01")


def test_05_task_client(sync_gateway: EmbeddedGateway, probe: AgentClient) -> None:
    # --- snippet 5 as written ---
    from scitrera_aether_client import TaskClient

    # Unique task (named)
    unique_task = TaskClient(
        workspace="default", implementation="data-processor", unique_specifier="job-123"
    )

    # Non-unique task (pooled, server assigns ID)
    pooled_task = TaskClient(workspace="default", implementation="worker")
    # --- end of snippet ---

    unique_got: Inbox[Msg] = Inbox()
    pooled_got: Inbox[Msg] = Inbox()
    unique_task.on_message = unique_got
    pooled_task.on_message = pooled_got
    unique_task.connect(sync_gateway.target)
    pooled_task.connect(sync_gateway.target)
    try:
        # The unique task owns tu::default::data-processor::job-123.
        probe.send_message_to_task(
            "default", "data-processor", b"named", unique_specifier="job-123"
        )
        named = unique_got.get()
        # The pooled task got an id from the server: its own ta:: topic reaches it...
        assert pooled_task.assigned_id and pooled_task.assigned_id != "job-123"
        probe.send_message(f"ta::default::worker::{pooled_task.assigned_id}", b"by id")
        by_id = pooled_got.get()
        # ...and so does the pool's lane tb::default::worker (no unique_specifier).
        probe.send_message_to_task("default", "worker", b"to the pool")
        pooled = pooled_got.get()
    finally:
        unique_task.close()
        pooled_task.close()
    assert (named.payload, named.source_topic) == (b"named", "ag::default::probe::01")
    assert (by_id.payload, by_id.source_topic) == (b"by id", "ag::default::probe::01")
    assert (pooled.payload, pooled.source_topic) == (b"to the pool", "ag::default::probe::01")


def test_06_user_client(sync_gateway: EmbeddedGateway, probe: AgentClient) -> None:
    # --- snippet 6 as written ---
    from scitrera_aether_client import UserClient

    client = UserClient(user_id="user-123", window_id="window-abc")
    # --- end of snippet ---

    got: Inbox[Msg] = Inbox()
    client.on_message = got
    client.connect(sync_gateway.target)
    probe.send_message_to_user_session("user-123", "window-abc", b"to the window")
    msg = got.get()
    client.close()
    assert (msg.payload, msg.source_topic) == (b"to the window", "ag::default::probe::01")


def test_07_orchestrator_client(sync_gateway: EmbeddedGateway, probe: AgentClient) -> None:
    # --- snippet 7 as written ---
    from scitrera_aether_client import OrchestratorClient

    client = OrchestratorClient(
        implementation="kubernetes-orchestrator", supported_profiles=["docker", "kubernetes"]
    )
    # --- end of snippet ---

    client.connect(sync_gateway.target)
    listed = AdminClient(probe).list_orchestrators()
    client.close()
    assert client.specifier and len(client.specifier) == 8  # generated when not given
    assert listed is not None
    assert [(o.orchestrator_id, list(o.profiles)) for o in listed.orchestrators] == [
        (f"orc::kubernetes-orchestrator::{client.specifier}", ["docker", "kubernetes"])
    ]


def test_08_workflow_engine_client(sync_gateway: EmbeddedGateway, probe: AgentClient) -> None:
    # --- snippet 8 as written ---
    from scitrera_aether_client import WorkflowEngineClient

    client = WorkflowEngineClient()
    # --- end of snippet ---

    events: Inbox[Msg] = Inbox()
    client.on_event = events
    client.connect(sync_gateway.target)
    probe.send_event(b'{"event": "started"}')
    msg = events.get()
    client.close()
    assert (msg.payload, msg.source_topic) == (b'{"event": "started"}', "ag::default::probe::01")
    assert msg.message_type == aether_pb2.EVENT


def test_09_metrics_bridge_client(sync_gateway: EmbeddedGateway, probe: AgentClient) -> None:
    # --- snippet 9 as written ---
    from scitrera_aether_client import MetricsBridgeClient

    client = MetricsBridgeClient()
    # --- end of snippet ---

    metrics: Inbox[Msg] = Inbox()
    client.on_metric = metrics
    client.connect(sync_gateway.target)
    probe.send_metric(latency_metric(7.0))
    msg = metrics.get()
    client.close()
    assert (msg.payload, msg.source_topic) == (latency_metric(7.0), "ag::default::probe::01")
    assert msg.message_type == aether_pb2.METRIC


def test_10_service_client(sync_keyed_gateway: EmbeddedGateway) -> None:
    gw = sync_keyed_gateway
    _record, api_key = gw.services.tokens.create("platform", "Service")  # the snippet's api_key

    # --- snippet 10 as written ---
    from scitrera_aether_client import Credentials, ServiceClient

    client = ServiceClient(
        implementation="platform-server",
        specifier="pod-abc",
        credentials=Credentials.api_key(api_key),
    )
    # --- end of snippet ---

    got: Inbox[Msg] = Inbox()
    client.on_message = got
    client.connect(gw.target)  # this gateway admits no anonymous service: the key is what counts
    _record, agent_key = gw.services.tokens.create("probe", "Agent")
    with AgentClient("default", "probe", "01", credentials=Credentials.api_key(agent_key)) as probe:
        probe.connect(gw.target)
        probe.send_message_to_service("platform-server", "pod-abc", b"to the service")
        msg = got.get()
    client.close()
    assert (msg.payload, msg.source_topic) == (b"to the service", "ag::default::probe::01")
    anonymous = ServiceClient(implementation="platform-server", specifier="pod-xyz")
    with pytest.raises(AuthenticationError):
        anonymous.connect(gw.target)
    anonymous.close()
