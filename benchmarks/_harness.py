"""Shared plumbing of the benchmark drivers (stdlib only).

- `GatewayProcess`: the embedded gateway in its own process (so it never shares a GIL with the
  clients that load it), with its VmRSS and CPU time read from /proc.
- `reference_python()`: the published reference client 0.2.3 in an isolated, cached venv. It has
  the same import name as our SDK, so it only ever runs as a subprocess with that venv's python.
- percentiles and a plain-text table.
"""

from __future__ import annotations

import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

HERE = Path(__file__).resolve().parent
REFERENCE_VERSION = "0.2.3"
REFERENCE_SPEC = f"scitrera-aether-client=={REFERENCE_VERSION}"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(text: str) -> None:
    print(text, flush=True)


def clean_env(python: str = sys.executable) -> dict[str, str]:
    """The environment for a child process run by `python`: our PYTHONPATH only for our own
    interpreter (so a run can point at a snapshot of the sources), never leaking into another
    venv (the reference client has the same import name)."""
    env = dict(os.environ)
    if python != sys.executable:
        env.pop("PYTHONPATH", None)
    env.pop("PYTHONHOME", None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


# ---------------------------------------------------------------------------- the gateway process


class GatewayProcess:
    """`python _gateway_runner.py` on 127.0.0.1 with an ephemeral port, stopped with SIGTERM.

    With toy_relay=True it runs _toy_relay.py instead: the floor a gateway is compared with.
    With source=DIR the gateway and the SDK it imports come from DIR, another checkout of this
    repository (its packages/*/src first on PYTHONPATH): a baseline commit in the same run.
    """

    def __init__(
        self,
        *,
        toy_relay: bool = False,
        toy_style: str = "rw",
        memory: bool = False,
        data_dir: str | None = None,
        profile: str | None = None,
        python: str = sys.executable,
        source: str | None = None,
    ) -> None:
        self.source = source
        self.toy_relay = toy_relay
        self.toy_style = toy_style
        self.memory = memory
        self.data_dir = data_dir
        self.profile = profile
        self.python = python
        self.port = 0
        self.proc: subprocess.Popen[str] | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._stderr_path = ""

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> GatewayProcess:
        self._tmp = tempfile.TemporaryDirectory(prefix="aether-bench-")
        if self.toy_relay:
            cmd = [self.python, str(HERE / "_toy_relay.py"), "--port", "0"]
            cmd += ["--style", self.toy_style]
        else:
            cmd = [self.python, str(HERE / "_gateway_runner.py"), "--port", "0"]
        if not self.memory and not self.toy_relay:
            base = self.data_dir or self._tmp.name
            cmd += ["--data", str(Path(base) / "gateway.db")]
        if self.profile:
            cmd += ["--profile", self.profile]
        self._stderr_path = str(Path(self._tmp.name) / "gateway.stderr")
        env = clean_env(self.python)
        if self.source:
            src = Path(self.source) / "packages"
            env["PYTHONPATH"] = os.pathsep.join(
                str(src / p / "src") for p in ("aether-gateway", "scitrera-aether-client")
            )
        with open(self._stderr_path, "w") as stderr:
            self.proc = subprocess.Popen(
                cmd, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env
            )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # "READY <port>"; the runner exits on failure
        if not line.startswith("READY "):
            self.stop()
            raise RuntimeError(f"gateway did not start: {line!r}\n{self.stderr_tail()}")
        self.port = int(line.split()[1])
        return self

    def stderr_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(Path(self._stderr_path).read_text().splitlines()[-lines:])
        except OSError:
            return ""

    def rss_kib(self) -> int:
        return _status_kib(self.pid, "VmRSS")

    def hwm_kib(self) -> int:
        return _status_kib(self.pid, "VmHWM")

    def cpu_seconds(self) -> float:
        """User + system CPU time of the gateway process so far (all its threads)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc is not None and proc.stdout is not None:
            proc.stdout.close()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> GatewayProcess:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _status_kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


# ---------------------------------------------------------------------------- the reference client


def reference_venv_dir() -> Path:
    override = os.environ.get("AETHER_BENCH_REFCLIENT_VENV")
    if override:
        return Path(override)
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return cache / "aether-bench" / f"refclient-{REFERENCE_VERSION}"


def reference_python() -> tuple[str | None, str]:
    """(python of the reference venv, "") or (None, why it is unavailable). Creates it once."""
    venv = reference_venv_dir()
    python = venv / "bin" / "python"
    if python.exists() and _reference_ok(python):
        return str(python), ""
    log(f"# creating the reference-client venv at {venv} (pip install {REFERENCE_SPEC})")
    shutil.rmtree(venv, ignore_errors=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    made = subprocess.run(
        [sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True, check=False
    )
    if made.returncode != 0:
        return None, f"could not create a venv: {made.stderr.strip()[-300:]}"
    pip = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", REFERENCE_SPEC],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        env=clean_env(str(python)),
    )
    if pip.returncode != 0 or not _reference_ok(python):
        shutil.rmtree(venv, ignore_errors=True)
        tail = (pip.stderr or pip.stdout).strip().splitlines()[-3:]
        return None, "pip install failed (no network?): " + " | ".join(tail)
    return str(python), ""


def _reference_ok(python: Path) -> bool:
    probe = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib.metadata as m; print(m.version('scitrera-aether-client'))",
        ],
        capture_output=True,
        text=True,
        check=False,
        env=clean_env(str(python)),
    )
    return probe.returncode == 0 and probe.stdout.strip() == REFERENCE_VERSION


# ---------------------------------------------------------------------------- numbers


#: A measurement during which unrelated processes used more cores than this is "noisy".
QUIET_CORES = 0.2


def quiet_only(rounds: Sequence[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """The rounds whose `key` (cores used by unrelated processes) is at most QUIET_CORES, or all
    of them when none is: the machine is shared, and medians should come from quiet rounds."""
    quiet = [r for r in rounds if r.get(key, 0.0) <= QUIET_CORES]
    return quiet or list(rounds)


def quiet_count(rounds: Sequence[dict[str, Any]], key: str) -> str:
    """ "k/n": how many of the n rounds were quiet (and so used); "0/n noisy" when none was."""
    quiet = sum(1 for r in rounds if r.get(key, 0.0) <= QUIET_CORES)
    return f"{quiet}/{len(rounds)}" + ("" if quiet else " noisy")


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted sequence (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, round(q / 100.0 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def median(values: Sequence[float]) -> float:
    ordered = sorted(v for v in values if not math.isnan(v))
    if not ordered:
        return float("nan")
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def ratio(a: float, b: float) -> str:
    if math.isnan(a) or math.isnan(b) or b == 0:
        return "n/a"
    return f"{a / b:.2f}x"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]

    def fmt(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if i else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    lines = [fmt(headers), fmt(["-" * w for w in widths])]
    lines += [fmt(r) for r in rows]
    return "\n".join(lines)


def wall_clock() -> float:
    return time.perf_counter()


def source_state() -> str:
    """Which code was measured: the commit, and whether the work tree differs from it."""
    try:
        head = subprocess.run(
            ["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(HERE.parent), "status", "--porcelain", "--", "packages"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "source: unknown (no git)"
    return f"source: {head}" + (" + uncommitted changes in packages/" if dirty else "")


def machine_cpu_seconds() -> float:
    """CPU time used by every process on the machine so far (/proc/stat), 0 where unavailable."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(v) for v in stat.readline().split()[1:9]]
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


def machine_busy(interval: float = 1.0) -> float:
    """Cores in use by all processes over `interval` seconds (0.0 .. number of CPUs)."""
    before = machine_cpu_seconds()
    time.sleep(interval)
    return (machine_cpu_seconds() - before) / interval


def wait_quiet(max_seconds: float, threshold: float = 0.15) -> str:
    """Wait (up to max_seconds) until other processes use less than `threshold` cores; the
    benchmarks share the machine with whatever else runs, so say how busy it was."""
    deadline = time.monotonic() + max_seconds
    busy = machine_busy()
    while busy > threshold and time.monotonic() < deadline:
        busy = machine_busy(2.0)
    quiet = "quiet" if busy <= threshold else "BUSY: other processes compete; expect noise"
    return f"machine load before start: {busy:.2f} of {os.cpu_count()} cores ({quiet})"
