"""Gateway benchmark: routing capacity, round trip and idle sessions, against a toy relay.

    python benchmarks/gateway_bench.py [--quick] [--pairs 1,4,16] [--messages M] [--idle C]
        [--servers gateway,toy] [--delivery best-effort,acknowledged]

Every server runs in its own process (_gateway_runner.py: dev mode, file SQLite with durability
on; _toy_relay.py: the relay). They are all started first and the rounds interleave them, so
drift on a shared machine hits each alike. The load comes from raw grpc.aio agents
(_load_worker.py) in separate processes, each agent on its own TCP connection, so the clients
never share a server's GIL. Against the gateway the agents run twice, without and with the
delivery extension (--delivery): "acknowledged" agents put a message_id on each send and
acknowledge every delivery tag, as the SDK does.

1. Routing: for each N, N sender->receiver pairs spread over --procs load processes; every
   sender sends M/N messages of 128 B to its receiver (at most --window in flight per pair).
   Reported: messages received per second over all pairs (first send to last receipt), and the
   server's CPU time per routed message and busy share of one core (from /proc/<pid>/stat).
2. Round trip: one pinger and one echo agent (each its own connection), --pings ping-pongs; p50.
3. Idle sessions: C agent sessions opened (each its own TCP connection, handshake completed),
   spread over --idle-procs processes and held; the server's VmRSS (/proc/<pid>/status) before
   and while holding them gives the memory per session. While they are held, one message is
   routed between two of them (it must arrive); after the clients leave, VmRSS again.

"gateway / toy" is what the gateway's own work costs on the same frames.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
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


def routing(
    server: GatewayProcess, n_pairs: int, args: argparse.Namespace, ack: bool = False
) -> dict[str, Any]:
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
                    *(["--ack"] if ack else []),
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


# ---------------------------------------------------------------------------- round trip


def round_trip(server: GatewayProcess, args: argparse.Namespace, ack: bool) -> dict[str, Any]:
    run = uuid.uuid4().hex[:8]
    cmd = ["rtt", "--target", server.target, "--run-id", f"{run}-rtt", "--pings", str(args.pings)]
    proc = spawn(cmd + (["--ack"] if ack else []))
    try:
        ready_line(proc)
        cpu0, machine0, wall0 = server.cpu_seconds(), machine_cpu_seconds(), time.perf_counter()
        result = finish(proc, "GO", 60 + args.pings / 50)
        cpu1, machine1, wall1 = server.cpu_seconds(), machine_cpu_seconds(), time.perf_counter()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    result["other_cpu"] = max(0.0, machine1 - machine0 - (cpu1 - cpu0) - result["cpu_seconds"]) / (
        wall1 - wall0
    )
    return result


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
        routed, route_us = route_between_held(procs[-1])
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
        "routed": routed,
        "route_us": route_us,
    }


def route_between_held(proc: subprocess.Popen[str]) -> tuple[bool, float]:
    """Ask one idle worker to send a message between two of its held sessions."""
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("ROUTE\n")
    proc.stdin.flush()
    line = proc.stdout.readline().split()
    if len(line) != 3 or line[0] != "ROUTED":
        return False, float("nan")
    return line[1] == "1", float(line[2])


# ---------------------------------------------------------------------------- main

#: --servers name -> (label, toy relay style or "" for the gateway, in-memory database)
SERVERS = {
    "gateway": ("gateway (file DB)", "", False),
    "gateway-memory": ("gateway (memory DB)", "", True),
    "toy": ("toy relay", "rw", False),
    "toy-iter": ("toy relay (iterator style)", "iter", False),
    "baseline": ("baseline gateway (file DB)", "", False),  # from --baseline DIR
}
TOY = "toy relay"


@dataclass
class Config:
    """One measured combination: a server and the delivery mode of the agents loading it."""

    label: str
    server: str  # key of SERVERS
    ack: bool
    routing: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    rtt: list[dict[str, Any]] = field(default_factory=list)


def configs_for(names: list[str], modes: list[str]) -> list[Config]:
    out = []
    for name in names:
        label, style, _ = SERVERS[name]
        if style:  # a toy relay knows no extension: best effort only
            out.append(Config(label, name, False))
            continue
        for mode in modes:
            suffix = ", acknowledged" if mode == "acknowledged" else ""
            out.append(Config(f"{label[:-1]}{suffix})", name, mode == "acknowledged"))
    return out


def measure(
    servers: dict[str, GatewayProcess], configs: list[Config], args: argparse.Namespace
) -> dict[str, dict[str, Any]]:
    for r in range(args.rounds):
        order = configs[r % len(configs) :] + configs[: r % len(configs)]  # rotated each round
        for n in args.pairs:
            for c in order:
                level = routing(servers[c.server], n, args, c.ack)
                c.routing.setdefault(n, []).append(level)
                log(
                    f"  round {r + 1} {n:>3} pair(s) {c.label:<34} "
                    f"{level['msgs_per_s']:>8,.0f} msg/s  {level['cpu_us']:>6.1f} us CPU/msg  "
                    f"busy {100 * level['busy']:.0f}%  ({level['received']}/{level['expected']}"
                    f"; load {level['load_cpu']:.2f}, other {level['other_cpu']:.2f} cores)"
                )
        for c in order:
            trip = round_trip(servers[c.server], args, c.ack)
            c.rtt.append(trip)
            log(
                f"  round {r + 1} round trip {c.label:<34} p50 {trip['p50_us']:>7,.0f} us  "
                f"p99 {trip['p99_us']:>7,.0f} us  ({trip['n']}/{trip['expected']}; other "
                f"{trip['other_cpu']:.2f} cores)"
            )
    idles: dict[str, dict[str, Any]] = {}
    if args.idle:
        for name, server in servers.items():
            i = idles[SERVERS[name][0]] = idle(server, args.idle, args)
            log(
                f"  idle {SERVERS[name][0]}: {i['opened']}/{i['requested']} sessions open in "
                f"{i['open_seconds']:.1f}s, {i['kib_per_session']:.1f} KiB each, routed between "
                f"two of them: {'yes' if i['routed'] else 'NO'} ({i['route_us']:,.0f} us), "
                f"{i['alive_at_stop']} alive at the end"
            )
    return idles


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="short smoke run")
    parser.add_argument("--pairs", default="1,4,16", help="comma-separated pair counts (1,4,16)")
    parser.add_argument("--messages", type=int, help="messages per level, all pairs (40000)")
    parser.add_argument("--window", type=int, default=500, help="max in flight per pair (500)")
    parser.add_argument("--procs", type=int, default=2, help="load processes (2)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (3; quick 1)")
    parser.add_argument("--pings", type=int, help="measured round trips per round (2000)")
    parser.add_argument(
        "--idle", type=int, help="idle sessions to hold, 0 to skip (10000; quick 200)"
    )
    parser.add_argument(
        "--idle-procs", type=int, help="processes holding them (1 per 1250 sessions, at least 2)"
    )
    parser.add_argument(
        "--servers",
        help="comma-separated, of: gateway (file SQLite), gateway-memory (in-memory SQLite), "
        "toy (the toy relay), toy-iter (the toy relay written with the request iterator and "
        "`yield`, as the gateway is). Default gateway,toy",
    )
    parser.add_argument(
        "--delivery",
        default="best-effort,acknowledged",
        help="agent modes against a gateway: best-effort, acknowledged (the delivery "
        "extension) or both (default)",
    )
    parser.add_argument(
        "--baseline",
        metavar="DIR",
        help="also measure the gateway of another checkout (e.g. `git worktree add DIR <commit>`"
        "), interleaved with this one: server 'baseline', added to --servers",
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
    args.rounds = args.rounds or (1 if args.quick else 3)
    args.pings = args.pings or (200 if args.quick else 2_000)
    args.idle = args.idle if args.idle is not None else (200 if args.quick else 10_000)
    args.idle_procs = args.idle_procs or max(2, -(-args.idle // 1250))
    names = (args.servers or "gateway,toy").split(",")
    if args.baseline and "baseline" not in names:
        names.insert(0, "baseline")
    if "baseline" in names and not args.baseline:
        parser.error("server 'baseline' needs --baseline DIR")
    unknown = [n for n in names if n not in SERVERS]
    if unknown:
        parser.error(f"unknown server(s) {unknown}; choose from {sorted(SERVERS)}")
    modes = [m for m in args.delivery.split(",") if m]
    if not modes or set(modes) - {"best-effort", "acknowledged"}:
        parser.error("--delivery takes best-effort and/or acknowledged")

    log(
        f"# gateway_bench: pairs {args.pairs}, {args.messages} msgs x 128 B per level over "
        f"{args.procs} load process(es), window {args.window}/pair, {args.pings} pings, "
        f"{args.rounds} round(s); {args.idle} idle sessions over {args.idle_procs} processes; "
        f"agents against a gateway: {', '.join(modes)}; python {platform.python_version()}, "
        f"grpcio {grpc.__version__}, {os.cpu_count()} CPUs; {source_state()}"
    )
    log(f"# {wait_quiet(args.wait_quiet)}")
    configs = configs_for(names, modes)
    with contextlib.ExitStack() as stack:
        servers: dict[str, GatewayProcess] = {}
        for name in names:
            label, style, memory = SERVERS[name]
            servers[name] = stack.enter_context(
                GatewayProcess(
                    toy_relay=bool(style),
                    toy_style=style or "rw",
                    memory=memory,
                    source=args.baseline if name == "baseline" else None,
                )
            )
            origin = f", code from {args.baseline}" if name == "baseline" else ""
            log(f"# {label}: own process pid {servers[name].pid} at {servers[name].target}{origin}")
        idles = measure(servers, configs, args)

    failed = report(configs, idles, args)
    if args.json:
        with open(args.json, "w") as out:
            raw = {c.label: {"routing": c.routing, "rtt": c.rtt} for c in configs}
            json.dump({"configs": raw, "idle": idles}, out, default=str)
    return 1 if failed else 0


def report(
    configs: list[Config], idles: dict[str, dict[str, Any]], args: argparse.Namespace
) -> bool:
    toy = next((c for c in configs if c.label == TOY), None)

    def med(c: Config, n: int, key: str) -> float:
        return median([lv[key] for lv in quiet_only(c.routing[n], "other_cpu")])

    rows = []
    for n in args.pairs:
        for c in configs:
            row = [
                str(n),
                c.label,
                f"{med(c, n, 'msgs_per_s'):,.0f}",
                f"{med(c, n, 'cpu_us'):.1f}",
                f"{100 * med(c, n, 'busy'):.0f}%",
                f"{med(c, n, 'other_cpu'):.2f}",
                quiet_count(c.routing[n], "other_cpu"),
            ]
            if toy is not None:
                row += [
                    ratio(med(c, n, "msgs_per_s"), med(toy, n, "msgs_per_s")),
                    ratio(med(c, n, "cpu_us"), med(toy, n, "cpu_us")),
                ]
            rows.append(row)
    headers = ["pairs", "server", "msgs/s", "CPU us/msg", "busy", "other load", "rounds"]
    if toy is not None:
        headers += ["msgs/s vs toy (goal >= 0.9)", "CPU vs toy"]
    log("")
    log(
        f"routing (median over the rounds in which unrelated processes used at most {QUIET_CORES} "
        "cores, or over all when none was; rounds = quiet/run; CPU = the server process, all "
        "threads; busy = its share of one core; other load = cores used by unrelated processes)"
    )
    log(table(headers, rows))

    def p50(c: Config) -> float:
        return median([t["p50_us"] for t in quiet_only(c.rtt, "other_cpu")])

    def p99(c: Config) -> float:
        return median([t["p99_us"] for t in quiet_only(c.rtt, "other_cpu")])

    rows = []
    for c in configs:
        row = [c.label, f"{p50(c):,.0f}", f"{p99(c):,.0f}", quiet_count(c.rtt, "other_cpu")]
        if toy is not None:
            row.append(ratio(p50(c), p50(toy)))
        rows.append(row)
    headers = ["server", "rtt p50 us", "rtt p99 us", "rounds"]
    if toy is not None:
        headers.append("p50 vs toy (goal <= 1.3)")
    log("")
    log(f"round trip (raw agents, ping-pong of 128 B, {args.pings} per round; medians)")
    log(table(headers, rows))

    if idles:
        toy_idle = idles.get(TOY)
        rows = []
        for label, i in idles.items():
            row = [
                label,
                f"{i['opened']}/{i['requested']}",
                f"{i['alive_at_stop']}",
                "yes" if i["routed"] else "NO",
                f"{i['open_seconds']:.1f}",
                f"{i['rss_before_kib'] / 1024:.1f}",
                f"{i['rss_held_kib'] / 1024:.1f}",
                f"{i['kib_per_session']:.1f}",
                f"{i['rss_after_kib'] / 1024:.1f}",
            ]
            if toy_idle is not None:
                row.append(ratio(i["kib_per_session"], toy_idle["kib_per_session"]))
            rows.append(row)
        headers = [
            "server",
            "opened",
            "alive at end",
            "routed",
            "open s",
            "RSS before MiB",
            "RSS held MiB",
            "KiB/session",
            "RSS after close MiB",
        ]
        if toy_idle is not None:
            headers.append("KiB vs toy (goal <= 1.1)")
        log("")
        log("idle sessions (VmRSS of the server process; routed = a message between two held)")
        log(table(headers, rows))

    failed = False
    for c in configs:
        ours = c.label != TOY and not c.label.startswith("toy")
        for n, levels in c.routing.items():
            for lv in levels:
                if lv["received"] < lv["expected"]:
                    log(f"! {c.label}, {n} pairs: received {lv['received']} of {lv['expected']}")
                    failed = failed or ours
        for t in c.rtt:
            if t["n"] < t["expected"]:
                log(f"! {c.label}: {t['n']} of {t['expected']} round trips ({t['timeouts']} lost)")
                failed = failed or ours
    for label, i in idles.items():
        if i["opened"] < i["requested"] or i["alive_at_stop"] < i["opened"] or not i["routed"]:
            log(
                f"! {label}: {i['opened']} of {i['requested']} idle sessions opened, "
                f"{i['alive_at_stop']} alive at the end, routed {i['routed']}; {i['failures']}"
            )
            failed = failed or label.startswith("gateway")
    return failed


if __name__ == "__main__":
    sys.exit(main())
