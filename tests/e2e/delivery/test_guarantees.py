"""Delivery guarantees under crashes, per mode (docs/sdk.md, "Delivery guarantees").

Each scenario runs twice: "acknowledged" (our SDK and our gateway with the delivery extension),
where nothing may be lost and, where stated, the application sees no duplicate; and "best-effort"
(the gateway started with --no-delivery-extension, as the Go gateway behaves), where the numbers
are reported but not asserted: they document the limit of a protocol without acknowledgements.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from gateway_process import GatewayProcess

from scitrera_aether_client import AsyncAgentClient
from scitrera_aether_client import NotImplementedError as AetherNotImplementedError

ACK, BEST = "acknowledged", "best-effort"
MODES = [ACK, BEST]
PEER = Path(__file__).with_name("_peer.py")
STALL_S = 10.0  # no new delivery for this long: whatever is missing is lost


def _gateway(tmp_path: Path, mode: str) -> GatewayProcess:
    extra = [] if mode == ACK else ["--no-delivery-extension"]
    return GatewayProcess(tmp_path / "data", extra=extra)


def _client(spec: str) -> AsyncAgentClient:
    return AsyncAgentClient(
        "dlv", "peer", spec, max_retries=0, initial_backoff=0.05, max_backoff=0.3
    )


async def _until(condition: Callable[[], bool], progress: Callable[[], int]) -> bool:
    """Wait for `condition` while deliveries keep coming: give up after STALL_S without any new
    one (a lost message never arrives; waiting longer only slows the failure down)."""
    last, changed = progress(), time.monotonic()
    while not condition():
        now = time.monotonic()
        if (current := progress()) != last:
            last, changed = current, now
        elif now - changed > STALL_S:
            return False
        await asyncio.sleep(0.02)
    return True


def _spawn(*args: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, str(PEER), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("READY"), f"peer did not start: {line!r}"
    return proc


def _kill(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(10)
    if proc.stdout is not None:
        proc.stdout.close()


def _records(path: Path) -> list[tuple[int, bool]]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 2:  # a line cut by the kill is not a record
            out.append((int(parts[0]), parts[1] == "1"))
    return out


def _report(name: str, mode: str, sent: int, received: list[str] | list[int]) -> tuple[int, int]:
    counts = Counter(received)
    lost = sent - len(counts)
    duplicated = sum(n - 1 for n in counts.values())
    print(f"\n{name} ({mode}): sent={sent} delivered={len(counts)} lost={lost} dup={duplicated}")
    return lost, duplicated


@pytest.mark.parametrize("mode", MODES)
async def test_gateway_kill_9_during_two_way_traffic(tmp_path: Path, mode: str) -> None:
    rounds, per_round = (10, 100) if mode == ACK else (3, 100)
    gateway = _gateway(tmp_path, mode).start()
    a, b = _client("a"), _client("b")
    got: dict[str, list[str]] = {"a": [], "b": []}
    a.on_message = lambda m: got["a"].append(m.payload.decode())
    b.on_message = lambda m: got["b"].append(m.payload.decode())
    expected = {"a": set[str](), "b": set[str]()}
    try:
        await a.connect(gateway.target)
        await b.connect(gateway.target)
        assert a.delivery_mode == b.delivery_mode == mode
        for r in range(rounds):
            for i in range(per_round):
                if i == per_round // 3:
                    gateway.kill9()
                if i == 2 * per_round // 3:
                    await asyncio.to_thread(gateway.start)
                await a.send_message_to_agent("dlv", "peer", "b", f"a{r}.{i}".encode())
                await b.send_message_to_agent("dlv", "peer", "a", f"b{r}.{i}".encode())
                expected["b"].add(f"a{r}.{i}")
                expected["a"].add(f"b{r}.{i}")
                await asyncio.sleep(0.001)
        await _until(
            lambda: all(expected[k] <= set(got[k]) for k in got),
            lambda: len(got["a"]) + len(got["b"]),
        )
        await asyncio.sleep(0.3)  # late duplicates would show up here
    finally:
        await a.close()
        await b.close()
        gateway.stop()
    sent = len(expected["a"]) + len(expected["b"])
    lost, duplicated = _report("two-way kill -9", mode, sent, got["a"] + got["b"])
    if mode == ACK:
        assert lost == 0, sorted((expected["a"] - set(got["a"])) | (expected["b"] - set(got["b"])))
        assert duplicated == 0


@pytest.mark.parametrize("mode", MODES)
async def test_receiver_frozen_then_killed_loses_nothing(tmp_path: Path, mode: str) -> None:
    total, freeze_at = 3000, 1000
    gateway = _gateway(tmp_path, mode).start()
    first, second = tmp_path / "rx1.txt", tmp_path / "rx2.txt"
    # A slow handler (5 ms a message): when the process freezes, messages it already received wait
    # behind the handler; they must come back, since the application never finished them.
    receiver = _spawn("receive", gateway.target, "rx", str(first), "5")
    sender = _client("tx")
    try:
        await sender.connect(gateway.target)
        for i in range(total):
            if i == freeze_at:
                os.kill(receiver.pid, signal.SIGSTOP)
            await sender.send_message_to_agent("dlv", "peer", "rx", str(i).encode())
            if i < freeze_at:
                await asyncio.sleep(0.0005)  # the receiver handles some before it freezes
        await asyncio.sleep(0.5)  # the gateway pushes what it can into the frozen receiver
        _kill(receiver)
        receiver = _spawn("receive", gateway.target, "rx", str(second))
        everything = set(range(total))
        await _until(
            lambda: everything <= {p for p, _ in _records(first) + _records(second)},
            lambda: len(_records(second)),
        )
    finally:
        _kill(receiver)
        await sender.close()
        gateway.stop()
    before, after = _records(first), _records(second)
    lost, _ = _report("receiver SIGSTOP+SIGKILL", mode, total, [p for p, _ in before + after])
    seen_before = {p for p, _ in before}
    unflagged = [p for p, flag in after if p in seen_before and not flag]
    print(f"  first process {len(before)}, second {len(after)}, unflagged repeats {len(unflagged)}")
    if mode == ACK:
        assert lost == 0
        assert not unflagged, f"repeats after the crash not flagged redelivered: {unflagged[:10]}"


@pytest.mark.parametrize("mode", MODES)
async def test_gateway_stalled_then_killed_while_sending(tmp_path: Path, mode: str) -> None:
    total, stall_at = 400, 100
    gateway = _gateway(tmp_path, mode).start()
    sender, receiver = _client("tx"), _client("rx")
    received: list[int] = []
    receiver.on_message = lambda m: received.append(int(m.payload))
    try:
        await sender.connect(gateway.target)
        await receiver.connect(gateway.target)
        stalled_at = 0.0
        killed = False
        for i in range(total):
            assert gateway.proc is not None
            if i == stall_at:
                os.kill(gateway.proc.pid, signal.SIGSTOP)
                stalled_at = time.monotonic()
            if stalled_at and not killed and time.monotonic() - stalled_at >= 1.0:
                gateway.kill9()
                killed = True
                await asyncio.to_thread(gateway.start)
            await sender.send_message_to_agent("dlv", "peer", "rx", str(i).encode())
            await asyncio.sleep(0.005)
        assert killed
        await _until(lambda: set(range(total)) <= set(received), lambda: len(received))
        await asyncio.sleep(0.3)
    finally:
        await sender.close()
        await receiver.close()
        gateway.stop()
    lost, duplicated = _report("gateway SIGSTOP 1 s + kill -9", mode, total, received)
    if mode == ACK:
        assert lost == 0, sorted(set(range(total)) - set(received))[:20]
        assert duplicated == 0


async def test_sender_killed_right_after_a_committed_send(tmp_path: Path) -> None:
    gateway = GatewayProcess(tmp_path / "data").start()
    sender = _spawn("send-committed", gateway.target, "tx", "rx", "1000")
    committed: list[int] = []
    try:
        assert sender.stdout is not None
        while len(committed) < 20:
            line = sender.stdout.readline()
            assert line.startswith("COMMITTED"), line
            committed.append(int(line.split()[1]))
        os.kill(sender.pid, signal.SIGKILL)  # right after the 20th wait_for_commit returned
        _kill(sender)
        receiver = _client("rx")  # offline until now: everything comes from the stored queue
        received: list[int] = []
        receiver.on_message = lambda m: received.append(int(m.payload))
        await receiver.connect(gateway.target)
        try:
            await _until(lambda: set(committed) <= set(received), lambda: len(received))
        finally:
            await receiver.close()
    finally:
        _kill(sender)
        gateway.stop()
    missing = sorted(set(committed) - set(received))
    print(f"\ncommitted then killed: committed={len(committed)} received={len(received)}")
    assert not missing, f"committed but never delivered: {missing}"


async def test_wait_for_commit_needs_the_extension(tmp_path: Path) -> None:
    gateway = _gateway(tmp_path, BEST).start()
    client = _client("tx")
    try:
        await client.connect(gateway.target)
        assert client.delivery_mode == BEST
        with pytest.raises(AetherNotImplementedError, match="delivery extension"):
            await client.send_message_to_agent("dlv", "peer", "rx", b"x", wait_for_commit=True)
    finally:
        await client.close()
        gateway.stop()
