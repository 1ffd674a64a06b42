"""Load generator of gateway_bench.py: raw grpc.aio agents, each on its own TCP connection.

python _load_worker.py pairs --target T --run-id R --pairs K --messages M [--window W]
    connects K sender/receiver pairs, prints "READY", waits for "GO" on stdin, then every
    sender sends M messages of --payload bytes to its receiver (at most W in flight per pair);
    prints "RESULT <json>" with what was received and the first-send / last-receipt times
    (time.monotonic(), comparable across processes on Linux).

python _load_worker.py rtt --target T --run-id R --pings N [--ack]
    connects a pinger and an echo agent (each its own connection), prints "READY", waits for
    "GO", then measures N ping-pong round trips (after 50 warm-up pings); "RESULT <json>" has
    the p50/p99 in microseconds.

python _load_worker.py idle --target T --run-id R --count C
    opens C agent sessions, prints "READY <opened> <seconds>", holds them; on "ROUTE" its first
    session sends one message to its last one and it prints "ROUTED <ok> <microseconds>" (the
    sessions are still usable under that load); on "STOP" (or EOF) it prints "RESULT <json>"
    with how many were still alive.

--ack makes the agents negotiate the delivery extension (ids on sends, acknowledged deliveries).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import time
from typing import Any

from _client_worker import MEASURED, PING, WARM, RawAgent, body, percentile


def process_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def read_command() -> str:
    line: str = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    return line.strip()


class Pair:
    def __init__(
        self, run: str, index: int, messages: int, window: int, size: int, ack: bool = False
    ) -> None:
        self.rx = RawAgent(f"{run}-p{index}-rx", own_connection=True, ack=ack)
        self.tx = RawAgent(f"{run}-p{index}-tx", own_connection=True, ack=ack)
        self.ack = ack
        self.messages, self.window, self.size = messages, window, size
        self.sent = self.received = 0
        self.waiting = False
        self.seen, self.wake, self.done = asyncio.Event(), asyncio.Event(), asyncio.Event()
        self.t_last = 0.0
        self.rx.on_message = self.on_rx

    def on_rx(self, msg: Any) -> None:
        if msg.payload[:1] != MEASURED:
            self.seen.set()
            return
        self.received += 1
        if self.received >= self.messages:
            self.t_last = time.monotonic()
            self.done.set()
        elif self.waiting and self.sent - self.received <= self.window // 2:
            self.wake.set()

    async def connect(self, target: str) -> None:
        await self.rx.connect(target)
        await self.tx.connect(target)
        if self.ack and not (self.rx.negotiated and self.tx.negotiated):
            raise RuntimeError("the server did not accept the delivery extension")
        send = self.tx.sender(self.rx.spec)
        while not self.seen.is_set():  # both streams up and subscribed
            await send(body(WARM, self.size))
            try:
                async with asyncio.timeout(0.5):
                    await self.seen.wait()
            except TimeoutError:
                pass

    async def run(self, timeout: float) -> None:
        send = self.tx.sender(self.rx.spec)
        payload = body(MEASURED, self.size)
        for _ in range(self.messages):
            if self.sent - self.received >= self.window:
                self.waiting = True
                while self.sent - self.received >= self.window:
                    self.wake.clear()
                    try:
                        async with asyncio.timeout(0.05):
                            await self.wake.wait()
                    except TimeoutError:
                        pass
                self.waiting = False
            await send(payload)
            self.sent += 1
        try:
            async with asyncio.timeout(timeout):
                await self.done.wait()
        except TimeoutError:
            self.t_last = time.monotonic()

    async def close(self) -> None:
        await self.tx.close()
        await self.rx.close()


async def pairs(args: argparse.Namespace) -> dict[str, Any]:
    group = [
        Pair(args.run_id, i, args.messages, args.window, args.payload, args.ack)
        for i in range(args.pairs)
    ]
    await asyncio.gather(*(p.connect(args.target) for p in group))
    print("READY", flush=True)
    if await read_command() != "GO":
        return {"aborted": True}
    cpu0 = process_cpu()
    t_start = time.monotonic()
    await asyncio.gather(*(p.run(max(30.0, args.messages * args.pairs / 300)) for p in group))
    result = {
        "pairs": args.pairs,
        "sent": sum(p.sent for p in group),
        "received": sum(p.received for p in group),
        "expected": args.messages * args.pairs,
        "t_start": t_start,
        "t_end": max(p.t_last for p in group),
        "cpu_seconds": process_cpu() - cpu0,
    }
    await asyncio.gather(*(p.close() for p in group))
    return result


async def rtt(args: argparse.Namespace) -> dict[str, Any]:
    pinger = RawAgent(f"{args.run_id}-ping", own_connection=True, ack=args.ack)
    echo = RawAgent(f"{args.run_id}-echo", own_connection=True, ack=args.ack)
    pong = asyncio.Event()
    echo_send: Any = None

    async def on_echo(msg: Any) -> None:
        await echo_send(msg.payload)

    echo.on_message = on_echo
    pinger.on_message = lambda _msg: pong.set()
    await echo.connect(args.target)
    await pinger.connect(args.target)
    if args.ack and not (echo.negotiated and pinger.negotiated):
        raise RuntimeError("the server did not accept the delivery extension")
    echo_send = echo.sender(pinger.spec)
    ping = pinger.sender(echo.spec)
    print("READY", flush=True)
    if await read_command() != "GO":
        return {"aborted": True}
    payload = body(PING, args.payload)
    samples: list[float] = []
    timeouts = 0
    cpu0 = process_cpu()
    for i in range(50 + args.pings):
        pong.clear()
        started = time.perf_counter()
        await ping(payload)
        try:
            async with asyncio.timeout(30.0 if i == 0 else 5.0):
                await pong.wait()
        except TimeoutError:
            timeouts += 1
            if timeouts > 3:
                break
            continue
        if i >= 50:
            samples.append((time.perf_counter() - started) * 1e6)
    samples.sort()
    result = {
        "n": len(samples),
        "expected": args.pings,
        "timeouts": timeouts,
        "p50_us": percentile(samples, 50) if samples else float("nan"),
        "p99_us": percentile(samples, 99) if samples else float("nan"),
        "cpu_seconds": process_cpu() - cpu0,
    }
    await pinger.close()
    await echo.close()
    return result


async def route_once(first: RawAgent, last: RawAgent, size: int) -> tuple[bool, float]:
    """One message between two held sessions: does the server still route under this load?"""
    arrived = asyncio.Event()
    last.on_message = lambda _msg: arrived.set()
    started = time.perf_counter()
    await first.sender(last.spec)(body(MEASURED, size))
    try:
        async with asyncio.timeout(10.0):
            await arrived.wait()
    except TimeoutError:
        return False, time.perf_counter() - started
    return True, time.perf_counter() - started


async def idle(args: argparse.Namespace) -> dict[str, Any]:
    agents = [RawAgent(f"{args.run_id}-idle{i}", own_connection=True) for i in range(args.count)]
    gate = asyncio.Semaphore(50)  # do not stampede the gateway's accept queue
    failures: list[str] = []

    async def open_one(agent: RawAgent) -> None:
        async with gate:
            try:
                await agent.connect(args.target)
            except Exception as error:  # counted and reported
                failures.append(repr(error)[:200])

    t0 = time.monotonic()
    await asyncio.gather(*(open_one(a) for a in agents))
    seconds = time.monotonic() - t0
    print(f"READY {sum(a.alive for a in agents)} {seconds:.3f}", flush=True)
    while await read_command() == "ROUTE":
        ok, took = (False, 0.0)
        if len(agents) >= 2 and agents[0].alive and agents[-1].alive:
            ok, took = await route_once(agents[0], agents[-1], args.payload)
        print(f"ROUTED {int(ok)} {took * 1e6:.0f}", flush=True)
    result = {
        "requested": args.count,
        "alive": sum(a.alive for a in agents),
        "open_seconds": seconds,
        "failures": failures[:3],
        "failed": len(failures),
    }
    await asyncio.gather(*(a.close() for a in agents), return_exceptions=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=["pairs", "rtt", "idle"])
    parser.add_argument("--target", required=True)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--pairs", type=int, default=1)
    parser.add_argument("--messages", type=int, default=1000, help="per pair")
    parser.add_argument("--window", type=int, default=500, help="max in flight per pair")
    parser.add_argument("--payload", type=int, default=128)
    parser.add_argument("--count", type=int, default=100, help="idle sessions")
    parser.add_argument("--pings", type=int, default=1000, help="measured round trips (rtt)")
    parser.add_argument("--ack", action="store_true", help="negotiate the delivery extension")
    args = parser.parse_args()
    modes = {"pairs": pairs, "rtt": rtt, "idle": idle}
    result = asyncio.run(modes[args.mode](args))
    print("RESULT " + json.dumps(result), flush=True)
    os._exit(0)  # skip interpreter teardown of grpc (everything is closed)


if __name__ == "__main__":
    main()
