"""Where the gateway spends its time under routing load: py-spy on the gateway process.

    python benchmarks/profile_gateway.py --py-spy /tmp/pyspy/bin/py-spy [--pairs 4]
        [--messages 60000] [--delivery best-effort|acknowledged] [--baseline DIR] [--top 25]

Starts the gateway (file DB, as gateway_bench.py does; --baseline DIR: another checkout's), loads
it with N raw sender->receiver pairs (gateway_bench's routing level), and samples it meanwhile
with `py-spy record --format raw` (py-spy lives in its own venv; it is not a dependency). Prints
the frames with the largest share of the samples: "self" (the frame on top of the stack) and
"total" (the frame anywhere in the stack), and keeps the collapsed stacks (--out) for a flame
graph. Samples where the event loop waits in epoll are counted apart as idle.
"""

from __future__ import annotations

import argparse
import collections
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _harness import GatewayProcess, log
from gateway_bench import routing

FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^)]*?)(?::(?P<line>\d+))?\)$")
IDLE_MARKERS = ("select (selectors.py", "_run_once (asyncio/base_events.py")


def short(frame: str) -> str:
    """`func (path/to/module.py:12)` -> `func (module.py)`: one row per function."""
    m = FRAME.match(frame)
    if not m:
        return frame
    return f"{m['func']} ({Path(m['file']).name})"


def summarize(raw: Path, top: int) -> str:
    self_counts: collections.Counter[str] = collections.Counter()
    total_counts: collections.Counter[str] = collections.Counter()
    samples = idle = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [short(f) for f in stack.split(";") if f]
        if not frames:
            continue
        if frames[-1].startswith("select (selectors.py"):
            idle += count
            continue
        samples += count
        self_counts[frames[-1]] += count
        for f in set(frames):
            total_counts[f] += count
    lines = [f"{samples} busy samples ({idle} more waiting in epoll, not counted)"]
    lines.append("")
    lines.append(f"{'self %':>7}  frame")
    for frame, count in self_counts.most_common(top):
        lines.append(f"{100 * count / max(samples, 1):6.1f}%  {frame}")
    lines.append("")
    lines.append(f"{'total %':>7}  frame (anywhere in the stack)")
    for frame, count in total_counts.most_common(top):
        lines.append(f"{100 * count / max(samples, 1):6.1f}%  {frame}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--py-spy", required=True, help="the py-spy executable")
    parser.add_argument("--pairs", type=int, default=4)
    parser.add_argument("--messages", type=int, default=60_000)
    parser.add_argument("--window", type=int, default=500)
    parser.add_argument("--procs", type=int, default=2)
    parser.add_argument(
        "--delivery", choices=["best-effort", "acknowledged"], default="best-effort"
    )
    parser.add_argument("--baseline", help="run the gateway of this checkout instead")
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--native", action="store_true", help="py-spy --native (C frames too)")
    parser.add_argument("--out", help="keep the collapsed stacks here")
    args = parser.parse_args(argv)

    with GatewayProcess(source=args.baseline) as gateway:
        raw = Path(args.out or tempfile.mktemp(prefix="gw-profile-", suffix=".txt"))
        spy = subprocess.Popen(
            [
                args.py_spy,
                "record",
                "--pid",
                str(gateway.pid),
                "--rate",
                str(args.rate),
                "--format",
                "raw",
                *(["--native"] if args.native else []),
                "--output",
                str(raw),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(1.0)  # py-spy attached
        level = routing(gateway, args.pairs, args, args.delivery == "acknowledged")
        spy.send_signal(signal.SIGINT)
        _, err = spy.communicate(timeout=60)
    if not raw.exists():
        log(f"py-spy wrote nothing: {err.strip()[-500:]}")
        return 1
    log(
        f"# {args.pairs} pair(s), {args.delivery}: {level['msgs_per_s']:,.0f} msg/s, "
        f"{level['cpu_us']:.1f} us gateway CPU per message ({level['received']}/"
        f"{level['expected']}); stacks in {raw}"
    )
    log(summarize(raw, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
