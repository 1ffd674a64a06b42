"""Drive the *published* reference client against a gateway, for tests/interop.

Run only with the Python of the isolated reference venv (``python -I -u reference_driver.py``):
``scitrera_aether_client`` must resolve to the published 0.2.3 wheel there, never to our SDK.
This file imports nothing else from this repository.

Usage: ``reference_driver.py --target HOST:PORT SCENARIO``

Protocol with the test process:
- stdout: one JSON object per line, ``{"event": NAME, ...}``; the first is ``hello``, the last is
  ``done`` (success) or ``error`` (a failed check or an exception; the exit status is then 1).
- stdin: one JSON object per line, ``{"cmd": NAME, ...}``, read when the scenario waits for the
  test (e.g. ``close`` after the test has seen what it needed).
The driver checks its own side of each scenario and reports what it observed; the test checks ours.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import inspect
import json
import logging
import queue
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

import scitrera_aether_client as ref

WORKSPACE = "interop"
WAIT = 10.0


class LogCapture(logging.Handler):
    """Keeps the reference client's log lines (they still go to stderr too)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname} {record.name}: {record.getMessage()}")


LOGS = LogCapture()


class CheckFailed(Exception):
    """A driver-side expectation did not hold."""


def emit(event: str, **fields: Any) -> None:
    sys.stdout.write(json.dumps({"event": event, **fields}) + "\n")
    sys.stdout.flush()


def check(condition: object, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def read_command(expected: str) -> dict[str, Any]:
    line = sys.stdin.readline()
    check(line, f"stdin closed while waiting for command {expected!r}")
    command: dict[str, Any] = json.loads(line)
    check(command.get("cmd") == expected, f"expected command {expected!r}, got {command!r}")
    return command


def wait_for(predicate: Callable[[], bool], timeout: float = WAIT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def describe(msg: Any) -> dict[str, Any]:
    return {
        "source_topic": msg.source_topic,
        "payload": msg.payload.decode("utf-8", "replace"),
        "message_type": int(msg.message_type),
        "workspace": msg.workspace,
    }


class Recorder:
    """Callbacks for a reference client; they run on its listen thread (sync) or loop (async)."""

    def __init__(self) -> None:
        self.connected = threading.Event()
        self.messages: queue.Queue[Any] = queue.Queue()
        self.chats: list[str] = []
        self.configs = 0
        self.disconnects: list[str] = []
        self.errors: list[str] = []
        self.kv: queue.Queue[Any] = queue.Queue()

    def attach(self, client: Any) -> None:
        client.on_connect = self.connected.set
        client.on_message = self.messages.put
        client.on_chat_message = lambda msg: self.chats.append(msg.source_topic)
        client.on_config = self._config
        client.on_disconnect = self.disconnects.append
        client.on_error = lambda err: self.errors.append(f"{err.code}: {err.message}")
        client.on_kv_response = self.kv.put

    def _config(self, _snapshot: Any) -> None:
        self.configs += 1

    def next_message(self, timeout: float = WAIT) -> Any:
        try:
            return self.messages.get(timeout=timeout)
        except queue.Empty:
            raise CheckFailed(f"no message within {timeout}s") from None


# --------------------------------------------------------------------------- scenarios


def agent_chat(target: str) -> None:
    """Sync AgentClient: receive a CHAT from our SDK, reply to its sender."""
    rec = Recorder()
    client = ref.AgentClient(WORKSPACE, "ref", "a1")
    rec.attach(client)
    client.connect(target)
    check(rec.connected.wait(WAIT), "on_connect did not fire")
    emit("connected", identity="ag::interop::ref::a1")
    msg = rec.next_message()
    emit("received", **describe(msg), typed_chat_callback=msg.source_topic in rec.chats)
    check(msg.message_type == ref.CHAT, f"expected CHAT, got {msg.message_type}")
    check(msg.source_topic in rec.chats, "on_chat_message did not fire for the CHAT message")
    parts = msg.source_topic.split("::")
    check(len(parts) == 4 and parts[0] == "ag", f"sender is not an agent: {msg.source_topic}")
    reply = b"pong:" + msg.payload
    client.send_message_to_agent(parts[1], parts[2], parts[3], reply, message_type=ref.CHAT)
    emit("replied", target_topic=msg.source_topic, payload=reply.decode())
    read_command("close")
    client.close()
    emit("closed", config_snapshots=rec.configs, errors=rec.errors)


async def kv_async(target: str) -> None:
    """AsyncAgentClient: KV put/get on scope global, checkpoint round trip, read our SDK's key."""
    rec = Recorder()
    client = ref.AsyncAgentClient(WORKSPACE, "ref", "kv1", tls_enabled=False)
    rec.attach(client)
    await client.connect(target)
    deadline = time.monotonic() + WAIT
    while not client.is_connected and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    check(client.is_connected, "is_connected never became True")
    emit("connected", identity="ag::interop::ref::kv1")

    put = await client.kv_put("interop/written-by-reference", b"value-from-reference")
    check(put is not None and put.success, f"kv_put failed: {put}")
    got = await client.kv_get("interop/written-by-reference")
    check(got is not None and got.success, f"kv_get failed: {got}")
    check(got.value == b"value-from-reference", f"kv_get read back {got.value!r}")
    emit("kv_roundtrip", put_success=put.success, value=got.value.decode())

    saved = await client.checkpoint_save(b"async-state-1", key="interop-async")
    check(saved is not None and saved.success, f"checkpoint_save failed: {saved}")
    loaded = await client.checkpoint_load("interop-async")
    check(loaded is not None and loaded.success, f"checkpoint_load failed: {loaded}")
    check(loaded.data == b"async-state-1", f"checkpoint_load read back {loaded.data!r}")
    emit("checkpoint_roundtrip", saved_at=saved.saved_at, data=loaded.data.decode())

    command = await asyncio.to_thread(read_command, "kv_get")
    theirs = await client.kv_get(command["key"], scope=command.get("scope", "global"))
    check(theirs is not None, "kv_get of our SDK's key timed out")
    emit("kv_get", key=command["key"], success=theirs.success, value=theirs.value.decode())

    await asyncio.to_thread(read_command, "close")
    await client.close()
    emit("closed", config_snapshots=rec.configs, errors=rec.errors)


def checkpoint_sync(target: str) -> None:
    """Sync AgentClient: checkpoint_save_sync/load_sync; fire-and-forget KV via on_kv_response."""
    rec = Recorder()
    client = ref.AgentClient(WORKSPACE, "ref", "ck1")
    rec.attach(client)
    client.connect(target)
    check(rec.connected.wait(WAIT), "on_connect did not fire")
    emit("connected", identity="ag::interop::ref::ck1")

    saved = client.checkpoint_save_sync(b"sync-state-1", key="interop-sync")
    check(saved is not None and saved.success, f"checkpoint_save_sync failed: {saved}")
    loaded = client.checkpoint_load_sync("interop-sync")
    check(loaded is not None and loaded.success, f"checkpoint_load_sync failed: {loaded}")
    check(loaded.data == b"sync-state-1", f"checkpoint_load_sync read back {loaded.data!r}")
    emit("checkpoint_roundtrip", saved_at=saved.saved_at, data=loaded.data.decode())

    # The sync KV methods only enqueue; their answers come back through on_kv_response.
    client.kv_put("interop/sync-written-by-reference", b"sync-value", scope="global")
    client.kv_get("interop/sync-written-by-reference", scope="global")
    responses = []
    for _ in range(2):
        try:
            responses.append(rec.kv.get(timeout=WAIT))
        except queue.Empty:
            raise CheckFailed("on_kv_response did not deliver both KV answers") from None
    check(all(r.success for r in responses), f"a sync KV operation failed: {responses}")
    check(responses[1].value == b"sync-value", f"sync kv_get read {responses[1].value!r}")
    emit("kv_fire_and_forget", responses=len(responses), value=responses[1].value.decode())

    read_command("close")
    client.close()
    emit("closed", config_snapshots=rec.configs, errors=rec.errors)


def user_session(target: str) -> None:
    """Sync UserClient us::alice::w1: switch_workspace, then a direct message and a broadcast."""
    rec = Recorder()
    client = ref.UserClient("alice", "w1")
    rec.attach(client)
    client.connect(target)
    check(rec.connected.wait(WAIT), "on_connect did not fire")
    emit("connected", identity="us::alice::w1")
    command = read_command("switch")
    client.switch_workspace(command["workspace"])
    # Frames of one stream are handled in order, so once our agent sees this, the switch is done.
    agent = command["barrier_agent"]
    client.send_message_to_agent(
        agent["workspace"], agent["implementation"], agent["specifier"], b"switched"
    )
    emit("switched", workspace=command["workspace"])
    seen = [describe(rec.next_message()) for _ in range(command["expect"])]
    for item in seen:
        emit("received", **item)
    read_command("close")
    client.close()
    emit("closed", errors=rec.errors)


def duplicate(target: str) -> None:
    """Sync AgentClient on an identity our SDK already holds: observe the refusal."""
    rec = Recorder()
    client = ref.AgentClient(WORKSPACE, "ref", "dup")  # default retry policy
    rec.attach(client)
    raised = ""
    try:
        client.connect(target)
    except Exception as exc:  # the refusal may surface here or (lazily) in the listen loop
        raised = f"{type(exc).__name__}: {exc}"
    stopped = wait_for(lambda: bool(raised) or (bool(rec.disconnects) and not client.is_running))
    time.sleep(0.3)  # would any retry or late frame show up?
    emit(
        "refused",
        connect_raised=raised,
        on_connect_fired=rec.connected.is_set(),
        on_disconnect=list(rec.disconnects),
        is_running=client.is_running,
        messages=rec.messages.qsize(),
    )
    check(stopped, "the reference client neither raised nor stopped after the refusal")
    check(not rec.connected.is_set(), "on_connect fired although the identity was refused")
    client.close()


SCENARIOS: dict[str, Callable[[str], Any]] = {
    "agent_chat": agent_chat,
    "kv_async": kv_async,
    "checkpoint_sync": checkpoint_sync,
    "user_session": user_session,
    "duplicate": duplicate,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True)
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    logging.getLogger().addHandler(LOGS)
    emit(
        "hello",
        version=ref.__version__,
        dist_version=importlib.metadata.version("scitrera-aether-client"),
        module=ref.__file__,
        python=sys.executable,
        scenario=args.scenario,
    )
    try:
        run = SCENARIOS[args.scenario]
        if inspect.iscoroutinefunction(run):
            asyncio.run(run(args.target))
        else:
            run(args.target)
    except Exception as exc:
        emit(
            "error",
            type=type(exc).__name__,
            message=str(exc),
            traceback=traceback.format_exc(),
        )
        return 1
    emit("done", logs=LOGS.lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
