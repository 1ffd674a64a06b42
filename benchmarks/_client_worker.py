"""One client flavour measured in this process: throughput, then ping-pong latency.

Run by client_bench.py, never imported by it. It imports only the stdlib, grpcio and whatever
`scitrera_aether_client` the running interpreter has, so the same file drives our SDK (dev venv)
and the published reference client (its own venv): both expose AgentClient / AsyncAgentClient
(workspace, implementation, specifier), connect(target), send_message_to_agent(...), on_message.

    python _client_worker.py --flavour {raw,async,sync} --target HOST:PORT --run-id ID
        [--messages N] [--pings N] [--payload 128] [--window 1000]

The last stdout line is "RESULT <json>".

Both agents of a measurement (sender and receiver, or pinger and echo responder) live in this
process, each with its own client object and gRPC channel; the gateway is another process.
Throughput: the sender keeps at most `window` messages in flight (sent - received), the same rule
for every flavour, so what is measured is sustained routing, not how much a client can buffer.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import importlib.metadata
import json
import os
import resource
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import grpc

import scitrera_aether_client as sdk
from scitrera_aether_client.proto import aether_pb2, aether_pb2_grpc

WS = "bench"
IMPL = "bench"
MEASURED, WARM, PING = b"M", b"W", b"P"
WARMUP_PINGS = 50
PONG_TIMEOUT_S = 5.0

Callback = Callable[[Any], Any]
AsyncSend = Callable[[bytes], Awaitable[None]]


def body(tag: bytes, size: int) -> bytes:
    return tag + b"x" * (size - 1)


def percentile(ordered: list[float], q: float) -> float:
    rank = max(1, round(q / 100.0 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def latency_summary(
    samples: list[float], timeouts: int, cpu0: tuple[float, float, float], t0: float
) -> dict[str, Any]:
    ordered = sorted(samples)
    if not ordered:
        return {"n": 0, "timeouts": timeouts}
    return {
        "n": len(ordered),
        "timeouts": timeouts,
        "p50_us": percentile(ordered, 50) * 1e6,
        "p99_us": percentile(ordered, 99) * 1e6,
        "mean_us": sum(ordered) / len(ordered) * 1e6,
        "max_us": ordered[-1] * 1e6,
        **cpu_summary(cpu0, len(ordered), time.perf_counter() - t0),
    }


GATEWAY_PID = 0  # set from --gateway-pid: its CPU time is read from /proc around each phase


def machine_cpu_seconds() -> float:
    """CPU time used by every process on the machine (from /proc/stat), 0 where unavailable."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(v) for v in stat.readline().split()[1:9]]
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def cpu_now() -> tuple[float, float, float]:
    """CPU seconds of (this process, all threads; the gateway process or 0; the whole machine)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    gateway = 0.0
    if GATEWAY_PID:
        with open(f"/proc/{GATEWAY_PID}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        gateway = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return usage.ru_utime + usage.ru_stime, gateway, machine_cpu_seconds()


def cpu_summary(before: tuple[float, float, float], count: int, seconds: float) -> dict[str, float]:
    """CPU per message (or per round trip) of the client process and of the gateway, and the
    CPU that other processes on the machine used meanwhile (cores; noise to judge a result by)."""
    after = cpu_now()
    client, gateway, machine = (a - b for a, b in zip(after, before, strict=True))
    out = {"client_cpu_us": client / max(count, 1) * 1e6, "client_cpu_util": client / seconds}
    if GATEWAY_PID:
        out["gateway_cpu_us"] = gateway / max(count, 1) * 1e6
        out["gateway_cpu_util"] = gateway / seconds
        if machine:
            out["other_cpu_util"] = max(0.0, machine - client - gateway) / seconds
    return out


class Counters:
    """Shared by the sender and the receiving callback (the callback is the only writer of
    `received`; the sender the only writer of `sent`)."""

    def __init__(self, n: int, window: int) -> None:
        self.n = n
        self.window = window
        self.sent = 0
        self.received = 0
        self.waiting = False
        self.t_last = 0.0


# ---------------------------------------------------------------------------- raw grpcio


#: The delivery extension as the SDK declares it (a raw agent with ack=True speaks it).
DELIVERY_URI = "urn:scitrera-aether-sdk:delivery"
DELIVERY_VERSION = "1"
ACK_DELAY_S = 0.005  # delivery tags wait this long to share one DeliveryAck, as in the SDK
ACK_BATCH = 1024


class RawAgent:
    """An agent written directly on a grpc.aio stream: init, wait for the ack, then frames.

    With ack=True it negotiates the delivery extension: every send carries a message_id (the
    gateway confirms it after its group commit) and every delivery tag is acknowledged, batched
    like the SDK does (ACK_DELAY_S or ACK_BATCH tags per DeliveryAck)."""

    def __init__(self, spec: str, *, own_connection: bool = False, ack: bool = False) -> None:
        self.spec = spec
        self.ack = ack
        self.negotiated = False
        self.on_message: Callback | None = None
        self._tags: list[int] = []
        self._ack_timer: asyncio.TimerHandle | None = None
        self._next_id = 0
        # grpc core allows one pending write per call: acks and sends of one agent take turns.
        self._write_lock = asyncio.Lock()
        # gRPC shares one TCP connection between channels of a process with the same target and
        # options; a local subchannel pool gives this agent its own, like a separate process.
        self._options = [("grpc.use_local_subchannel_pool", 1)] if own_connection else []
        self._channel: grpc.aio.Channel | None = None
        self._call: Any = None
        self._reader: asyncio.Task[None] | None = None

    async def connect(self, target: str) -> None:
        self._channel = grpc.aio.insecure_channel(target, options=self._options)
        self._call = aether_pb2_grpc.AetherGatewayStub(self._channel).Connect()
        identity = aether_pb2.AgentIdentity(workspace=WS, implementation=IMPL, specifier=self.spec)
        init = aether_pb2.InitConnection(agent=identity)
        if self.ack:
            init.extensions.add(uri=DELIVERY_URI, version=DELIVERY_VERSION, required=True)
        await self._call.write(aether_pb2.UpstreamMessage(init=init))
        while True:
            frame = await self._call.read()
            if frame is grpc.aio.EOF:
                raise RuntimeError("stream ended before ConnectionAck")
            if frame.WhichOneof("payload") == "connection_ack":
                negotiated = frame.connection_ack.negotiated_extensions if self.ack else ()
                self.negotiated = any(n.uri == DELIVERY_URI and n.supported for n in negotiated)
                break
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        call = self._call
        while True:
            frame = await call.read()
            if frame is grpc.aio.EOF:
                return
            if frame.WhichOneof("payload") != "msg":
                continue  # SendConfirm, errors: not counted
            msg = frame.msg
            if self.negotiated and msg.delivery_tag:
                self._tags.append(msg.delivery_tag)
                if len(self._tags) >= ACK_BATCH:
                    await self._flush_acks()
                elif self._ack_timer is None:
                    loop = asyncio.get_running_loop()
                    self._ack_timer = loop.call_later(ACK_DELAY_S, self._ack_soon)
            if self.on_message is not None:
                result = self.on_message(msg)
                if result is not None:
                    await result

    def _ack_soon(self) -> None:
        self._ack_timer = None
        asyncio.get_running_loop().create_task(self._flush_acks())

    async def _flush_acks(self) -> None:
        tags, self._tags = self._tags, []
        if tags:
            ack = aether_pb2.DeliveryAck(delivery_tags=tags)
            with contextlib.suppress(Exception):  # the stream may be closing
                async with self._write_lock:
                    await self._call.write(aether_pb2.UpstreamMessage(delivery_ack=ack))

    def sender(self, spec: str) -> AsyncSend:
        call = self._call
        topic = f"ag::{WS}::{IMPL}::{spec}"
        send_message = aether_pb2.SendMessage
        upstream = aether_pb2.UpstreamMessage
        opaque = aether_pb2.OPAQUE

        if self.negotiated:
            prefix = f"{self.spec}-"

            async def send_acked(payload: bytes) -> None:  # with the id the extension needs
                self._next_id += 1
                msg = send_message(
                    target_topic=topic,
                    payload=payload,
                    message_type=opaque,
                    message_id=f"{prefix}{self._next_id}",
                )
                async with self._write_lock:
                    await call.write(upstream(send=msg))

            return send_acked

        async def send(payload: bytes) -> None:  # the same frame our SDK builds per send
            msg = send_message(target_topic=topic, payload=payload, message_type=opaque)
            await call.write(upstream(send=msg))

        return send

    @property
    def alive(self) -> bool:
        return self._call is not None and not self._call.done()

    async def close(self) -> None:
        if self._call is not None:
            with contextlib.suppress(Exception):  # the stream may already be gone
                await self._call.done_writing()
        if self._reader is not None:
            self._reader.cancel()
        if self._channel is not None:
            await self._channel.close(grace=None)


# ---------------------------------------------------------------------------- the SDK, async

#: --delivery: "default" (the client's own default), "best-effort" or "acknowledged".
DELIVERY = "default"


def delivery_mode(client: Any) -> Any:
    """Our SDK's delivery switch set as --delivery asks (the reference client has none)."""
    if DELIVERY != "default":
        client.acknowledged_delivery = DELIVERY == "acknowledged"
    return client


class SdkAsyncAgent:
    """AsyncAgentClient of whichever scitrera_aether_client this interpreter has."""

    def __init__(self, spec: str) -> None:
        self.spec = spec
        self.client = delivery_mode(sdk.AsyncAgentClient(WS, IMPL, spec))

    @property
    def on_message(self) -> Callback | None:
        return self.client.on_message  # type: ignore[no-any-return]

    @on_message.setter
    def on_message(self, callback: Callback) -> None:
        self.client.on_message = callback

    async def connect(self, target: str) -> None:
        await self.client.connect(target)

    def sender(self, spec: str) -> AsyncSend:
        return functools.partial(self.client.send_message_to_agent, WS, IMPL, spec)

    async def close(self) -> None:
        await self.client.close()


async def warm_up_async(send: AsyncSend, seen: asyncio.Event, size: int) -> None:
    """Send probes until one arrives: both streams are up and subscribed (the reference client's
    connect() returns before the handshake completes)."""
    deadline = time.monotonic() + 30
    while not seen.is_set():
        if time.monotonic() > deadline:
            raise RuntimeError("warm-up message never arrived")
        await send(body(WARM, size))
        try:
            async with asyncio.timeout(0.2):
                await seen.wait()
        except TimeoutError:
            pass


async def throughput_async(
    make: Callable[[str], Any], target: str, run: str, n: int, size: int, window: int
) -> dict[str, Any]:
    rx, tx = make(f"{run}-tput-rx"), make(f"{run}-tput-tx")
    c = Counters(n, window)
    seen, wake, done = asyncio.Event(), asyncio.Event(), asyncio.Event()
    low = window // 2

    def on_rx(msg: Any) -> None:
        if msg.payload[:1] != MEASURED:
            seen.set()
            return
        c.received += 1
        if c.received >= n:
            c.t_last = time.perf_counter()
            done.set()
        elif c.waiting and c.sent - c.received <= low:
            wake.set()

    rx.on_message = on_rx
    await rx.connect(target)
    await tx.connect(target)
    send = tx.sender(rx.spec)
    await warm_up_async(send, seen, size)
    payload = body(MEASURED, size)
    cpu0 = cpu_now()
    t0 = time.perf_counter()
    for _ in range(n):
        if c.sent - c.received >= window:
            c.waiting = True
            while c.sent - c.received >= window:
                wake.clear()
                try:
                    async with asyncio.timeout(0.05):  # guards a lost wake-up
                        await wake.wait()
                except TimeoutError:
                    pass
            c.waiting = False
        await send(payload)
        c.sent += 1
    try:
        async with asyncio.timeout(max(30.0, n / 500)):
            await done.wait()
    except TimeoutError:
        c.t_last = time.perf_counter()
    summary = throughput_summary(c, t0, cpu0)
    await tx.close()
    await rx.close()
    return summary


async def latency_async(
    make: Callable[[str], Any], target: str, run: str, pings: int, size: int
) -> dict[str, Any]:
    pinger, echo = make(f"{run}-lat-ping"), make(f"{run}-lat-echo")
    echo_send = None
    pong = asyncio.Event()

    async def on_echo(msg: Any) -> None:
        assert echo_send is not None
        await echo_send(msg.payload)

    def on_pong(msg: Any) -> None:
        pong.set()

    echo.on_message = on_echo
    pinger.on_message = on_pong
    await echo.connect(target)
    await pinger.connect(target)
    echo_send = echo.sender(pinger.spec)
    ping = pinger.sender(echo.spec)
    payload = body(PING, size)
    samples: list[float] = []
    timeouts = 0
    cpu0, t0 = cpu_now(), 0.0
    for i in range(WARMUP_PINGS + pings):
        if i == WARMUP_PINGS:
            cpu0, t0 = cpu_now(), time.perf_counter()
        pong.clear()
        t = time.perf_counter()
        await ping(payload)
        try:
            async with asyncio.timeout(30.0 if i == 0 else PONG_TIMEOUT_S):
                await pong.wait()
        except TimeoutError:
            timeouts += 1
            if timeouts > 3:
                break
            continue
        if i >= WARMUP_PINGS:
            samples.append(time.perf_counter() - t)
    summary = latency_summary(samples, timeouts, cpu0, t0)
    await pinger.close()
    await echo.close()
    return summary


# ---------------------------------------------------------------------------- the SDK, sync


def throughput_sync(target: str, run: str, n: int, size: int, window: int) -> dict[str, Any]:
    c = Counters(n, window)
    seen, wake, done = threading.Event(), threading.Event(), threading.Event()
    low = window // 2

    def on_rx(msg: Any) -> None:
        if msg.payload[:1] != MEASURED:
            seen.set()
            return
        c.received += 1
        if c.received >= n:
            c.t_last = time.perf_counter()
            done.set()
        elif c.waiting and c.sent - c.received <= low:
            wake.set()

    rx_spec = f"{run}-tput-rx"
    rx = delivery_mode(sdk.AgentClient(WS, IMPL, rx_spec))
    tx = delivery_mode(sdk.AgentClient(WS, IMPL, f"{run}-tput-tx"))
    rx.on_message = on_rx
    rx.connect(target)
    tx.connect(target)
    send = functools.partial(tx.send_message_to_agent, WS, IMPL, rx_spec)
    deadline = time.monotonic() + 30
    while not seen.is_set():
        if time.monotonic() > deadline:
            raise RuntimeError("warm-up message never arrived")
        send(body(WARM, size))
        seen.wait(0.2)
    payload = body(MEASURED, size)
    cpu0 = cpu_now()
    t0 = time.perf_counter()
    for _ in range(n):
        if c.sent - c.received >= window:
            c.waiting = True
            while c.sent - c.received >= window:
                wake.clear()
                if c.sent - c.received >= window:
                    wake.wait(0.05)  # the timeout guards a lost wake-up
            c.waiting = False
        send(payload)
        c.sent += 1
    if not done.wait(max(30.0, n / 500)):
        c.t_last = time.perf_counter()
    summary = throughput_summary(c, t0, cpu0)
    tx.close()
    rx.close()
    return summary


def latency_sync(target: str, run: str, pings: int, size: int) -> dict[str, Any]:
    ping_spec, echo_spec = f"{run}-lat-ping", f"{run}-lat-echo"
    pinger = delivery_mode(sdk.AgentClient(WS, IMPL, ping_spec))
    echo = delivery_mode(sdk.AgentClient(WS, IMPL, echo_spec))
    pong = threading.Event()
    echo_send = functools.partial(echo.send_message_to_agent, WS, IMPL, ping_spec)

    def on_echo(msg: Any) -> None:
        echo_send(msg.payload)

    def on_pong(msg: Any) -> None:
        pong.set()

    echo.on_message = on_echo
    pinger.on_message = on_pong
    echo.connect(target)
    pinger.connect(target)
    ping = functools.partial(pinger.send_message_to_agent, WS, IMPL, echo_spec)
    payload = body(PING, size)
    samples: list[float] = []
    timeouts = 0
    cpu0, t0 = cpu_now(), 0.0
    for i in range(WARMUP_PINGS + pings):
        if i == WARMUP_PINGS:
            cpu0, t0 = cpu_now(), time.perf_counter()
        pong.clear()
        t = time.perf_counter()
        ping(payload)
        if not pong.wait(30.0 if i == 0 else PONG_TIMEOUT_S):
            timeouts += 1
            if timeouts > 3:
                break
            continue
        if i >= WARMUP_PINGS:
            samples.append(time.perf_counter() - t)
    summary = latency_summary(samples, timeouts, cpu0, t0)
    pinger.close()
    echo.close()
    return summary


def throughput_summary(c: Counters, t0: float, cpu0: tuple[float, float, float]) -> dict[str, Any]:
    seconds = max(c.t_last - t0, 1e-9)
    return {
        "n": c.n,
        "sent": c.sent,
        "received": c.received,
        "seconds": seconds,
        "msgs_per_s": c.received / seconds,
        **cpu_summary(cpu0, c.received, seconds),
    }


# ---------------------------------------------------------------------------- main


def client_version() -> str:
    try:
        version = importlib.metadata.version("scitrera-aether-client")
    except importlib.metadata.PackageNotFoundError:
        version = getattr(sdk, "__version__", "?")
    return f"scitrera-aether-client {version} ({os.path.dirname(sdk.__file__ or '')})"


def run(args: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {"flavour": args.flavour, "client": client_version()}
    if args.flavour == "raw":
        result["client"] = f"grpcio {grpc.__version__} (grpc.aio stream written directly)"
    if args.flavour == "sync":
        result["throughput"] = throughput_sync(
            args.target, args.run_id, args.messages, args.payload, args.window
        )
        result["latency"] = latency_sync(args.target, args.run_id, args.pings, args.payload)
        return result
    make: Callable[[str], Any] = SdkAsyncAgent
    if args.flavour == "raw":
        make = functools.partial(RawAgent, ack=DELIVERY == "acknowledged")

    async def both() -> None:
        result["throughput"] = await throughput_async(
            make, args.target, args.run_id, args.messages, args.payload, args.window
        )
        result["latency"] = await latency_async(
            make, args.target, args.run_id, args.pings, args.payload
        )

    asyncio.run(both())
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--flavour", choices=["raw", "async", "sync"], required=True)
    parser.add_argument("--target", required=True)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--pings", type=int, default=2_000)
    parser.add_argument("--payload", type=int, default=128)
    parser.add_argument("--window", type=int, default=1_000)
    parser.add_argument("--gateway-pid", type=int, default=0, help="read its CPU time from /proc")
    parser.add_argument(
        "--delivery",
        choices=["default", "best-effort", "acknowledged"],
        default="default",
        help="the delivery extension: the client's default (raw: best effort), or forced",
    )
    args = parser.parse_args()
    global GATEWAY_PID, DELIVERY
    GATEWAY_PID = args.gateway_pid
    DELIVERY = args.delivery
    result = run(args)
    print("RESULT " + json.dumps(result), flush=True)
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter teardown: a client library's leftover daemon threads must not hang the
    # driver (everything was closed above and the result is printed).
    os._exit(0)


if __name__ == "__main__":
    main()
