"""The import-linter contracts (root pyproject.toml) cover every private SDK module and run in lint.

import-linter matches whole module paths, so the contract lists the SDK's private packages by
name; a new private module (any path segment starting with "_") must be added to that list, or the
gateway could import it unnoticed. This test notices.
"""

from __future__ import annotations

import configparser
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SDK_SRC = ROOT / "packages" / "scitrera-aether-client" / "src"


def _gateway_contract() -> dict[str, object]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    (contract,) = (c for c in contracts if c["source_modules"] == ["aether_gateway"])
    assert contract["type"] == "forbidden"
    return dict(contract)


def _private_modules() -> set[str]:
    found: set[str] = set()
    for path in (SDK_SRC / "scitrera_aether_client").rglob("*.py"):
        parts = path.relative_to(SDK_SRC).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if any(p.startswith("_") and not p.startswith("__") for p in parts):
            found.add(".".join(parts))
    return found


def test_every_private_sdk_module_is_forbidden_to_the_gateway() -> None:
    forbidden = _gateway_contract()["forbidden_modules"]
    assert isinstance(forbidden, list)
    private = _private_modules()
    assert "scitrera_aether_client._core.connection" in private  # the walk sees the tree
    uncovered = sorted(
        module
        for module in private
        if not any(module == f or module.startswith(f + ".") for f in forbidden)
    )
    assert not uncovered, f"add to the gateway contract's forbidden_modules: {uncovered}"


def test_lint_env_runs_import_linter() -> None:
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(ROOT / "tox.ini")
    lint = tox["testenv:lint"]
    assert "import-linter" in lint["deps"]
    assert any(line.strip().startswith("lint-imports") for line in lint["commands"].splitlines())
