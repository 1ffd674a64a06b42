"""Run every benchmark in this folder, one after the other (`tox -e bench` runs it with --quick).

    python benchmarks/run_all.py [--quick] [--skip NAME ...]

Runs client_bench.py, gateway_bench.py, proxy_bench.py, delivery_bench.py and startup_bench.py,
each in its own process with this interpreter, printing their output as it comes and a summary at
the end. Exits non-zero if any of them failed. Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = (
    "client_bench.py",
    "gateway_bench.py",
    "proxy_bench.py",
    "delivery_bench.py",
    "startup_bench.py",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short smoke runs")
    parser.add_argument("--skip", action="append", default=[], help="a script name to skip")
    args = parser.parse_args(argv)

    summary: list[tuple[str, str, float]] = []
    for name in BENCHMARKS:
        script = HERE / name
        if name in args.skip or name.removesuffix(".py") in args.skip:
            summary.append((name, "skipped (--skip)", 0.0))
            continue
        if not script.exists():
            summary.append((name, "not present", 0.0))
            continue
        cmd = [sys.executable, str(script), *(["--quick"] if args.quick else [])]
        print(f"\n=== {name} {'--quick' if args.quick else ''}".rstrip(), flush=True)
        started = time.perf_counter()
        code = subprocess.call(cmd, cwd=HERE.parent)
        elapsed = time.perf_counter() - started
        summary.append((name, "ok" if code == 0 else f"FAILED (exit {code})", elapsed))

    print("\n=== summary", flush=True)
    for name, status, elapsed in summary:
        took = f"{elapsed:6.1f}s" if elapsed else " " * 7
        print(f"  {name:<18} {took}  {status}", flush=True)
    return 1 if any(status.startswith("FAILED") for _, status, _ in summary) else 0


if __name__ == "__main__":
    sys.exit(main())
