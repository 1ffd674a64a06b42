"""The README's "Run examples" shell block (not one of the 27 Python snippets): every scenario of
examples/example.py and examples/example_async.py runs to its end against an embedded gateway."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def run(script: str, scenario: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), scenario],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("scenario", ["agent", "orchestrator", "workflow", "metrics"])
def test_example_py(scenario: str) -> None:
    done = run("example.py", scenario)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("done")


@pytest.mark.parametrize("scenario", ["agent", "concurrent", "context"])
def test_example_async_py(scenario: str) -> None:
    done = run("example_async.py", scenario)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("done")
