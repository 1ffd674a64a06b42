"""README snippets 11-13: "Callbacks" (sync and async forms), "Messaging / Message Types" and
"Messaging / Sending Messages". Every send is checked at a receiver of the principal type the
topic names: agent, task, user session, workflow engine (events), metrics bridge (metrics)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from aether_gateway.embedded import EmbeddedGateway
from scitrera_aether_client import (
    AgentClient,
    AsyncAgentClient,
    BaseAetherClient,
    MetricsBridgeClient,
    TaskClient,
    UserClient,
    WorkflowEngineClient,
)
from scitrera_aether_client.proto import aether_pb2

from ._support import AsyncInbox, Inbox, Printed, latency_metric

Msg = aether_pb2.IncomingMessage
SENDER = "ag::default::sender::01"


async def test_11_callback_forms(
    gateway: EmbeddedGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    processed: AsyncInbox[Msg] = AsyncInbox()

    async def process_message(msg: Msg) -> None:  # the snippet leaves this to the reader
        processed(msg)

    # --- snippet 11 as written ---
    # Sync callback
    def on_message(msg: Msg) -> None:
        print(msg.payload.decode())

    sync_form = on_message  # kept: the next definition replaces the name, as in the README

    # Async callback
    async def on_message(msg: Msg) -> None:  # type: ignore[no-redef]
        await process_message(msg)

    # --- end of snippet ---

    printed = Printed(capsys)
    sender = AsyncAgentClient("default", "cb", "tx")
    receiver = AsyncAgentClient("default", "cb", "rx")
    await sender.connect(gateway.target)
    await receiver.connect(gateway.target)
    receiver.on_message = sync_form
    await sender.send_message_to_agent("default", "cb", "rx", b"one")
    await printed.wait("one")
    receiver.on_message = on_message
    await sender.send_message_to_agent("default", "cb", "rx", b"two")
    second = await processed.get()
    await sender.close()
    await receiver.close()
    assert (second.payload, second.source_topic) == (b"two", "ag::default::cb::tx")
    assert printed.text.splitlines() == ["one"]  # the async form did not print


@dataclass
class Receivers:
    """One connected receiver per principal type the messaging snippets address."""

    worker: Inbox[Msg]
    worker_chat: Inbox[Msg]
    worker_control: Inbox[Msg]
    other_agent: Inbox[Msg]
    task: Inbox[Msg]
    user: Inbox[Msg]
    events: Inbox[Msg]
    metrics: Inbox[Msg]


@pytest.fixture
def receivers(sync_gateway: EmbeddedGateway) -> Iterator[Receivers]:
    r = Receivers(*(Inbox[Msg]() for _ in range(8)))
    worker = AgentClient("default", "worker", "01")
    worker.on_message, worker.on_chat_message, worker.on_control_message = (
        r.worker,
        r.worker_chat,
        r.worker_control,
    )
    other = AgentClient("default", "bystander", "01")  # a second agent of the workspace
    other.on_message = r.other_agent
    task = TaskClient("default", "processor", unique_specifier="task-123")
    task.on_message = r.task
    user = UserClient("user-123", "window-abc")
    user.on_message = r.user
    engine = WorkflowEngineClient()
    engine.on_event = r.events
    bridge = MetricsBridgeClient()
    bridge.on_metric = r.metrics
    clients: list[BaseAetherClient] = [worker, other, task, user, engine, bridge]
    for client in clients:
        client.connect(sync_gateway.target)
    yield r
    for client in clients:
        client.close()


@pytest.fixture
def sender(
    sync_gateway: EmbeddedGateway,
) -> Iterator[tuple[AgentClient, Inbox[aether_pb2.ErrorResponse]]]:
    errors: Inbox[aether_pb2.ErrorResponse] = Inbox()
    with AgentClient("default", "sender", "01") as client:
        client.on_error = errors
        client.connect(sync_gateway.target)
        yield client, errors


def arrived(inbox: Inbox[Msg], message_type: int = aether_pb2.OPAQUE) -> bytes:
    """The next payload in `inbox`, after checking it came from the sender with `message_type`."""
    msg = inbox.get()
    assert (msg.source_topic, msg.message_type) == (SENDER, message_type), msg
    return msg.payload


def test_12_message_types(
    receivers: Receivers, sender: tuple[AgentClient, Inbox[aether_pb2.ErrorResponse]]
) -> None:
    client, _errors = sender
    payload = latency_metric()  # the snippet's `payload`: a Metric, as metric:: topics require

    # --- snippet 12 as written (its `...` filled with the worker's address) ---
    from scitrera_aether_client import CHAT, CONTROL, EVENT, METRIC, TOOL_CALL  # noqa: F401

    # CHAT - Regular chat messages
    client.send_message_to_agent("default", "worker", "01", b"chat", message_type=CHAT)

    # CONTROL - Control/command messages
    client.send_message_to_agent("default", "worker", "01", b"control", message_type=CONTROL)

    # EVENT - Events for workflow engine
    client.send_event(payload)

    # METRIC - Telemetry data for metrics bridge
    client.send_metric(payload)
    # --- end of snippet ---

    # Typed callbacks fire for their type only, and on_message sees both.
    assert arrived(receivers.worker_chat, CHAT) == b"chat"
    assert arrived(receivers.worker_control, CONTROL) == b"control"
    assert [arrived(receivers.worker, t) for t in (CHAT, CONTROL)] == [b"chat", b"control"]
    assert arrived(receivers.events, EVENT) == payload
    assert arrived(receivers.metrics, METRIC) == payload


def test_13_sending_messages(
    receivers: Receivers, sender: tuple[AgentClient, Inbox[aether_pb2.ErrorResponse]]
) -> None:
    client, _errors = sender

    # --- snippet 13 as written ---
    # To a specific agent
    client.send_message_to_agent(
        workspace="default", implementation="worker", specifier="01", payload=b"Hello!"
    )

    # To a task
    client.send_message_to_task(
        workspace="default",
        implementation="processor",
        payload=b"Process this",
        unique_specifier="task-123",  # Optional for unique tasks
    )

    # To a user session
    client.send_message_to_user_session(
        user_id="user-123", window_id="window-abc", payload=b"Notification"
    )

    # Broadcast to all agents in workspace
    client.send_broadcast_to_agents(workspace="default", payload=b"Broadcast message")

    # Send event (agents/tasks only)
    client.send_event(b'{"event": "completed"}')

    # Send metric (agents/tasks only)
    client.send_metric(b'{"metric": "latency", "value": 42}')
    # --- end of snippet ---

    assert arrived(receivers.worker) == b"Hello!"
    assert arrived(receivers.task) == b"Process this"
    assert arrived(receivers.user) == b"Notification"
    assert arrived(receivers.worker) == b"Broadcast message"
    assert arrived(receivers.other_agent) == b"Broadcast message"
    assert arrived(receivers.events, aether_pb2.EVENT) == b'{"event": "completed"}'
    # The snippet's JSON metric reaches the bridge as the Metric it describes (docs/sdk.md,
    # "Metrics"): the SDK converts {"metric": name, "value": n} before sending.
    metric = aether_pb2.Metric.FromString(arrived(receivers.metrics, aether_pb2.METRIC))
    assert metric == aether_pb2.Metric(entries=[aether_pb2.MetricEntry(name="latency", qty=42)])
