"""The published reference client (0.2.3, isolated venv) against our gateway and our SDK.

Each test starts our embedded gateway (dev mode) in this process, runs one scenario of
``reference_driver.py`` in the reference venv as a subprocess, and plays the other side with our
SDK. The driver checks what the reference client observed and reports it as JSON lines; these tests
check what our side observed. Every scenario adds lines to the interop summary printed at the end.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from aether_gateway.embedded import EmbeddedGateway
from scitrera_aether_client import CHAT, AsyncAgentClient, DuplicateIdentityError
from scitrera_aether_client.proto import aether_pb2

pytestmark = pytest.mark.timeout(900)  # the first test may build the reference venv

DRIVER = Path(__file__).with_name("reference_driver.py")
WORKSPACE = "interop"
EVENT_TIMEOUT = 30.0


class Driver:
    """One run of reference_driver.py: JSON events out, JSON commands in."""

    def __init__(self, proc: asyncio.subprocess.Process, scenario: str, stderr: Any) -> None:
        self.proc = proc
        self.scenario = scenario
        self.stderr = stderr
        self.events: list[dict[str, Any]] = []

    @classmethod
    async def start(cls, python: Path, target: str, scenario: str) -> Driver:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "AETHER_"))}
        env.pop("VIRTUAL_ENV", None)
        stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed in finish()
        proc = await asyncio.create_subprocess_exec(
            str(python),
            "-I",
            "-u",
            str(DRIVER),
            "--target",
            target,
            scenario,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
            env=env,
        )
        driver = cls(proc, scenario, stderr)
        hello = await driver.expect("hello")
        assert hello["version"] == hello["dist_version"] == "0.2.3", hello
        assert Path(hello["module"]).is_relative_to(python.parent.parent), hello
        return driver

    def _stderr_tail(self) -> str:
        self.stderr.seek(0)
        text = self.stderr.read().decode("utf-8", "replace")
        return "\n".join(text.splitlines()[-30:])

    def _failure(self, what: str) -> str:
        return (
            f"reference driver [{self.scenario}]: {what}\n"
            f"events so far: {json.dumps(self.events, indent=1)}\n"
            f"driver stderr (tail):\n{self._stderr_tail()}"
        )

    async def expect(self, name: str, timeout: float = EVENT_TIMEOUT) -> dict[str, Any]:
        assert self.proc.stdout is not None
        try:
            line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        except TimeoutError:
            pytest.fail(self._failure(f"no {name!r} event within {timeout}s"))
        if not line:
            await self.proc.wait()
            pytest.fail(self._failure(f"exited ({self.proc.returncode}) before {name!r}"))
        event: dict[str, Any] = json.loads(line)
        self.events.append(event)
        if event["event"] == "error":
            pytest.fail(
                self._failure(f"driver-side check failed: {event['type']}: {event['message']}")
                + "\n"
                + event.get("traceback", "")
            )
        if event["event"] != name:
            pytest.fail(self._failure(f"expected {name!r}, got {event['event']!r}"))
        return event

    async def command(self, cmd: str, **fields: Any) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps({"cmd": cmd, **fields}) + "\n").encode())
        await self.proc.stdin.drain()

    async def finish(self, timeout: float = EVENT_TIMEOUT) -> list[str]:
        """Wait for a clean exit; return the reference client's WARNING+ log lines."""
        try:
            done = await self.expect("done", timeout)
            code = await asyncio.wait_for(self.proc.wait(), timeout)
            assert code == 0, self._failure(f"exit status {code}")
        finally:
            await self.kill()
        logs: list[str] = done["logs"]
        return logs

    async def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.stderr.close()


async def _run(python: Path, gateway: EmbeddedGateway, scenario: str) -> Driver:
    return await Driver.start(python, gateway.target, scenario)


async def _connect_ours(identity: tuple[str, str, str], target: str) -> AsyncAgentClient:
    """Our agent on an identity the reference client just released (the lock frees on its EOF)."""
    for _ in range(50):
        client = AsyncAgentClient(*identity, max_retries=1)
        try:
            await client.connect(target)
            return client
        except DuplicateIdentityError:
            await client.close()
            await asyncio.sleep(0.1)
    pytest.fail(f"identity {'::'.join(identity)} was never released")


def _quiet(logs: list[str]) -> None:
    """The reference logged no warning or error (it logs frames it cannot handle)."""
    assert logs == [], f"the reference client logged problems: {logs}"


def _note(report: list[str], line: str) -> None:
    report.append(line)
    print(f"[interop] {line}", file=sys.stderr)


# --------------------------------------------------------------------------- scenarios


async def test_reference_agent_exchanges_chat_with_our_sdk(
    gateway: EmbeddedGateway, reference_python: Path, interop_report: list[str]
) -> None:
    ours = AsyncAgentClient(WORKSPACE, "ours", "b1")
    inbox: asyncio.Queue[aether_pb2.IncomingMessage] = asyncio.Queue()
    ours.on_message = inbox.put_nowait
    await ours.connect(gateway.target)
    driver = await _run(reference_python, gateway, "agent_chat")
    try:
        await driver.expect("connected")
        await ours.send_message_to_agent(
            WORKSPACE, "ref", "a1", b"ping-from-our-sdk", message_type=CHAT
        )
        received = await driver.expect("received")
        assert received["source_topic"] == "ag::interop::ours::b1"
        assert received["payload"] == "ping-from-our-sdk"
        assert received["message_type"] == CHAT and received["typed_chat_callback"]
        await driver.expect("replied")
        reply = await asyncio.wait_for(inbox.get(), EVENT_TIMEOUT)
        assert reply.source_topic == "ag::interop::ref::a1"
        assert reply.payload == b"pong:ping-from-our-sdk"
        assert reply.message_type == CHAT
        await driver.command("close")
        closed = await driver.expect("closed")
        assert closed["errors"] == []
        logs = await driver.finish()
        _quiet(logs)
    finally:
        await driver.kill()
        await ours.close()
    _note(
        interop_report,
        "agent chat: reference AgentClient (sync) ag::interop::ref::a1 got our CHAT via "
        "on_chat_message+on_message (source ag::interop::ours::b1) and replied with "
        "send_message_to_agent; our AsyncAgentClient got the reply from ag::interop::ref::a1 "
        f"(reference saw {closed['config_snapshots']} ConfigSnapshot)",
    )


async def test_reference_async_kv_and_checkpoint(
    gateway: EmbeddedGateway, reference_python: Path, interop_report: list[str]
) -> None:
    ours = AsyncAgentClient(WORKSPACE, "ours", "kv")
    await ours.connect(gateway.target)
    driver = await _run(reference_python, gateway, "kv_async")
    try:
        await driver.expect("connected")
        kv = await driver.expect("kv_roundtrip")
        assert kv == {
            "event": "kv_roundtrip",
            "put_success": True,
            "value": "value-from-reference",
        }
        theirs = await ours.kv_get("interop/written-by-reference", scope="global")
        assert theirs is not None and theirs.success
        assert theirs.value == b"value-from-reference"

        checkpoint = await driver.expect("checkpoint_roundtrip")
        assert checkpoint["data"] == "async-state-1" and checkpoint["saved_at"] > 0

        put = await ours.kv_put("interop/written-by-our-sdk", b"value-from-our-sdk")
        assert put is not None and put.success
        await driver.command("kv_get", key="interop/written-by-our-sdk", scope="global")
        read = await driver.expect("kv_get")
        assert read["success"] and read["value"] == "value-from-our-sdk"
        await driver.command("close")
        await driver.expect("closed")
        logs = await driver.finish()
        _quiet(logs)
    finally:
        await driver.kill()
        await ours.close()

    # The checkpoint lives in the identity's namespace: our SDK, as the same agent, loads it.
    same = await _connect_ours((WORKSPACE, "ref", "kv1"), gateway.target)
    try:
        loaded = await same.checkpoint_load("interop-async")
    finally:
        await same.close()
    assert loaded is not None and loaded.success and loaded.data == b"async-state-1"
    _note(
        interop_report,
        "KV: reference AsyncAgentClient kv_put/kv_get (KVResponse) on scope global; our SDK read "
        "its value and it read ours",
    )
    _note(
        interop_report,
        "checkpoint (async): reference checkpoint_save/checkpoint_load round trip; our SDK, "
        "reconnecting as ag::interop::ref::kv1, loaded the same checkpoint",
    )


async def test_reference_sync_checkpoint_and_fire_and_forget_kv(
    gateway: EmbeddedGateway, reference_python: Path, interop_report: list[str]
) -> None:
    driver = await _run(reference_python, gateway, "checkpoint_sync")
    try:
        await driver.expect("connected")
        checkpoint = await driver.expect("checkpoint_roundtrip")
        assert checkpoint["data"] == "sync-state-1" and checkpoint["saved_at"] > 0
        kv = await driver.expect("kv_fire_and_forget")
        assert kv["responses"] == 2 and kv["value"] == "sync-value"
        await driver.command("close")
        await driver.expect("closed")
        logs = await driver.finish()
        _quiet(logs)
    finally:
        await driver.kill()

    same = await _connect_ours((WORKSPACE, "ref", "ck1"), gateway.target)
    try:
        loaded = await same.checkpoint_load("interop-sync")
        value = await same.kv_get("interop/sync-written-by-reference")
    finally:
        await same.close()
    assert loaded is not None and loaded.success and loaded.data == b"sync-state-1"
    assert value is not None and value.value == b"sync-value"
    _note(
        interop_report,
        "checkpoint (sync): reference checkpoint_save_sync/checkpoint_load_sync round trip; our "
        "SDK as ag::interop::ref::ck1 loaded it; sync kv_put/kv_get answered via on_kv_response",
    )


async def test_reference_user_switches_workspace_and_receives(
    gateway: EmbeddedGateway, reference_python: Path, interop_report: list[str]
) -> None:
    ours = AsyncAgentClient(WORKSPACE, "ours", "u-agent")
    inbox: asyncio.Queue[aether_pb2.IncomingMessage] = asyncio.Queue()
    ours.on_message = inbox.put_nowait
    await ours.connect(gateway.target)
    driver = await _run(reference_python, gateway, "user_session")
    try:
        await driver.expect("connected")
        await driver.command(
            "switch",
            workspace=WORKSPACE,
            barrier_agent={
                "workspace": WORKSPACE,
                "implementation": "ours",
                "specifier": "u-agent",
            },
            expect=2,
        )
        await driver.expect("switched")
        barrier = await asyncio.wait_for(inbox.get(), EVENT_TIMEOUT)
        assert barrier.source_topic == "us::alice::w1" and barrier.payload == b"switched"
        await ours.send_message_to_user_session("alice", "w1", b"direct-to-w1", message_type=CHAT)
        await ours.send_broadcast_to_users(WORKSPACE, b"broadcast-to-interop-users")
        first = await driver.expect("received")
        second = await driver.expect("received")
        assert {(m["source_topic"], m["payload"]) for m in (first, second)} == {
            ("ag::interop::ours::u-agent", "direct-to-w1"),
            ("ag::interop::ours::u-agent", "broadcast-to-interop-users"),
        }
        await driver.command("close")
        closed = await driver.expect("closed")
        assert closed["errors"] == []
        logs = await driver.finish()
        _quiet(logs)
    finally:
        await driver.kill()
        await ours.close()
    _note(
        interop_report,
        "user: reference UserClient us::alice::w1 switch_workspace(interop), its message reached "
        "our agent (source us::alice::w1); it received our send_message_to_user_session and our "
        "gu::interop broadcast",
    )


async def test_reference_sees_duplicate_identity_refusal(
    gateway: EmbeddedGateway, reference_python: Path, interop_report: list[str]
) -> None:
    holder = AsyncAgentClient(WORKSPACE, "ref", "dup")
    await holder.connect(gateway.target)
    driver = await _run(reference_python, gateway, "duplicate")
    try:
        refused = await driver.expect("refused")
        logs = await driver.finish()
    finally:
        await driver.kill()
    try:
        assert holder.is_connected
        still = await holder.kv_get("interop/anything")
        assert still is not None  # the holder's stream kept being served
    finally:
        await holder.close()
    assert not refused["on_connect_fired"] and refused["messages"] == 0
    assert refused["connect_raised"] or (refused["on_disconnect"] and not refused["is_running"])
    how = (
        f"connect() raised {refused['connect_raised']}"
        if refused["connect_raised"]
        else f"on_disconnect({refused['on_disconnect']}), is_running={refused['is_running']}"
    )
    _note(
        interop_report,
        f"duplicate identity: our SDK held ag::interop::ref::dup; the reference AgentClient was "
        f"refused ({how}), never got on_connect; our holder stayed connected",
    )
    _quiet([line for line in logs if "ALREADY_EXISTS" not in line])
    for line in logs:
        _note(interop_report, f"  reference log: {line}")
