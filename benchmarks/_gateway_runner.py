"""Run the embedded gateway in this process until SIGTERM/SIGINT (the benchmarks' gateway).

    python benchmarks/_gateway_runner.py [--port 0] [--data FILE] [--profile OUT.pstats]

Prints "READY <port>" on stdout once it serves. Dev mode (anonymous principals admitted), default
limits otherwise. `--data` uses a SQLite file (WAL) as `aether-gateway serve` would; without it the
database is in memory. `--profile` records a cProfile of the event-loop thread, written at exit.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging
import signal
import sys

from aether_gateway.config import GatewayConfig
from aether_gateway.embedded import EmbeddedGateway


async def serve(port: int, data: str | None) -> None:
    config = GatewayConfig(dev_mode=True, data_path=data or ":memory:")
    gateway = EmbeddedGateway(config, port=port)
    await gateway.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"READY {gateway.port}", flush=True)
    await stop.wait()
    await gateway.stop(grace=0.5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--data", default=None, help="SQLite file (default: in memory)")
    parser.add_argument("--profile", default=None, help="write a cProfile .pstats here at exit")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    if not args.profile:
        asyncio.run(serve(args.port, args.data))
        return 0
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        asyncio.run(serve(args.port, args.data))
    finally:
        profiler.disable()
        profiler.dump_stats(args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
