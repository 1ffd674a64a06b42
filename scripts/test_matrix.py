"""Run the tox matrix and say plainly what ran: one result line per env, then a table.

`make test` calls this instead of `tox run-parallel -q`, which hides how many tests ran or were
skipped. Each env's full output goes to .tox/matrix-logs/<env>.log; a failing env's tail is
printed. With CI set (CI=true, as CI runs it) a missing interpreter fails the run, and so does any
skipped test: in CI every env of the matrix must really run. Locally a missing interpreter is a
loud SKIP instead.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOGS = ROOT / ".tox" / "matrix-logs"
# Longest first (measured: mutation ~400 s, each pyXY ~200 s, the rest under a minute), so the two
# workers finish together. Must list every env of tox.ini's envlist (a test checks it).
ENVS = (
    "mutation",
    "py311",
    "py312",
    "py313",
    "typescript",
    "docs",
    "interop",
    "type",
    "compat",
    "codegen-check",
    "lint",
)
PYTEST_SUMMARY = re.compile(r"^=*\s*((?:\d+ \w+(?: \w+)?,? ?)+) in [\d.]+s")
COUNT = re.compile(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed|deselected|warnings?)")
MISSING_INTERPRETER = ("could not find python interpreter", "SKIP")
TAIL_LINES = 60
COVERAGE_HEADER = "branch coverage"  # the first line scripts/coverage_floor.py prints


@dataclass
class Result:
    env: str
    status: str  # OK, FAIL, SKIP
    seconds: float
    summary: str  # the pytest summary line, or a short reason
    counts: dict[str, int]


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _pytest_summary(log: str) -> tuple[str, dict[str, int]]:
    """Every pytest summary line of a log, and their counts summed."""
    lines = [m.group(1) for line in log.splitlines() if (m := PYTEST_SUMMARY.match(line.strip()))]
    counts: dict[str, int] = {}
    for line in lines:
        for number, word in COUNT.findall(line):
            key = word.rstrip("s") if word.startswith(("error", "warning")) else word
            counts[key] = counts.get(key, 0) + int(number)
    return " | ".join(lines), counts


def run_env(env: str, strict: bool) -> Result:
    LOGS.mkdir(parents=True, exist_ok=True)
    log_path = LOGS / f"{env}.log"
    cmd = [sys.executable, "-m", "tox", "run", "-e", env]
    cmd += ["--skip-missing-interpreters", "false" if strict else "true"]
    start = time.monotonic()
    with log_path.open("w") as log_file:
        code = subprocess.call(cmd, cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT)
    seconds = time.monotonic() - start
    log = log_path.read_text(errors="replace")
    summary, counts = _pytest_summary(log)
    missing = MISSING_INTERPRETER[0] in log
    if missing and not strict and code == 0:
        return Result(env, "SKIP", seconds, "interpreter not found: this env did NOT run", counts)
    status = "OK" if code == 0 else "FAIL"
    if missing:
        summary = "interpreter not found (CI requires every interpreter of the matrix)"
    elif strict and counts.get("skipped", 0):
        status, summary = "FAIL", f"{summary} (CI allows no skipped test)"
    elif code == 0 and not summary:
        summary = "ok (no pytest in this env)"
    return Result(env, status, seconds, summary or f"tox exit {code}", counts)


def _coverage_block(log: str) -> list[str]:
    """The per-package coverage lines scripts/coverage_floor.py printed, if this env ran it."""
    lines = log.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(COVERAGE_HEADER):
            block = [line]
            for following in lines[i + 1 :]:
                if not following.startswith("  "):
                    break
                block.append(following)
            return block
    return []


def _report(result: Result) -> None:
    print(f"{result.env}: {result.status} in {result.seconds:.0f}s: {result.summary}", flush=True)
    log = (LOGS / f"{result.env}.log").read_text(errors="replace")
    for line in _coverage_block(log):
        print(f"  {line}")
    if result.status == "FAIL":
        tail = log.splitlines()[-TAIL_LINES:]
        print(f"---- last {len(tail)} lines of .tox/matrix-logs/{result.env}.log ----")
        print("\n".join(tail))
        print("----", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("envs", nargs="*", default=list(ENVS), help="envs to run (default: all)")
    parser.add_argument("--jobs", type=int, default=2, help="envs run at once (default 2)")
    args = parser.parse_args()
    strict = _in_ci()
    print(f"tox matrix: {', '.join(args.envs)} ({args.jobs} at a time; CI strict: {strict})")
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(run_env, env, strict) for env in args.envs]
        results = []
        for future in futures:
            results.append(future.result())
            _report(results[-1])

    print("\n| env | result | time | passed | failed | skipped |")
    print("|---|---|---|---|---|---|")
    for r in results:
        c = r.counts
        print(
            f"| {r.env} | {r.status} | {r.seconds:.0f}s | {c.get('passed', 0)} "
            f"| {c.get('failed', 0) + c.get('error', 0)} | {c.get('skipped', 0)} |"
        )
    total = {k: sum(r.counts.get(k, 0) for r in results) for k in ("passed", "failed", "skipped")}
    total["failed"] += sum(r.counts.get("error", 0) for r in results)
    bad = [r.env for r in results if r.status == "FAIL"]
    skipped_envs = [r.env for r in results if r.status == "SKIP"]
    if skipped_envs:
        print(f"\nWARNING: not run (interpreter missing): {', '.join(skipped_envs)}")
    if bad:
        print(f"\nFAILED envs: {', '.join(bad)}")
    # The closing line CI reads: counts summed over every pytest run of the matrix.
    print(
        f"\nmatrix: {total['passed']} passed, {total['failed']} failed, {total['skipped']} skipped"
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
