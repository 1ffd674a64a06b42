"""Throughput and round trip with the delivery extension on and off, same gateway, same run.

    python benchmarks/delivery_bench.py [--quick] [--messages N] [--rounds R]

One gateway process (file database, durability on). Per round and per mode, two async clients in
this process: a one-way burst of N messages (throughput = N / time from the first send to the last
delivery) and ping-pong round trips (p50). "acknowledged" sets each client's delivery mode by its
`acknowledged_delivery` switch; the gateway offers the extension to both. Modes alternate within a
round so drift on a shared machine hits both alike. Prints medians and the ratio acknowledged /
best-effort. Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import GatewayProcess, percentile, ratio, table

from scitrera_aether_client import AsyncAgentClient

MODES = ("acknowledged", "best-effort")


def _client(spec: str, mode: str) -> AsyncAgentClient:
    client = AsyncAgentClient("bench", "dlv", spec, max_retries=0)
    client.acknowledged_delivery = mode == "acknowledged"
    return client


async def _burst(target: str, mode: str, count: int, tag: str) -> float:
    sender, receiver = _client(f"tx{tag}", mode), _client(f"rx{tag}", mode)
    done = asyncio.Event()
    received = 0

    def on_message(_msg: object) -> None:
        nonlocal received
        received += 1
        if received == count:
            done.set()

    receiver.on_message = on_message
    await sender.connect(target)
    await receiver.connect(target)
    assert sender.delivery_mode == mode, sender.delivery_mode
    payload = b"x" * 128
    started = time.perf_counter()
    for _ in range(count):
        await sender.send_message_to_agent("bench", "dlv", f"rx{tag}", payload)
    await asyncio.wait_for(done.wait(), 120)
    elapsed = time.perf_counter() - started
    await sender.close()
    await receiver.close()
    return count / elapsed


async def _round_trips(target: str, mode: str, count: int, tag: str) -> float:
    a, b = _client(f"pa{tag}", mode), _client(f"pb{tag}", mode)
    pong: asyncio.Queue[None] = asyncio.Queue()

    async def echo(msg: object) -> None:
        await b.send_message_to_agent("bench", "dlv", f"pa{tag}", b"pong")

    b.on_message = echo
    a.on_message = lambda _m: pong.put_nowait(None)
    await a.connect(target)
    await b.connect(target)
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        await a.send_message_to_agent("bench", "dlv", f"pb{tag}", b"ping")
        await asyncio.wait_for(pong.get(), 30)
        samples.append((time.perf_counter() - started) * 1e6)
    await a.close()
    await b.close()
    samples.sort()
    return percentile(samples, 50)


async def main(args: argparse.Namespace) -> None:
    with GatewayProcess() as gateway:
        results: dict[str, dict[str, list[float]]] = {m: {"rate": [], "p50": []} for m in MODES}
        for r in range(args.rounds):
            order = MODES if r % 2 == 0 else tuple(reversed(MODES))
            for mode in order:
                tag = f"{r}{mode[0]}"
                results[mode]["rate"].append(await _burst(gateway.target, mode, args.messages, tag))
                results[mode]["p50"].append(
                    await _round_trips(gateway.target, mode, args.pings, tag)
                )
                print(
                    f"round {r + 1} {mode:<12} {results[mode]['rate'][-1]:8.0f} msgs/s  "
                    f"p50 {results[mode]['p50'][-1]:7.0f} us",
                    flush=True,
                )
    med = {m: {k: statistics.median(v) for k, v in results[m].items()} for m in MODES}
    rows = [[m, f"{med[m]['rate']:.0f}", f"{med[m]['p50']:.0f}"] for m in MODES]
    print()
    print(table(["mode", "msgs/s (median)", "rtt p50 us (median)"], rows))
    ack, best = med["acknowledged"], med["best-effort"]
    print(
        f"\nacknowledged / best-effort: throughput {ratio(ack['rate'], best['rate'])} "
        f"(goal >= 0.85x), rtt p50 {ratio(ack['p50'], best['p50'])}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--pings", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parsed = parser.parse_args()
    if parsed.quick:
        parsed.messages, parsed.pings, parsed.rounds = 2_000, 100, 1
    asyncio.run(main(parsed))
