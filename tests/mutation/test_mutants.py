"""Mutation checks: plant a known fault, run the tests that claim to guard against it, and require
that they fail. A test that still passes with its fault planted cannot fail, so it proves nothing.

Each mutant lives in ``mutants/<name>.py`` (see ``mutants/__init__.py`` for the contract). The run
is a real pytest subprocess with the fault planted through ``sitecustomize`` in that process and in
every gateway process it starts.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
import mutants  # type: ignore[import-not-found]  # noqa: E402  (needs HERE on sys.path)

RUN_TIMEOUT_S = 600


def _mutants() -> list[ModuleType]:
    names = sorted(m.name for m in pkgutil.iter_modules(mutants.__path__))
    return [importlib.import_module(f"mutants.{name}") for name in names]


MUTANTS = _mutants()


def test_every_mutant_is_well_formed() -> None:
    assert MUTANTS, "no mutants found"
    for mutant in MUTANTS:
        assert isinstance(mutant.FAULT, str) and mutant.FAULT, mutant.__name__
        assert mutant.CAUGHT_BY, f"{mutant.__name__} names no guarding test"
        for node in mutant.CAUGHT_BY:
            assert (ROOT / node.split("::")[0]).is_file(), f"{mutant.__name__}: no file for {node}"
        assert callable(mutant.plant)


@pytest.mark.timeout(RUN_TIMEOUT_S + 30)
@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_planted_fault_is_caught(mutant: ModuleType) -> None:
    name = mutant.__name__.rsplit(".", 1)[-1]
    env = dict(os.environ)
    env["AETHER_MUTANT"] = name
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(HERE), env.get("PYTHONPATH", "")) if p)
    # Coverage of a mutated run would only add noise to the real run's report.
    env.pop("COV_CORE_SOURCE", None)
    cmd = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-p", "no:cov"]
    cmd += ["-o", "addopts=", "--rootdir", str(ROOT), *mutant.CAUGHT_BY]
    proc = subprocess.run(
        cmd, check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S
    )
    tail = "\n".join(proc.stdout.strip().splitlines()[-15:])
    # Exit 1 means "tests ran and some failed". 2-5 (interrupted, internal error, usage, no tests)
    # would mean the check itself is broken, not that the fault was caught.
    # Exit 1 alone is not enough: a run that dies at startup also exits 1. Require that tests ran
    # and at least one failed.
    ran_and_failed = re.search(r"\b\d+ failed\b", tail) is not None
    assert proc.returncode == 1 and ran_and_failed, (
        f"mutant {name!r} ({mutant.FAULT}) was NOT caught by {mutant.CAUGHT_BY}: "
        f"pytest exit {proc.returncode}\n{tail}\n{proc.stderr[-2000:]}"
    )
    print(f"\nmutant {name}: caught ({mutant.FAULT})\n{tail}")
