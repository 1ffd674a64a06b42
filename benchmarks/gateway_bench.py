"""Gateway benchmark: messages routed per second between N client pairs, and idle sessions held.

    python benchmarks/gateway_bench.py [--quick] [--pairs 1,4,16] [--messages M] [--idle C]

The gateway runs in its own process (_gateway_runner.py, dev mode, file SQLite unless --memory).
The load comes from raw grpc.aio agents (_load_worker.py) in separate processes, each agent on
its own TCP connection, so the clients never share the gateway's GIL.

1. Routing: for each N, N sender->receiver pairs spread over --procs load processes; every
   sender sends M/N messages of 128 B to its receiver (at most --window in flight per pair).
   Reported: messages received per second over all pairs (first send to last receipt), and the
   gateway's CPU time per routed message and busy share of one core (from /proc/<pid>/stat).
2. Idle sessions: C agent sessions opened (each its own TCP connection, handshake completed)
   and held; the gateway's VmRSS (/proc/<pid>/status) before and while holding them gives the
   memory per session; after the clients leave, VmRSS again (what is given back).

Each is also run against _toy_relay.py, a grpc.aio server that only routes (no validation,
persistence or limits): "gateway / toy" is what the gateway's own work costs on the same frames.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import uuid
from typing import Any

import grpc
from _harness import (
    HERE,
    QUIET_CORES,
    GatewayProcess,
    clean_env,
    log,
    machine_cpu_seconds,
    median,
    quiet_count,
    quiet_only,
    ratio,
    source_state,
    table,
    wait_quiet,
)


def spawn(args: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(HERE / "_load_worker.py"), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
        cwd=HERE,
    )


def ready_line(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("READY"):
        _, err = proc.communicate(timeout=30)
        raise RuntimeError(f"load worker failed: {line!r}\n{err.strip()[-1500:]}")
    return line.strip()


def finish(proc: subprocess.Popen[str], command: str, timeout: float) -> dict[str, Any]:
    out, err = proc.communicate(command + "\n", timeout=timeout)
    lines = [ln for ln in out.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"load worker exited {proc.returncode}: {err.strip()[-1500:]}")
    result: dict[str, Any] = json.loads(lines[-1][len("RESULT ") :])
    return result


def split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


# ---------------------------------------------------------------------------- routing


def routing(server: GatewayProcess, n_pairs: int, args: argparse.Namespace) -> dict[str, Any]:
    per_pair = max(1, args.messages // n_pairs)
    run = uuid.uuid4().hex[:8]
    procs = []
    for i, count in enumerate(split(n_pairs, min(n_pairs, args.procs))):
        procs.append(
            spawn(
                [
                    "pairs",
                    "--target",
                    server.target,
                    "--run-id",
                    f"{run}-w{i}",
                    "--pairs",
                    str(count),
                    "--messages",
                    str(per_pair),
                    "--window",
                    str(args.window),
                ]
            )
        )
    try:
        for proc in procs:
            ready_line(proc)
        cpu0, machine0, wall0 = server.cpu_seconds(), machine_cpu_seconds(), time.perf_counter()
        for proc in procs:  # the barrier: every session is up before any message is sent
            assert proc.stdin is not None
            proc.stdin.write("GO\n")
            proc.stdin.flush()
        budget = 60 + args.messages / 200
        results = [finish(proc, "", budget) for proc in procs]
        cpu1, machine1, wall1 = server.cpu_seconds(), machine_cpu_seconds(), time.perf_counter()
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    received = sum(r["received"] for r in results)
    span = max(r["t_end"] for r in results) - min(r["t_start"] for r in results)
    return {
        "pairs": n_pairs,
        "expected": sum(r["expected"] for r in results),
        "received": received,
        "msgs_per_s": received / span,
        "cpu_us": (cpu1 - cpu0) / max(received, 1) * 1e6,
        "busy": (cpu1 - cpu0) / (wall1 - wall0),
        "load_cpu": sum(r["cpu_seconds"] for r in results) / (wall1 - wall0),
        "other_cpu": max(
            0.0, machine1 - machine0 - (cpu1 - cpu0) - sum(r["cpu_seconds"] for r in results)
        )
        / (wall1 - wall0),
    }


# ---------------------------------------------------------------------------- idle sessions


def idle(server: GatewayProcess, count: int, args: argparse.Namespace) -> dict[str, Any]:
    run = uuid.uuid4().hex[:8]
    warm = spawn(["idle", "--target", server.target, "--run-id", f"{run}-warm", "--count", "10"])
    ready_line(warm)  # first sessions load code paths and caches; not counted
    finish(warm, "STOP", 60)
    time.sleep(0.5)
    rss_before = server.rss_kib()
    procs = [
        spawn(["idle", "--target", server.target, "--run-id", f"{run}-i{i}", "--count", str(n)])
        for i, n in enumerate(split(count, args.idle_procs))
        if n
    ]
    try:
        opened, slowest = 0, 0.0
        for proc in procs:
            _, n, seconds = ready_line(proc).split()
            opened += int(n)
            slowest = max(slowest, float(seconds))
        time.sleep(1.0)
        rss_held = server.rss_kib()
        results = [finish(proc, "STOP", 120) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    time.sleep(1.0)
    rss_after = server.rss_kib()
    return {
        "requested": count,
        "opened": opened,
        "alive_at_stop": sum(r["alive"] for r in results),
        "failed": sum(r["failed"] for r in results),
        "failures": [f for r in results for f in r["failures"]][:3],
        "open_seconds": slowest,
        "rss_before_kib": rss_before,
        "rss_held_kib": rss_held,
        "rss_after_kib": rss_after,
        "kib_per_session": (rss_held - rss_before) / max(opened, 1),
        "hwm_kib": server.hwm_kib(),
    }


# ---------------------------------------------------------------------------- main


def measure(server: GatewayProcess, args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {"routing": {}, "idle": None}
    for r in range(args.rounds):
        for n in args.pairs:
            level = routing(server, n, args)
            out["routing"].setdefault(n, []).append(level)
            log(
                f"  round {r + 1} {n:>3} pair(s): {level['msgs_per_s']:>8,.0f} msg/s  "
                f"{level['cpu_us']:>6.1f} us CPU/msg  busy {100 * level['busy']:.0f}%  "
                f"({level['received']}/{level['expected']} received; load procs "
                f"{level['load_cpu']:.2f} cores, other {level['other_cpu']:.2f} cores)"
            )
    out["idle"] = idle(server, args.idle, args)
    i = out["idle"]
    log(
        f"  idle: {i['opened']}/{i['requested']} sessions open in {i['open_seconds']:.1f}s, "
        f"{i['kib_per_session']:.1f} KiB each, {i['alive_at_stop']} alive at the end"
    )
    return out


#: --servers name -> (label, toy relay style or "" for the gateway, in-memory database)
SERVERS = {
    "gateway": ("gateway (file DB)", "", False),
    "gateway-memory": ("gateway (memory DB)", "", True),
    "toy": ("toy relay", "rw", False),
    "toy-iter": ("toy relay (iterator style)", "iter", False),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="short smoke run")
    parser.add_argument("--pairs", default="1,4,16", help="comma-separated pair counts (1,4,16)")
    parser.add_argument("--messages", type=int, help="messages per level, all pairs (40000)")
    parser.add_argument("--window", type=int, default=500, help="max in flight per pair (500)")
    parser.add_argument("--procs", type=int, default=2, help="load processes (2)")
    parser.add_argument("--rounds", type=int, help="rounds of the routing levels (2)")
    parser.add_argument("--idle", type=int, help="idle sessions to hold (1000)")
    parser.add_argument("--idle-procs", type=int, default=4, help="processes holding them (4)")
    parser.add_argument(
        "--servers",
        help="comma-separated, of: gateway (file SQLite), gateway-memory (in-memory SQLite), "
        "toy (the toy relay), toy-iter (the toy relay written with the request iterator and "
        "`yield`, as the gateway is). Default gateway,gateway-memory,toy (--quick: gateway,toy)",
    )
    parser.add_argument(
        "--wait-quiet",
        type=float,
        help="wait up to this many seconds for the machine to be idle first (0; full: 60)",
    )
    parser.add_argument("--json", help="also write every raw result to this file")
    args = parser.parse_args(argv)
    if args.wait_quiet is None:
        args.wait_quiet = 0.0 if args.quick else 60.0
    args.pairs = [int(p) for p in str(args.pairs).split(",") if p.strip()]
    args.messages = args.messages or (3_000 if args.quick else 40_000)
    args.rounds = args.rounds or (1 if args.quick else 2)
    args.idle = args.idle if args.idle is not None else (200 if args.quick else 1000)
    names = (args.servers or ("gateway,toy" if args.quick else "gateway,gateway-memory,toy")).split(
        ","
    )
    unknown = [n for n in names if n not in SERVERS]
    if unknown:
        parser.error(f"unknown server(s) {unknown}; choose from {sorted(SERVERS)}")

    log(
        f"# gateway_bench: pairs {args.pairs}, {args.messages} msgs x 128 B per level over "
        f"{args.procs} load process(es), window {args.window}/pair, {args.rounds} round(s); "
        f"{args.idle} idle sessions over {args.idle_procs} processes; python "
        f"{platform.python_version()}, grpcio {grpc.__version__}, {os.cpu_count()} CPUs; "
        f"{source_state()}"
    )
    log(f"# {wait_quiet(args.wait_quiet)}")
    measured: dict[str, dict[str, Any]] = {}
    for name in names:
        label, style, memory = SERVERS[name]
        with GatewayProcess(
            toy_relay=bool(style), toy_style=style or "rw", memory=memory
        ) as server:
            log(f"# {label}: own process pid {server.pid} at {server.target}")
            measured[label] = measure(server, args)

    failed = report(measured, args)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(measured, out, default=str)
    return 1 if failed else 0


def report(measured: dict[str, dict[str, Any]], args: argparse.Namespace) -> bool:
    toy = measured.get("toy relay")

    def med(result: dict[str, Any], n: int, key: str) -> float:
        return median([lv[key] for lv in quiet_only(result["routing"][n], "other_cpu")])

    def used(result: dict[str, Any], n: int) -> str:
        return quiet_count(result["routing"][n], "other_cpu")

    rows = []
    for n in args.pairs:
        for label, result in measured.items():
            row = [
                str(n),
                label,
                f"{med(result, n, 'msgs_per_s'):,.0f}",
                f"{med(result, n, 'cpu_us'):.1f}",
                f"{100 * med(result, n, 'busy'):.0f}%",
                f"{med(result, n, 'other_cpu'):.2f}",
                used(result, n),
            ]
            if toy is not None:
                row += [
                    ratio(med(result, n, "msgs_per_s"), med(toy, n, "msgs_per_s")),
                    ratio(med(result, n, "cpu_us"), med(toy, n, "cpu_us")),
                ]
            rows.append(row)
    headers = ["pairs", "server", "msgs/s", "CPU us/msg", "busy", "other load", "rounds"]
    if toy is not None:
        headers += ["msgs/s vs toy", "CPU vs toy"]
    log("")
    log(
        f"routing (median over the rounds in which unrelated processes used at most {QUIET_CORES} "
        "cores, or over all when none was; rounds = quiet/run; CPU = the server process, all "
        "threads; busy = its share of one core; other load = cores used by unrelated processes)"
    )
    log(table(headers, rows))

    rows = []
    for label, result in measured.items():
        i = result["idle"]
        row = [
            label,
            f"{i['opened']}/{i['requested']}",
            f"{i['alive_at_stop']}",
            f"{i['open_seconds']:.1f}",
            f"{i['rss_before_kib'] / 1024:.1f}",
            f"{i['rss_held_kib'] / 1024:.1f}",
            f"{i['kib_per_session']:.1f}",
            f"{i['rss_after_kib'] / 1024:.1f}",
        ]
        if toy is not None:
            row.append(ratio(i["kib_per_session"], toy["idle"]["kib_per_session"]))
        rows.append(row)
    headers = [
        "server",
        "opened",
        "alive at end",
        "open s",
        "RSS before MiB",
        "RSS held MiB",
        "KiB/session",
        "RSS after close MiB",
    ]
    if toy is not None:
        headers.append("KiB vs toy")
    log("")
    log("idle sessions (VmRSS of the server process)")
    log(table(headers, rows))

    failed = False
    for label, result in measured.items():
        ours = label.startswith("gateway")
        for n, levels in result["routing"].items():
            for lv in levels:
                if lv["received"] < lv["expected"]:
                    log(f"! {label}, {n} pairs: received {lv['received']} of {lv['expected']}")
                    failed = failed or ours
        i = result["idle"]
        if i["opened"] < i["requested"] or i["alive_at_stop"] < i["opened"]:
            log(
                f"! {label}: {i['opened']} of {i['requested']} idle sessions opened, "
                f"{i['alive_at_stop']} alive at the end; {i['failures']}"
            )
            failed = failed or ours
    return failed


if __name__ == "__main__":
    sys.exit(main())
