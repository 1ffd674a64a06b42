"""Load generator of gateway_bench.py: raw grpc.aio agents, each on its own TCP connection.

python _load_worker.py pairs --target T --run-id R --pairs K --messages M [--window W]
    connects K sender/receiver pairs, prints "READY", waits for "GO" on stdin, then every
    sender sends M messages of --payload bytes to its receiver (at most W in flight per pair);
    prints "RESULT <json>" with what was received and the first-send / last-receipt times
    (time.monotonic(), comparable across processes on Linux).

python _load_worker.py idle --target T --run-id R --count C
    opens C agent sessions, prints "READY <opened> <seconds>", holds them until "STOP" on
    stdin, then prints "RESULT <json>" with how many were still alive.
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

from _client_worker import MEASURED, WARM, RawAgent, body


def process_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def read_command() -> str:
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    return line.strip()


class Pair:
    def __init__(self, run: str, index: int, messages: int, window: int, size: int) -> None:
        self.rx = RawAgent(f"{run}-p{index}-rx", own_connection=True)
        self.tx = RawAgent(f"{run}-p{index}-tx", own_connection=True)
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
        Pair(args.run_id, i, args.messages, args.window, args.payload) for i in range(args.pairs)
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
    await read_command()  # STOP (or EOF)
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
    parser.add_argument("mode", choices=["pairs", "idle"])
    parser.add_argument("--target", required=True)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--pairs", type=int, default=1)
    parser.add_argument("--messages", type=int, default=1000, help="per pair")
    parser.add_argument("--window", type=int, default=500, help="max in flight per pair")
    parser.add_argument("--payload", type=int, default=128)
    parser.add_argument("--count", type=int, default=100, help="idle sessions")
    args = parser.parse_args()
    result = asyncio.run(pairs(args) if args.mode == "pairs" else idle(args))
    print("RESULT " + json.dumps(result), flush=True)
    os._exit(0)  # skip interpreter teardown of grpc (everything is closed)


if __name__ == "__main__":
    main()
