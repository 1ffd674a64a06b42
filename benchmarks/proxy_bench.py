"""Proxy benchmark: HTTP over Aether (SDK + gateway) against a direct HTTP call to the same app.

    python benchmarks/proxy_bench.py [--quick] [--seconds S] [--rounds R] [--concurrency C]

In ONE run, the same small Starlette app (benchmarks/_proxy_app_server.py) is served twice, each
in its own process:

    proxy    by a ServiceClient (sv::bench::a) through the embedded gateway (its own process);
             the driver calls it with httpx over AetherHTTPXTransport / AetherAsyncHTTPXTransport
             on an AgentClient / AsyncAgentClient
    direct   by uvicorn on 127.0.0.1 (loopback TCP); the driver calls it with plain httpx.
             Without uvicorn installed the direct side is httpx.ASGITransport in the driver's
             process (no socket at all), and the table says so.

Scenarios: GET /ping with one request in flight; POST /echo of 64 KiB (inline) and of 1 MiB
(chunked over the stream both ways) with one in flight; GET /ping with --concurrency in flight.
For each: requests/s and p50 latency of both sides, and proxy/direct ratios, medians over
--rounds interleaved rounds. Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import platform
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx
from _harness import HERE, GatewayProcess, clean_env, log, median, percentile, ratio, table

KIB = 1024


@dataclass
class Sample:
    rps: float
    p50_ms: float
    p99_ms: float


@dataclass
class Scenario:
    name: str
    method: str
    path: str
    body: bytes = b""
    concurrency: int = 1
    proxy: list[Sample] = field(default_factory=list)
    direct: list[Sample] = field(default_factory=list)


class AppServer:
    """_proxy_app_server.py in a child process; `ready` is what it printed after READY."""

    def __init__(self, *args: str) -> None:
        self.args = args
        self.proc: subprocess.Popen[str] | None = None
        self.ready = ""

    def __enter__(self) -> AppServer:
        cmd = [sys.executable, str(HERE / "_proxy_app_server.py"), *self.args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=clean_env())
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("READY "):
            self.__exit__()
            raise RuntimeError(f"app server {self.args} did not start: {line!r}")
        self.ready = line.split()[1]
        return self

    def __exit__(self, *exc_info: object) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()


# ---------------------------------------------------------------------- measuring


def measure_sync(call: Callable[[], httpx.Response], seconds: float) -> Sample:
    for _ in range(20):  # warm up
        call().raise_for_status()
    latencies: list[float] = []
    started = time.perf_counter()
    deadline = started + seconds
    while True:
        t0 = time.perf_counter()
        call().raise_for_status()
        t1 = time.perf_counter()
        latencies.append(t1 - t0)
        if t1 >= deadline:
            break
    elapsed = time.perf_counter() - started
    latencies.sort()
    return Sample(
        len(latencies) / elapsed, percentile(latencies, 50) * 1e3, percentile(latencies, 99) * 1e3
    )


async def measure_async(
    call: Callable[[], Awaitable[httpx.Response]], seconds: float, concurrency: int
) -> Sample:
    for _ in range(20):
        (await call()).raise_for_status()
    latencies: list[float] = []
    started = time.perf_counter()
    deadline = started + seconds

    async def worker() -> None:
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            (await call()).raise_for_status()
            latencies.append(time.perf_counter() - t0)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return Sample(
        len(latencies) / elapsed, percentile(latencies, 50) * 1e3, percentile(latencies, 99) * 1e3
    )


def run_sync_scenario(scenario: Scenario, client: httpx.Client, seconds: float) -> Sample:
    def call() -> httpx.Response:
        return client.request(scenario.method, scenario.path, content=scenario.body or None)

    return measure_sync(call, seconds)


async def run_async_scenario(
    scenario: Scenario, client: httpx.AsyncClient, seconds: float
) -> Sample:
    async def call() -> httpx.Response:
        return await client.request(scenario.method, scenario.path, content=scenario.body or None)

    return await measure_async(call, seconds, scenario.concurrency)


# ---------------------------------------------------------------------- the two sides


def proxy_round(
    scenarios: list[Scenario], target: str, topic: str, seconds: float, tag: str
) -> None:
    from scitrera_aether_client import AgentClient, AsyncAgentClient
    from scitrera_aether_client.httpx_transport import (
        AetherAsyncHTTPXTransport,
        AetherHTTPXTransport,
    )

    with AgentClient("bench", "driver", f"sync-{tag}") as agent:
        agent.connect(target)
        transport = AetherHTTPXTransport(agent, topic)
        with httpx.Client(transport=transport, base_url="http://bench") as http:
            for scenario in scenarios:
                if scenario.concurrency == 1:
                    scenario.proxy.append(run_sync_scenario(scenario, http, seconds))

    async def concurrent() -> None:
        agent = AsyncAgentClient("bench", "driver", f"async-{tag}")
        await agent.connect(target)
        try:
            transport = AetherAsyncHTTPXTransport(agent, topic)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
                for scenario in scenarios:
                    if scenario.concurrency > 1:
                        scenario.proxy.append(await run_async_scenario(scenario, http, seconds))
        finally:
            await agent.close()

    asyncio.run(concurrent())


def direct_round(scenarios: list[Scenario], port: str | None, seconds: float) -> None:
    if port is not None:
        base = f"http://127.0.0.1:{port}"
        sync_client = httpx.Client(base_url=base)
        make_async: Callable[[], httpx.AsyncClient] = lambda: httpx.AsyncClient(  # noqa: E731
            base_url=base, limits=httpx.Limits(max_connections=256)
        )
    else:
        sys.path.insert(0, str(HERE))
        from _proxy_app_server import build_app

        app = build_app()
        sync_client = httpx.Client(base_url="http://bench", transport=_SyncASGI(app))
        make_async = lambda: httpx.AsyncClient(  # noqa: E731
            base_url="http://bench", transport=httpx.ASGITransport(app)
        )
    with sync_client:
        for scenario in scenarios:
            if scenario.concurrency == 1:
                scenario.direct.append(run_sync_scenario(scenario, sync_client, seconds))

    async def concurrent() -> None:
        async with make_async() as http:
            for scenario in scenarios:
                if scenario.concurrency > 1:
                    scenario.direct.append(await run_async_scenario(scenario, http, seconds))

    asyncio.run(concurrent())


class _SyncASGI(httpx.BaseTransport):
    """httpx.ASGITransport is async-only: run it on a private loop for the sync client."""

    def __init__(self, app: object) -> None:
        self.inner = httpx.ASGITransport(app)  # type: ignore[arg-type]
        self.loop = asyncio.new_event_loop()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def go() -> httpx.Response:
            response = await self.inner.handle_async_request(request)
            await response.aread()
            return response

        return self.loop.run_until_complete(go())

    def close(self) -> None:
        self.loop.close()


# ---------------------------------------------------------------------- driver


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one short round (smoke run)")
    parser.add_argument("--seconds", type=float, default=3.0, help="per scenario and side")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.rounds = 0.5, 1
    scenarios = [
        Scenario("GET /ping, 1 in flight", "GET", "/ping"),
        Scenario("POST /echo 64 KiB, 1 in flight", "POST", "/echo", b"x" * (64 * KIB)),
        Scenario("POST /echo 1 MiB (chunked), 1 in flight", "POST", "/echo", b"y" * (1024 * KIB)),
        Scenario(f"GET /ping, {args.concurrency} in flight", "GET", "/ping", b"", args.concurrency),
    ]
    uvicorn_here = importlib.util.find_spec("uvicorn") is not None
    direct_label = "uvicorn over loopback TCP" if uvicorn_here else "httpx.ASGITransport in-process"
    log(f"# python {platform.python_version()} on {platform.machine()}; {args.rounds} round(s)")
    log(f"# direct baseline: {direct_label}")
    with GatewayProcess(memory=True) as gw, AppServer("aether", "--target", gw.target) as svc:
        direct = AppServer("uvicorn") if uvicorn_here else None
        try:
            port = direct.__enter__().ready if direct is not None else None
            for i in range(args.rounds):
                log(f"# round {i + 1}/{args.rounds}")
                proxy_round(scenarios, gw.target, svc.ready, args.seconds, str(i))
                direct_round(scenarios, port, args.seconds)
        finally:
            if direct is not None:
                direct.__exit__()
    rows = []
    for s in scenarios:
        p_rps = median([x.rps for x in s.proxy])
        d_rps = median([x.rps for x in s.direct])
        p_p50 = median([x.p50_ms for x in s.proxy])
        d_p50 = median([x.p50_ms for x in s.direct])
        rows.append(
            [
                s.name,
                f"{p_rps:,.0f}",
                f"{d_rps:,.0f}",
                ratio(p_rps, d_rps),
                f"{p_p50:.2f}",
                f"{d_p50:.2f}",
                ratio(p_p50, d_p50),
                f"{median([x.p99_ms for x in s.proxy]):.2f}",
            ]
        )
    headers = [
        "scenario",
        "proxy req/s",
        "direct req/s",
        "proxy/direct",
        "proxy p50 ms",
        "direct p50 ms",
        "p50 proxy/direct",
        "proxy p99 ms",
    ]
    log("")
    log(table(headers, rows))
    log(f"\n(direct = {direct_label}; proxy = httpx -> SDK -> gateway -> ServiceClient -> app)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
