"""Issue 3 item 3: SendMessage routing between real clients."""

from __future__ import annotations

import math

import pytest

from aether_gateway.config import GatewayConfig
from aether_gateway.embedded import EmbeddedGateway
from scitrera_aether_client import (
    EVENT,
    METRIC,
    SERVICE_WILDCARD,
    AsyncAgentClient,
    AsyncBridgeClient,
    AsyncMetricsBridgeClient,
    AsyncOrchestratorClient,
    AsyncServiceClient,
    AsyncTaskClient,
    AsyncUserClient,
    AsyncWorkflowEngineClient,
)
from scitrera_aether_client.proto import aether_pb2

from ._support import barrier, errors, messages, payloads, wait_payload


@pytest.mark.parametrize("topic", ["xx::ws::a", "no-separator", "ag", "orc::impl::spec"], ids=str)
async def test_unknown_topic_is_err_invalid_topic(
    gateway: EmbeddedGateway, opened, topic: str
) -> None:
    agent = await opened(AsyncAgentClient("ws", "bot", "topics"), gateway.target)
    failures = errors(agent)
    await agent.send_message(topic, b"x")
    error = await failures.wait_for()
    assert error.code == "ERR_INVALID_TOPIC"


async def test_user_may_not_send_to_uu(gateway: EmbeddedGateway, opened) -> None:
    user = await opened(AsyncUserClient("alice", "w1"), gateway.target)
    other = await opened(AsyncUserClient("bob", "w1"), gateway.target)
    received = messages(other)
    failures = errors(user)
    await user.send_message("uu::bob", b"denied")
    error = await failures.wait_for()
    assert error.code == "ERR_PERMISSION_DENIED"
    await user.send_message_to_user_session("bob", "w1", b"marker")
    await wait_payload(received, b"marker")
    assert payloads(received) == [b"marker"]


@pytest.mark.parametrize("topic", ["event::*", "metric::*", "pg::ws"])
async def test_user_may_not_send_to_fan_in_or_progress_lanes(
    gateway: EmbeddedGateway, opened, topic: str
) -> None:
    user = await opened(AsyncUserClient("alice", "w1"), gateway.target)
    failures = errors(user)
    await user.send_message(topic, b"denied")
    assert (await failures.wait_for()).code == "ERR_PERMISSION_DENIED"


@pytest.mark.parametrize(
    "make",
    [lambda: AsyncServiceClient("svc", "s1"), lambda: AsyncBridgeClient("br", "b1")],
    ids=["service", "bridge"],
)
async def test_services_and_bridges_may_send_to_uu(gateway: EmbeddedGateway, opened, make) -> None:
    user = await opened(AsyncUserClient("lena", "w1"), gateway.target)
    received = messages(user)
    sender = await opened(make(), gateway.target)
    await sender.send_message("uu::lena", b"to all windows")
    await wait_payload(received, b"to all windows")


async def test_orchestrator_may_not_send_to_a_user(gateway: EmbeddedGateway, opened) -> None:
    orch = await opened(AsyncOrchestratorClient("orc", ["local"]), gateway.target)
    failures = errors(orch)
    await orch.send_message("us::alice::w1", b"denied")
    assert (await failures.wait_for()).code == "ERR_PERMISSION_DENIED"


async def test_orchestrator_may_send_to_an_agent(gateway: EmbeddedGateway, opened) -> None:
    agent = await opened(AsyncAgentClient("ws", "bot", "managed"), gateway.target)
    received = messages(agent)
    orch = await opened(AsyncOrchestratorClient("orc", ["local"]), gateway.target)
    await orch.send_status_to_agent("ws", "bot", "managed", b"status")
    message = await received.wait_for()
    # Orchestrators have no topic: the source is empty, as in the reference.
    assert message.payload == b"status" and message.source_topic == ""


@pytest.mark.parametrize("topic", ["ag::ws::bot::x", "event::*", "us::alice::w1", "ga::ws"])
async def test_metrics_bridge_may_send_nowhere(
    gateway: EmbeddedGateway, opened, topic: str
) -> None:
    bridge = await opened(AsyncMetricsBridgeClient(), gateway.target)
    failures = errors(bridge)
    await bridge.send_acknowledgment(topic, b"ack")
    assert (await failures.wait_for()).code == "ERR_PERMISSION_DENIED"


async def test_workflow_engine_may_send_to_uu(gateway: EmbeddedGateway, opened) -> None:
    w1 = await opened(AsyncUserClient("carol", "w1"), gateway.target)
    w2 = await opened(AsyncUserClient("carol", "w2"), gateway.target)
    got1, got2 = messages(w1), messages(w2)
    engine = await opened(AsyncWorkflowEngineClient(), gateway.target)
    failures = errors(engine)
    await engine.send_message_to_user_broadcast("carol", b"to every window")
    await wait_payload(got1, b"to every window")
    await wait_payload(got2, b"to every window")
    assert got1.items[0].source_topic == "event::receiver0"
    assert failures.items == []


async def test_payload_cap_is_configurable() -> None:
    async with EmbeddedGateway(GatewayConfig(dev_mode=True, max_payload=1024)) as gw:
        sender = AsyncAgentClient("ws", "bot", "big")
        receiver = AsyncAgentClient("ws", "bot", "small")
        received, failures = messages(receiver), errors(sender)
        await sender.connect(gw.target)
        await receiver.connect(gw.target)
        try:
            await sender.send_message_to_agent("ws", "bot", "small", b"x" * 1025)
            error = await failures.wait_for()
            assert error.code == "ERR_PAYLOAD_TOO_LARGE"
            await sender.send_message_to_agent("ws", "bot", "small", b"y" * 1024)
            await wait_payload(received, b"y" * 1024)
            assert payloads(received) == [b"y" * 1024]
        finally:
            await sender.close()
            await receiver.close()


async def test_events_fan_in_to_the_workflow_engine(gateway: EmbeddedGateway, opened) -> None:
    engine = await opened(AsyncWorkflowEngineClient(), gateway.target)
    events = messages(engine)
    agent = await opened(AsyncAgentClient("ws", "bot", "emitter"), gateway.target)
    await agent.send_event(b'{"kind": "done"}')
    await agent.send_message("event::ws", b"by workspace", message_type=EVENT)
    first = await events.wait_for()
    await wait_payload(events, b"by workspace")
    assert first.payload == b'{"kind": "done"}'
    assert first.message_type == EVENT and first.source_topic == "ag::ws::bot::emitter"


async def test_events_wait_for_an_offline_workflow_engine(gateway: EmbeddedGateway, opened) -> None:
    agent = await opened(AsyncAgentClient("ws", "bot", "early-emitter"), gateway.target)
    await agent.send_event(b"e1")
    await agent.send_event(b"e2")
    await barrier(agent)
    engine = AsyncWorkflowEngineClient()
    events = messages(engine)
    await opened(engine, gateway.target)
    await events.wait_count(2)
    assert payloads(events) == [b"e1", b"e2"]


async def test_metrics_fan_in_to_the_metrics_bridge(gateway: EmbeddedGateway, opened) -> None:
    bridge = await opened(AsyncMetricsBridgeClient(), gateway.target)
    metrics = messages(bridge)
    agent = await opened(AsyncAgentClient("ws", "bot", "meter"), gateway.target)
    metric = aether_pb2.Metric(
        trace_id="t1", entries=[aether_pb2.MetricEntry(name="tokens", kind="counter", qty=42)]
    )
    await agent.send_metric(metric)
    got = await metrics.wait_for()
    assert got.message_type == METRIC and got.source_topic == "ag::ws::bot::meter"
    assert aether_pb2.Metric.FromString(got.payload) == metric


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"\xff\xff\xff", "ERR_METRIC_INVALID"),
        (aether_pb2.Metric().SerializeToString(), "ERR_METRIC_EMPTY"),
        (
            aether_pb2.Metric(entries=[aether_pb2.MetricEntry(qty=1)]).SerializeToString(),
            "ERR_METRIC_INVALID_ENTRY",
        ),
        (
            aether_pb2.Metric(
                entries=[aether_pb2.MetricEntry(name="n", qty=math.nan)]
            ).SerializeToString(),
            "ERR_METRIC_INVALID_ENTRY",
        ),
    ],
    ids=["garbage", "empty", "unnamed", "nan"],
)
async def test_invalid_metric_is_refused(
    gateway: EmbeddedGateway, opened, payload: bytes, code: str
) -> None:
    bridge = await opened(AsyncMetricsBridgeClient(), gateway.target)
    metrics = messages(bridge)
    agent = await opened(AsyncAgentClient("ws", "bot", "badmeter"), gateway.target)
    failures = errors(agent)
    await agent.send_message("metric::*", payload, message_type=METRIC)
    assert (await failures.wait_for()).code == code
    await agent.send_metric(aether_pb2.Metric(entries=[aether_pb2.MetricEntry(name="ok", qty=1)]))
    await metrics.wait_for()
    assert len(metrics.items) == 1  # only the valid one reached the bridge


async def test_ga_broadcast_reaches_every_agent_of_the_workspace(
    gateway: EmbeddedGateway, opened
) -> None:
    a = await opened(AsyncAgentClient("team", "bot", "a"), gateway.target)
    b = await opened(AsyncAgentClient("team", "other", "b"), gateway.target)
    outsider = await opened(AsyncAgentClient("elsewhere", "bot", "c"), gateway.target)
    got_a, got_b, got_out = messages(a), messages(b), messages(outsider)
    sender = await opened(AsyncWorkflowEngineClient(), gateway.target)
    await sender.send_broadcast_to_agents("team", b"all hands")
    await sender.send_command_to_agent("elsewhere", "bot", "c", b"marker")
    await wait_payload(got_a, b"all hands")
    await wait_payload(got_b, b"all hands")
    await wait_payload(got_out, b"marker")
    assert payloads(got_out) == [b"marker"]


async def test_gu_broadcast_reaches_users_only_after_switch_workspace(
    gateway: EmbeddedGateway, opened
) -> None:
    user = await opened(AsyncUserClient("dave", "w1"), gateway.target)
    received = messages(user)
    agent = await opened(AsyncAgentClient("team", "bot", "announcer"), gateway.target)
    await agent.send_broadcast_to_users("team", b"before")
    await agent.send_message_to_user_session("dave", "w1", b"marker-1")
    await wait_payload(received, b"marker-1")
    await user.switch_workspace("team")
    await barrier(user)
    await agent.send_broadcast_to_users("team", b"after")
    await wait_payload(received, b"after")
    assert payloads(received) == [b"marker-1", b"after"]


async def test_uw_reaches_the_user_windows_in_that_workspace(
    gateway: EmbeddedGateway, opened
) -> None:
    inside = await opened(AsyncUserClient("erin", "w1"), gateway.target)
    outside = await opened(AsyncUserClient("erin", "w2"), gateway.target)
    got_in, got_out = messages(inside), messages(outside)
    await inside.switch_workspace("team")
    await outside.switch_workspace("other")
    await barrier(inside)
    await barrier(outside)
    agent = await opened(AsyncAgentClient("team", "bot", "uw"), gateway.target)
    await agent.send_message_to_user_workspace("erin", "team", b"team only")
    await agent.send_message_to_user_session("erin", "w2", b"marker")
    await wait_payload(got_in, b"team only")
    await wait_payload(got_out, b"marker")
    assert payloads(got_out) == [b"marker"]


async def test_tb_reaches_every_pooled_task_instance(gateway: EmbeddedGateway, opened) -> None:
    t1 = await opened(AsyncTaskClient("ws", "crunch"), gateway.target)
    t2 = await opened(AsyncTaskClient("ws", "crunch"), gateway.target)
    unique = await opened(AsyncTaskClient("ws", "crunch", "solo"), gateway.target)
    got1, got2, got_unique = messages(t1), messages(t2), messages(unique)
    agent = await opened(AsyncAgentClient("ws", "bot", "dispatcher"), gateway.target)
    await agent.send_message_to_task("ws", "crunch", b"fan out")
    await agent.send_message_to_task("ws", "crunch", b"marker", unique_specifier="solo")
    await wait_payload(got1, b"fan out")
    await wait_payload(got2, b"fan out")
    await wait_payload(got_unique, b"marker")
    assert payloads(got_unique) == [b"marker"]  # tb:: is the pooled lane only


async def test_sv_wildcard_reaches_a_live_instance(gateway: EmbeddedGateway, opened) -> None:
    service = await opened(AsyncServiceClient("search", "inst-1"), gateway.target)
    received = messages(service)
    agent = await opened(AsyncAgentClient("ws", "bot", "asker"), gateway.target)
    await agent.send_message_to_service("search", SERVICE_WILDCARD, b"query")
    message = await received.wait_for()
    assert message.payload == b"query" and message.source_topic == "ag::ws::bot::asker"


async def test_sv_wildcard_without_a_live_instance_is_err_sv_unavailable(
    gateway: EmbeddedGateway, opened
) -> None:
    agent = await opened(AsyncAgentClient("ws", "bot", "lonely"), gateway.target)
    failures = errors(agent)
    await agent.send_message_to_service("nobody", SERVICE_WILDCARD, b"hello?")
    error = await failures.wait_for()
    assert error.code == "ERR_SV_UNAVAILABLE" and error.retryable


async def test_messages_to_an_offline_agent_are_delivered_in_order_on_connect(
    gateway: EmbeddedGateway, opened
) -> None:
    sender = await opened(AsyncAgentClient("ws", "bot", "early"), gateway.target)
    for i in range(25):
        await sender.send_message_to_agent("ws", "bot", "late", f"m{i}".encode())
    await barrier(sender)
    late = AsyncAgentClient("ws", "bot", "late")
    received = messages(late)
    await opened(late, gateway.target)
    await received.wait_count(25)
    assert payloads(received) == [f"m{i}".encode() for i in range(25)]
    assert {m.source_topic for m in received.items} == {"ag::ws::bot::early"}


async def test_messages_to_an_offline_user_window_are_delivered_on_connect(
    gateway: EmbeddedGateway, opened
) -> None:
    sender = await opened(AsyncAgentClient("ws", "bot", "notifier"), gateway.target)
    for i in range(3):
        await sender.send_message_to_user_session("frank", "tab", f"n{i}".encode())
    await barrier(sender)
    user = AsyncUserClient("frank", "tab")
    received = messages(user)
    await opened(user, gateway.target)
    await received.wait_count(3)
    assert payloads(received) == [b"n0", b"n1", b"n2"]


async def test_messages_to_an_offline_service_are_delivered_on_connect(
    gateway: EmbeddedGateway, opened
) -> None:
    sender = await opened(AsyncAgentClient("ws", "bot", "client"), gateway.target)
    for i in range(3):
        await sender.send_message_to_service("index", "primary", f"s{i}".encode())
    await barrier(sender)
    service = AsyncServiceClient("index", "primary")
    received = messages(service)
    await opened(service, gateway.target)
    await received.wait_count(3)
    assert payloads(received) == [b"s0", b"s1", b"s2"]


async def test_broadcasts_to_offline_targets_are_not_kept(gateway: EmbeddedGateway, opened) -> None:
    engine = await opened(AsyncWorkflowEngineClient(), gateway.target)
    await engine.send_broadcast_to_agents("quiet", b"ga while away")
    await engine.send_message_to_user_broadcast("gina", b"uu while away")
    await engine.send_broadcast_to_users("quiet", b"gu while away")
    await engine.send_message_to_user_workspace("gina", "quiet", b"uw while away")
    await engine.send_command_to_agent("quiet", "bot", "away", b"direct to agent")
    await engine.send_message_to_user("gina", "w1", b"direct to user")
    await barrier(engine)
    agent = AsyncAgentClient("quiet", "bot", "away")
    user = AsyncUserClient("gina", "w1")
    got_agent, got_user = messages(agent), messages(user)
    await opened(agent, gateway.target)
    await opened(user, gateway.target)
    await user.switch_workspace("quiet")
    await barrier(user)
    await engine.send_message_to_user("gina", "w1", b"marker")
    await wait_payload(got_agent, b"direct to agent")
    await wait_payload(got_user, b"marker")
    assert payloads(got_agent) == [b"direct to agent"]
    assert payloads(got_user) == [b"direct to user", b"marker"]
