"""Issue 14, seed example 1: `send_metric(b'{"metric": "latency", "value": 42}')`, the form the
reference README documents, reaches the metrics bridge as a Metric; a metric the SDK cannot turn
into one raises TypeError at the call site and nothing is sent (no later ERR_METRIC_* in on_error).

Real gateway over real gRPC, from the SDK's pytest plugin (async_aether_gateway and
async_aether_client, docs/testing.md).
"""

from __future__ import annotations

import pytest
from gateway._support import Inbox  # tests/e2e/gateway: callback inboxes that await items

from scitrera_aether_client import (
    AsyncAgentClient,
    AsyncMetricsBridgeClient,
    InvalidArgumentError,
)
from scitrera_aether_client.proto import aether_pb2
from scitrera_aether_client.testing.pytest_plugin import AsyncClientFactory

Msg = aether_pb2.IncomingMessage
MARKER = aether_pb2.Metric(entries=[aether_pb2.MetricEntry(name="marker", qty=1)])


async def test_the_readme_json_metric_reaches_the_bridge_as_a_metric(
    async_aether_client: AsyncClientFactory,
) -> None:
    bridge = await async_aether_client(AsyncMetricsBridgeClient())
    metrics: Inbox[Msg] = Inbox()
    bridge.on_metric = metrics
    agent = await async_aether_client(AsyncAgentClient("default", "meter", "01"))
    refusals: Inbox[aether_pb2.ErrorResponse] = Inbox()
    agent.on_error = refusals

    await agent.send_metric(b'{"metric": "latency", "value": 42}')
    await agent.send_metric(
        b'{"metric": "tokens", "value": 1.5, "model": "m-1", "shard": 3, "cached": false}'
    )
    await agent.send_metric(MARKER)

    got = await metrics.wait_count(3)
    assert [m.source_topic for m in got] == ["ag::default::meter::01"] * 3
    assert [aether_pb2.Metric.FromString(m.payload) for m in got] == [
        aether_pb2.Metric(entries=[aether_pb2.MetricEntry(name="latency", qty=42)]),
        aether_pb2.Metric(
            entries=[aether_pb2.MetricEntry(name="tokens", qty=1.5)],
            metadata={"model": "m-1", "shard": "3", "cached": "false"},
        ),
        MARKER,
    ]
    assert refusals.items == []  # the gateway refused nothing (it would have, before the marker)


@pytest.mark.parametrize(
    "bad",
    [
        b'{"metric": "latency"}',  # no value
        b'{"value": 42}',  # no name
        b'{"metric": "latency", "value": "42"}',  # a string value
        b'{"metric": "latency", "value": 1, "tags": ["a"]}',  # a label that is not a scalar
        b"{not json",
        b"latency=42",  # text: parses as a Metric of unknown fields and no entries
        b"\xff\xff\xff",  # neither JSON nor a Metric
    ],
    ids=["no-value", "no-name", "string-value", "list-label", "broken-json", "text", "garbage"],
)
async def test_a_metric_the_sdk_cannot_convert_raises_type_error_and_sends_nothing(
    async_aether_client: AsyncClientFactory, bad: bytes
) -> None:
    bridge = await async_aether_client(AsyncMetricsBridgeClient())
    metrics: Inbox[Msg] = Inbox()
    bridge.on_metric = metrics
    agent = await async_aether_client(AsyncAgentClient("default", "meter", "02"))
    refusals: Inbox[aether_pb2.ErrorResponse] = Inbox()
    agent.on_error = refusals

    with pytest.raises(TypeError, match="metric") as raised:
        await agent.send_metric(bad)
    assert isinstance(raised.value, InvalidArgumentError)
    assert raised.value.argument == "metric"

    # Nothing left the agent: the marker, sent on the same stream after it, is the first and only
    # metric at the bridge, and no refusal came back before it.
    await agent.send_metric(MARKER)
    first = await metrics.wait_for()
    assert aether_pb2.Metric.FromString(first.payload) == MARKER
    assert len(metrics.items) == 1
    assert refusals.items == []


@pytest.mark.parametrize(
    "bad",
    [
        aether_pb2.Metric(),
        aether_pb2.Metric(entries=[aether_pb2.MetricEntry(qty=1)]),
        aether_pb2.Metric(entries=[aether_pb2.MetricEntry(name="n", qty=float("inf"))]),
    ],
    ids=["empty", "unnamed", "infinite"],
)
async def test_a_metric_the_gateway_would_refuse_is_refused_at_the_call_site(
    async_aether_client: AsyncClientFactory, bad: aether_pb2.Metric
) -> None:
    agent = await async_aether_client(AsyncAgentClient("default", "meter", "03"))
    with pytest.raises(InvalidArgumentError, match="metric"):
        await agent.send_metric(bad)
    with pytest.raises(InvalidArgumentError, match="metric"):
        await agent.send_metric(bad.SerializeToString())
