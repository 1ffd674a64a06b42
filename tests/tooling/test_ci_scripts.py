"""The scripts that decide whether CI is green: the matrix summary and the coverage floor."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


matrix = _load("test_matrix")
floor = _load("coverage_floor")


def test_summary_counts_come_from_the_pytest_closing_lines() -> None:
    log = (
        "noise\n== 900 passed, 2 skipped, 1 warning in 56.71s ==\n"
        "more\n3 failed, 4 passed in 1.0s\n"
    )
    summary, counts = matrix._pytest_summary(log)
    assert counts == {"passed": 904, "skipped": 2, "warning": 1, "failed": 3}
    assert "900 passed, 2 skipped" in summary


def test_a_log_without_pytest_has_no_counts() -> None:
    assert matrix._pytest_summary("ruff check .\nAll checks passed!\n") == ("", {})


def test_the_coverage_block_is_lifted_from_an_env_log() -> None:
    log = (
        "pytest output\nbranch coverage (statements + branches):\n"
        "  SDK: 90.0% ok\n      under 70%: x.py\npy311: commands[1]\n  py311: OK\n"
    )
    assert matrix._coverage_block(log) == [
        "branch coverage (statements + branches):",
        "  SDK: 90.0% ok",
        "      under 70%: x.py",
    ]
    assert matrix._coverage_block("no coverage here") == []


def test_ci_is_detected_from_the_ci_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    assert matrix._in_ci()
    monkeypatch.setenv("CI", "")
    assert not matrix._in_ci()


def test_every_tox_env_is_in_the_matrix() -> None:
    tox_ini = (SCRIPTS.parent / "tox.ini").read_text()
    envlist = next(line for line in tox_ini.splitlines() if line.startswith("envlist"))
    declared = {e.strip() for e in envlist.split("=", 1)[1].split(",")}
    assert declared == set(matrix.ENVS)


def _report(tmp_path: Path, covered: int, total: int) -> str:
    summary = {
        "covered_lines": covered,
        "num_statements": total,
        "covered_branches": 0,
        "num_branches": 0,
    }
    files = {
        f"src/{pkg}/mod.py": {"summary": summary}
        for pkg in ("scitrera_aether_client", "aether_gateway", "aether_codegen")
    }
    path = tmp_path / "coverage.json"
    path.write_text(json.dumps({"files": files}))
    return str(path)


def test_coverage_floor_passes_at_the_floor(tmp_path: Path) -> None:
    assert floor.main(_report(tmp_path, 85, 100)) == 0


def test_coverage_floor_fails_under_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert floor.main(_report(tmp_path, 84, 100)) == 1
    assert "UNDER THE FLOOR" in capsys.readouterr().out
