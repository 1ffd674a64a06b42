"""Client benchmark: throughput and round-trip latency of each client against one gateway.

    python benchmarks/client_bench.py [--quick] [--rounds R] [--messages N] [--pings N]

In ONE run, against the SAME embedded gateway (its own process, so clients and gateway never share
a GIL), for each client flavour:

    raw grpcio        a grpc.aio stream written directly with the same frames (the floor)
    ours async        scitrera_aether_client.AsyncAgentClient (this repo)
    ours sync         scitrera_aether_client.AgentClient (this repo)
    reference async   the published scitrera-aether-client 0.2.3, AsyncAgentClient
    reference sync    the published scitrera-aether-client 0.2.3, AgentClient

it measures (a) throughput: one sender agent -> one receiver agent, N messages of 128 B, at most
`--window` in flight; (b) latency: ping-pong with an echo agent, p50/p99 of the round trip.
Each flavour runs in a fresh worker process (_client_worker.py) holding both of its agents; the
reference client runs with the python of its own cached venv (same import name as our SDK).
Rounds interleave the flavours; the table shows the median over rounds, then the ratios.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from typing import Any

import grpc
from _harness import (
    HERE,
    QUIET_CORES,
    REFERENCE_VERSION,
    GatewayProcess,
    clean_env,
    log,
    median,
    quiet_count,
    quiet_only,
    ratio,
    reference_python,
    source_state,
    table,
    wait_quiet,
)

ACKED_RAW = "raw grpcio, acknowledged"
ACKED_ASYNC = "ours async, acknowledged"
ACKED_SYNC = "ours sync, acknowledged"


@dataclass
class Flavour:
    label: str
    python: str
    kind: str  # raw | async | sync (the worker's --flavour)
    ours: bool  # a failure of ours fails the run; the reference's is reported
    delivery: str = "default"  # the worker's --delivery
    results: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def sections(self, section: str) -> list[dict[str, Any]]:
        """This section of every round, or of the quiet rounds only when there are some."""
        return quiet_only([r[section] for r in self.results], "other_cpu_util")

    def metric(self, section: str, key: str) -> float:
        return median([s[key] for s in self.sections(section) if key in s])

    def rounds_used(self) -> str:
        return quiet_count([r["throughput"] for r in self.results], "other_cpu_util")


def run_worker(flavour: Flavour, gw: GatewayProcess, args: argparse.Namespace, tag: str) -> None:
    cmd = [
        flavour.python,
        str(HERE / "_client_worker.py"),
        "--flavour",
        flavour.kind,
        "--target",
        gw.target,
        "--run-id",
        f"{tag}-{uuid.uuid4().hex[:8]}",
        "--messages",
        str(args.messages),
        "--pings",
        str(args.pings),
        "--payload",
        str(args.payload),
        "--window",
        str(args.window),
        "--gateway-pid",
        str(gw.pid),
        "--delivery",
        flavour.delivery,
    ]
    budget = 90 + args.messages / 200 + args.pings / 50
    try:
        done = subprocess.run(
            cmd,
            check=False,
            capture_output=True,
            text=True,
            timeout=budget,
            env=clean_env(flavour.python),
            cwd=HERE,
        )
    except subprocess.TimeoutExpired:
        flavour.errors.append(f"worker timed out after {budget:.0f}s")
        return
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        tail = "\n    ".join(done.stderr.strip().splitlines()[-8:])
        flavour.errors.append(f"worker exited {done.returncode}:\n    {tail}")
        return
    result = json.loads(lines[-1][len("RESULT ") :])
    tput, lat = result["throughput"], result["latency"]
    if tput["received"] < tput["n"]:
        flavour.errors.append(f"throughput: received {tput['received']} of {tput['n']}")
    if lat.get("timeouts"):
        flavour.errors.append(f"latency: {lat['timeouts']} pings got no answer in time")
    flavour.results.append(result)


def fmt(value: float, digits: int = 0) -> str:
    return "n/a" if math.isnan(value) else f"{value:,.{digits}f}"


def report(flavours: list[Flavour]) -> None:
    rows = []
    for f in flavours:
        if not f.results:
            rows.append([f.label, *(["failed"] * 10)])
            continue
        rows.append(
            [
                f.label,
                fmt(f.metric("throughput", "msgs_per_s")),
                fmt(f.metric("throughput", "client_cpu_us"), 1),
                fmt(f.metric("throughput", "gateway_cpu_us"), 1),
                fmt(100 * f.metric("throughput", "gateway_cpu_util")) + "%",
                fmt(f.metric("latency", "p50_us")),
                fmt(f.metric("latency", "p99_us")),
                fmt(f.metric("latency", "mean_us")),
                fmt(f.metric("latency", "client_cpu_us"), 1),
                fmt(f.metric("throughput", "other_cpu_util"), 2),
                f.rounds_used(),
            ]
        )
    headers = [
        "client",
        "msgs/s",
        "cli CPU us/msg",
        "gw CPU us/msg",
        "gw busy",
        "rtt p50 us",
        "rtt p99 us",
        "rtt mean us",
        "cli CPU us/rtt",
        "other load",
        "rounds",
    ]
    log("")
    log(table(headers, rows))
    log(
        "(medians over the rounds in which unrelated processes used at most "
        f"{QUIET_CORES} cores, or over all rounds when none was that quiet; "
        "rounds: quiet/run, 'noisy' if none. "
        "cli CPU: the worker process holding both agents; gw CPU: the server process; gw busy: "
        "its share of one core during the throughput run; other load: cores used by unrelated "
        "processes meanwhile)"
    )
    by = {f.label: f for f in flavours}
    pairs = [
        ("ours async", "raw grpcio"),
        ("ours sync", "raw grpcio"),
        ("ours async", f"reference async {REFERENCE_VERSION}"),
        ("ours sync", f"reference sync {REFERENCE_VERSION}"),
        (ACKED_ASYNC, ACKED_RAW),
        (ACKED_SYNC, ACKED_RAW),
        (ACKED_ASYNC, "ours async"),
        (ACKED_SYNC, "ours sync"),
    ]
    rows = []
    for a, b in pairs:
        fa, fb = by.get(a), by.get(b)
        if fa is None or fb is None or not fa.results or not fb.results:
            continue
        rows.append(
            [
                f"{a} / {b}",
                ratio(fa.metric("throughput", "msgs_per_s"), fb.metric("throughput", "msgs_per_s")),
                ratio(
                    fa.metric("throughput", "client_cpu_us"),
                    fb.metric("throughput", "client_cpu_us"),
                ),
                ratio(fa.metric("latency", "p50_us"), fb.metric("latency", "p50_us")),
                ratio(fa.metric("latency", "p99_us"), fb.metric("latency", "p99_us")),
            ]
        )
    log("")
    log("ratios (msgs/s: higher is better; CPU and latency: lower is better)")
    log(table(["ours / baseline", "msgs/s", "cli CPU/msg", "rtt p50", "rtt p99"], rows))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="short smoke run (< 30 s)")
    parser.add_argument("--messages", type=int, help="throughput messages per run (20000)")
    parser.add_argument("--pings", type=int, help="measured round trips per run (2000)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds; medians reported (3)")
    parser.add_argument("--payload", type=int, default=128, help="payload bytes (128)")
    parser.add_argument("--window", type=int, default=1000, help="max messages in flight (1000)")
    parser.add_argument(
        "--server",
        choices=["gateway", "gateway-memory", "toy"],
        default="gateway",
        help="gateway (file SQLite, default), gateway-memory (in-memory SQLite), or toy: "
        "_toy_relay.py, which only routes, to see what the gateway adds to a round trip",
    )
    parser.add_argument("--no-reference", action="store_true", help="skip the reference client")
    parser.add_argument(
        "--no-acknowledged",
        action="store_true",
        help="skip the flavours with the delivery extension on (raw, ours async, ours sync)",
    )
    parser.add_argument(
        "--wait-quiet",
        type=float,
        help="wait up to this many seconds for the machine to be idle first (0; full: 60)",
    )
    parser.add_argument("--json", help="also write every raw result to this file")
    args = parser.parse_args(argv)
    quick = args.quick
    args.messages = args.messages or (2_000 if quick else 20_000)
    args.pings = args.pings or (200 if quick else 2_000)
    args.rounds = args.rounds or (1 if quick else 3)
    if args.wait_quiet is None:
        args.wait_quiet = 0.0 if quick else 60.0

    flavours = [
        Flavour("raw grpcio", sys.executable, "raw", ours=True),
        Flavour("ours async", sys.executable, "async", ours=True, delivery="best-effort"),
        Flavour("ours sync", sys.executable, "sync", ours=True, delivery="best-effort"),
    ]
    if args.server != "toy" and not args.no_acknowledged:  # the toy relay has no extension
        flavours += [
            Flavour(ACKED_RAW, sys.executable, "raw", ours=True, delivery="acknowledged"),
            Flavour(ACKED_ASYNC, sys.executable, "async", ours=True, delivery="acknowledged"),
            Flavour(ACKED_SYNC, sys.executable, "sync", ours=True, delivery="acknowledged"),
        ]
    if args.no_reference:
        log("# reference client skipped (--no-reference)")
    else:
        ref, why = reference_python()
        if ref is None:
            log(f"# reference client {REFERENCE_VERSION} skipped: {why}")
        else:
            flavours += [
                Flavour(f"reference async {REFERENCE_VERSION}", ref, "async", ours=False),
                Flavour(f"reference sync {REFERENCE_VERSION}", ref, "sync", ours=False),
            ]

    log(
        f"# client_bench: {args.messages} msgs x {args.payload} B (window {args.window}), "
        f"{args.pings} pings, {args.rounds} round(s); python {platform.python_version()}, "
        f"grpcio {grpc.__version__}, {os.cpu_count()} CPUs; {source_state()}"
    )
    log(f"# {wait_quiet(args.wait_quiet)}")
    server = {
        "gateway": "embedded gateway, file SQLite",
        "gateway-memory": "embedded gateway, in-memory SQLite",
        "toy": "TOY RELAY (_toy_relay.py), not the gateway",
    }[args.server]
    with GatewayProcess(
        toy_relay=args.server == "toy", memory=args.server == "gateway-memory"
    ) as gw:
        log(
            f"# server: {server}, own process pid {gw.pid} at {gw.target}; each client flavour "
            "runs in a fresh worker process holding both of its agents"
        )
        for r in range(args.rounds):
            order = flavours[r % len(flavours) :] + flavours[: r % len(flavours)]
            for flavour in order:
                run_worker(flavour, gw, args, f"r{r}-{flavour.kind}")
                last = flavour.results[-1] if flavour.results else None
                if last is not None:
                    log(
                        f"  round {r + 1} {flavour.label:<22} "
                        f"{last['throughput']['msgs_per_s']:>8,.0f} msg/s  "
                        f"p50 {last['latency'].get('p50_us', float('nan')):>7,.0f} us  "
                        f"p99 {last['latency'].get('p99_us', float('nan')):>7,.0f} us  "
                        "other load "
                        f"{last['throughput'].get('other_cpu_util', float('nan')):.2f} cores"
                    )
        gateway_rss = gw.rss_kib()
    log(f"# server VmRSS at the end: {gateway_rss / 1024:.1f} MiB")
    for f in flavours:
        if f.results:
            log(f"# {f.label}: {f.results[0]['client']}")
    report(flavours)

    failed = False
    for f in flavours:
        for error in f.errors:
            log(f"! {f.label}: {error}")
            failed = failed or f.ours
    if args.json:
        with open(args.json, "w") as out:
            json.dump({f.label: {"results": f.results, "errors": f.errors} for f in flavours}, out)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
