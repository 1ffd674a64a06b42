"""Interop fixtures: an isolated venv holding the published reference client, and a run report.

These tests run only when ``AETHER_INTEROP=1`` (``tox -e interop`` sets it); a plain ``pytest``
from the repository root skips them, since they build a venv and reach the package index.

The reference package has our SDK's import name, so it never enters this process: it is installed
into its own venv (cached between runs) and driven through ``reference_driver.py`` as a subprocess.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import sys
import venv
from collections.abc import Iterator
from pathlib import Path

import pytest

ENABLE_ENV = "AETHER_INTEROP"
# Set to 1 (tox -e interop sets it from CI) to fail instead of skip when the reference client
# cannot be installed; in CI a skipped interop test would hide that nothing was compared.
REQUIRED_ENV = "AETHER_INTEROP_REQUIRED"
CACHE_ENV = "AETHER_INTEROP_CACHE"
REFERENCE_DIST = "scitrera-aether-client"
REFERENCE_VERSION = "0.2.3"
READY_MARKER = ".interop-ready"
PIP_TIMEOUT_S = 600
# pip output that means "the index could not be reached", as opposed to a broken environment.
NETWORK_SIGNS = (
    "NewConnectionError",
    "Max retries exceeded",
    "Temporary failure in name resolution",
    "Name or service not known",
    "Network is unreachable",
    "Connection refused",
    "ConnectTimeoutError",
    "ReadTimeoutError",
    "ProxyError",
    "SSLError",
    "No matching distribution found",
    "Could not find a version that satisfies",
)

_REPORT = pytest.StashKey[list[str]]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_REPORT] = []


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get(ENABLE_ENV) == "1":
        return
    here = Path(__file__).parent
    skip = pytest.mark.skip(reason=f"interop tests run only with {ENABLE_ENV}=1 (tox -e interop)")
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = terminalreporter.config.stash.get(_REPORT, [])
    if not lines:
        return
    terminalreporter.write_sep("=", "interop: published reference client vs our gateway and SDK")
    for line in lines:
        terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def interop_report(pytestconfig: pytest.Config) -> list[str]:
    """Lines describing what was exercised; printed again in the terminal summary."""
    return pytestconfig.stash[_REPORT]


def _venv_python(root: Path) -> Path:
    return root / "bin" / "python"


def _cache_root() -> Path:
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "aether-interop"


def _unavailable(reason: str) -> None:
    if os.environ.get(REQUIRED_ENV, "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"{reason} ({REQUIRED_ENV}=1)")
    pytest.skip(reason)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _build(root: Path) -> None:
    if root.exists():
        shutil.rmtree(root)
    venv.EnvBuilder(with_pip=True, clear=True).create(root)
    python = str(_venv_python(root))
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}
    try:
        result = subprocess.run(
            [python, "-m", "pip", "install", f"{REFERENCE_DIST}=={REFERENCE_VERSION}"],
            capture_output=True,
            text=True,
            env=env,
            timeout=PIP_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        shutil.rmtree(root, ignore_errors=True)
        _unavailable(f"pip install {REFERENCE_DIST}=={REFERENCE_VERSION} timed out")
        return
    if result.returncode != 0:
        output = result.stdout + result.stderr
        shutil.rmtree(root, ignore_errors=True)
        tail = "\n".join(output.strip().splitlines()[-8:])
        if any(sign in output for sign in NETWORK_SIGNS):
            _unavailable(
                f"cannot install {REFERENCE_DIST}=={REFERENCE_VERSION} (package index "
                f"unreachable?):\n{tail}"
            )
        pytest.fail(f"pip install {REFERENCE_DIST}=={REFERENCE_VERSION} failed:\n{tail}")
    probe = subprocess.run(
        [
            python,
            "-I",
            "-c",
            "import importlib.metadata as m, scitrera_aether_client as s;"
            f"print(m.version({REFERENCE_DIST!r}), s.__version__)",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    expected = f"{REFERENCE_VERSION} {REFERENCE_VERSION}"
    if probe.returncode != 0 or probe.stdout.strip() != expected:
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"the reference venv does not import {REFERENCE_VERSION}: {probe!r}")
    (root / READY_MARKER).write_text(expected + "\n")


@pytest.fixture(scope="session")
def reference_python(interop_report: list[str]) -> Path:
    """The Python of a cached venv holding only the published reference client (and its deps)."""
    tag = f"py{sys.version_info.major}.{sys.version_info.minor}"
    root = _cache_root() / f"reference-{REFERENCE_VERSION}-{tag}"
    with _locked(root.with_name(root.name + ".lock")):
        reused = (root / READY_MARKER).is_file() and _venv_python(root).exists()
        if not reused:
            _build(root)
    interop_report.append(
        f"reference venv: {root} ({'reused' if reused else 'created'}; "
        f"{REFERENCE_DIST}=={REFERENCE_VERSION})"
    )
    return _venv_python(root)
