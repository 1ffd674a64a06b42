"""Issue 14: the ops endpoint of `aether-gateway serve --ops-port` (docs/gateway.md, "Operations").

A real gateway process serves /metrics, /healthz and /readyz; the test sends known traffic through
it, scrapes the metrics over HTTP, parses them with prometheus_client's own parser and requires
each count to equal what was sent. Its stderr, with `--log-format json`, must be JSON lines.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from gateway_process import free_port
from prometheus_client.parser import text_string_to_metric_families

from aether_gateway.config import GatewayConfig
from aether_gateway.embedded import EmbeddedGateway
from scitrera_aether_client import AsyncAgentClient, AsyncUserClient
from scitrera_aether_client.proto import aether_pb2

from ._support import Up, agent_init, messages

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


class OpsGateway:
    """`python -m aether_gateway serve --ops-port 0 --log-format json` with stderr kept."""

    def __init__(self, data_dir: Path, stderr_path: Path) -> None:
        self.port = free_port()
        self.stderr_path = stderr_path
        cmd = [sys.executable, "-m", "aether_gateway", "serve", "--port", str(self.port)]
        cmd += ["--data-dir", str(data_dir), "--dev", "--ops-port", "0", "--log-format", "json"]
        self._stderr = stderr_path.open("w")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self._stderr, text=True)
        self.ops_url = ""

    def ready(self) -> OpsGateway:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if "ops endpoint on " in line:
                self.ops_url = line.split("ops endpoint on ", 1)[1].strip()
            if "listening on" in line:
                assert self.ops_url, "no ops endpoint line before the listening line"
                return self
            if not line and self.proc.poll() is not None:
                break
        raise RuntimeError(f"aether-gateway did not start: {self.stderr_path.read_text()}")

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._stderr.close()


@pytest.fixture
def ops_gateway(tmp_path: Path) -> Iterator[OpsGateway]:
    gateway = OpsGateway(tmp_path / "data", tmp_path / "stderr.log")
    try:
        yield gateway.ready()
    finally:
        gateway.stop()


def http_get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


async def scrape(ops_url: str) -> Samples:
    status, text = await asyncio.to_thread(http_get, f"{ops_url}/metrics")
    assert status == 200, text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_metrics_count_the_traffic_sent_and_probes_answer(
    ops_gateway: OpsGateway, opened, raw
) -> None:
    target = ops_gateway.target
    receiver = await opened(AsyncAgentClient("ws", "ops", "receiver"), target)
    inbox = messages(receiver)
    sender = await opened(AsyncAgentClient("ws", "ops", "sender"), target)
    await opened(AsyncUserClient("alice", "w1"), target)

    delivered, queued = 25, 4
    for i in range(delivered):
        await sender.send_message_to_agent("ws", "ops", "receiver", f"live-{i}".encode())
    await inbox.wait_count(delivered)
    for i in range(queued):  # an identity that is not connected: stored until it connects
        await sender.send_message_to_agent(
            "ws", "ops", "offline", f"later-{i}".encode(), wait_for_commit=True
        )
    # Refusals the SDK would stop before sending: raw frames, each answered by an ErrorResponse.
    stream = await raw(target, agent_init("ws", "ops", "raw"))
    bad = [
        aether_pb2.SendMessage(target_topic="nope::x", payload=b"1"),
        aether_pb2.SendMessage(target_topic="nope::y", payload=b"2"),
        aether_pb2.SendMessage(
            target_topic="metric::ws", payload=b"", message_type=aether_pb2.METRIC
        ),
    ]
    for frame in bad:
        await stream.send(Up(send=frame))
    codes: list[str] = []
    while len(codes) < len(bad):  # the ConfigSnapshot of an agent comes first
        frame = await stream.read()
        if frame.HasField("error"):
            codes.append(frame.error.code)
    assert codes == ["ERR_INVALID_TOPIC", "ERR_INVALID_TOPIC", "ERR_METRIC_EMPTY"]
    put = await sender.kv_put("ops/key", b"v")
    got = await sender.kv_get("ops/key")
    assert put is not None and put.success and got is not None and got.value == b"v"

    samples = await scrape(ops_gateway.ops_url)

    def value(name: str, **labels: str) -> float:
        return samples[(name, tuple(sorted(labels.items())))]

    assert value("aether_gateway_messages_routed_total") == delivered + queued
    assert value("aether_gateway_messages_queued_total") == queued
    assert value("aether_gateway_messages_refused_total", reason="ERR_INVALID_TOPIC") == 2
    assert value("aether_gateway_messages_refused_total", reason="ERR_METRIC_EMPTY") == 1
    assert value("aether_gateway_kv_operations_total", op="PUT") == 1
    assert value("aether_gateway_kv_operations_total", op="GET") == 1
    assert value("aether_gateway_kv_operations_total", op="DELETE") == 0
    assert value("aether_gateway_sessions", principal_type="agent") == 3  # two SDK, one raw
    assert value("aether_gateway_sessions", principal_type="user") == 1
    assert value("aether_gateway_sessions", principal_type="orchestrator") == 0
    assert value("aether_gateway_commit_seconds_count") >= 1  # the durable queue committed
    assert value("aether_gateway_commit_seconds_sum") > 0

    assert await asyncio.to_thread(http_get, f"{ops_gateway.ops_url}/healthz") == (200, "ok\n")
    assert await asyncio.to_thread(http_get, f"{ops_gateway.ops_url}/readyz") == (200, "ready\n")
    status, _ = await asyncio.to_thread(http_get, f"{ops_gateway.ops_url}/nope")
    assert status == 404

    # --log-format json: every line on stderr is one JSON object, connects included.
    lines = [line for line in ops_gateway.stderr_path.read_text().splitlines() if line]
    records = [json.loads(line) for line in lines]
    assert records and all(set(r) >= {"ts", "level", "logger", "msg"} for r in records)
    connect = [r for r in records if r["msg"].startswith("connect ag::ws::ops::receiver ")]
    assert connect and connect[0]["level"] == "INFO" and connect[0]["logger"] == "aether_gateway"
    assert any(r["level"] == "WARNING" and "dev mode" in r["msg"] for r in records)


async def test_sessions_gauge_drops_when_a_client_leaves(ops_gateway: OpsGateway, opened) -> None:
    client = await opened(AsyncAgentClient("ws", "ops", "leaver"), ops_gateway.target)
    samples = await scrape(ops_gateway.ops_url)
    assert samples[("aether_gateway_sessions", (("principal_type", "agent"),))] == 1
    await client.close()
    deadline = time.monotonic() + 10
    while (await scrape(ops_gateway.ops_url))[
        ("aether_gateway_sessions", (("principal_type", "agent"),))
    ] != 0:
        assert time.monotonic() < deadline, "the session gauge never went back to 0"
        await asyncio.sleep(0.05)


async def test_readyz_is_503_while_the_database_does_not_answer() -> None:
    config = GatewayConfig(dev_mode=True, ops_port=0, credential_check_s=3600.0)
    async with EmbeddedGateway(config) as gw:
        assert gw.ops_url is not None and gw.db is not None
        assert await asyncio.to_thread(http_get, f"{gw.ops_url}/readyz") == (200, "ready\n")
        real, broken = gw.db.conn, sqlite3.connect(":memory:")
        broken.close()
        gw.db.conn = broken
        try:
            status, body = await asyncio.to_thread(http_get, f"{gw.ops_url}/readyz")
            live = await asyncio.to_thread(http_get, f"{gw.ops_url}/healthz")
        finally:
            gw.db.conn = real
        assert status == 503 and body.startswith("not ready: database"), body
        assert live == (200, "ok\n")  # liveness is not readiness: the process still serves
        assert await asyncio.to_thread(http_get, f"{gw.ops_url}/readyz") == (200, "ready\n")


async def test_ops_endpoint_is_off_unless_asked_for() -> None:
    async with EmbeddedGateway() as gw:
        assert gw.ops_url is None
