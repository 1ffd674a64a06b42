"""Start-up costs: `import scitrera_aether_client` against the reference client's, and
`aether-codegen generate` of the whole tree.

    python benchmarks/startup_bench.py [--quick] [--rounds R] [--no-reference]

Import: `python -X importtime -c "import scitrera_aether_client"` in a fresh process, ours (this
interpreter) and the published reference client 0.2.3 (its own venv, see _harness.py) alternating
round by round; the number is the cumulative import time of the package (its dependencies,
grpcio and protobuf included) as -X importtime reports it, plus the process's wall time. Each
interpreter runs once before the measured rounds so bytecode caches are warm for both.

Codegen: `aether-codegen --root TMP generate` with a copy of schema/ and of the SDK's sources in
TMP, so it renders and writes every generated file of the tree (Python and TypeScript) without
touching the work tree; then once more in the same TMP (everything up to date: render and
compare only). Wall time of the command, interpreter start included, as a developer sees it.

Medians over the rounds; goals: our import no slower than the reference's; generate under 2 s.
Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _harness import (
    HERE,
    REFERENCE_VERSION,
    clean_env,
    log,
    median,
    ratio,
    reference_python,
    source_state,
    table,
    wait_quiet,
)

REPO = HERE.parent
PACKAGE = "scitrera_aether_client"


def import_once(python: str) -> tuple[float, float]:
    """(cumulative import time of the package in us per -X importtime, process wall time in s)."""
    started = time.perf_counter()
    done = subprocess.run(
        [python, "-X", "importtime", "-c", f"import {PACKAGE}"],
        capture_output=True,
        text=True,
        check=True,
        env=clean_env(python),
        cwd=tempfile.gettempdir(),  # never pick up a package from the current directory
    )
    wall = time.perf_counter() - started
    for line in done.stderr.splitlines():
        # "import time:      self |  cumulative | name"; the package's own line is unindented
        parts = line.split("|")
        if len(parts) == 3 and parts[2].strip() == PACKAGE and parts[2].startswith(" " + PACKAGE):
            return float(parts[1]), wall
    raise RuntimeError(f"no importtime line for {PACKAGE} from {python}:\n{done.stderr[-800:]}")


def codegen_command() -> list[str]:
    script = Path(sys.executable).parent / "aether-codegen"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "aether_codegen.cli"]


def codegen_once(root: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [*codegen_command(), "--root", str(root), "generate"],
        capture_output=True,
        text=True,
        check=False,
        env=clean_env(),
    )
    if done.returncode != 0:
        raise RuntimeError(f"aether-codegen generate failed:\n{done.stderr.strip()[-1500:]}")
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="short smoke run")
    parser.add_argument("--rounds", type=int, help="rounds (9; quick 2)")
    parser.add_argument("--no-reference", action="store_true", help="skip the reference client")
    parser.add_argument("--wait-quiet", type=float, help="seconds to wait for a quiet machine")
    parser.add_argument(
        "--source-root",
        default=str(REPO),
        help="the checkout whose schema/ (and SDK sources, which the generator reads) to use",
    )
    parser.add_argument("--json", help="also write every raw result to this file")
    args = parser.parse_args(argv)
    rounds = args.rounds or (2 if args.quick else 9)
    wait = args.wait_quiet if args.wait_quiet is not None else (0.0 if args.quick else 60.0)

    pythons = {"ours": sys.executable}
    if args.no_reference:
        log("# reference client skipped (--no-reference)")
    else:
        ref, why = reference_python()
        if ref is None:
            log(f"# reference client {REFERENCE_VERSION} skipped: {why}")
        else:
            pythons[f"reference {REFERENCE_VERSION}"] = ref
    log(f"# startup_bench: {rounds} round(s); python {platform.python_version()}; {source_state()}")
    log(f"# {wait_quiet(wait)}")

    imports: dict[str, list[tuple[float, float]]] = {label: [] for label in pythons}
    for python in pythons.values():
        import_once(python)  # warm the bytecode caches; not counted
    for r in range(rounds):
        order = list(pythons.items())
        if r % 2:
            order.reverse()
        for label, python in order:
            imports[label].append(import_once(python))
        log(
            f"  round {r + 1} import: "
            + ", ".join(f"{lb} {imports[lb][-1][0] / 1000:.1f} ms" for lb in pythons)
        )

    fresh: list[float] = []
    again: list[float] = []
    for r in range(rounds):
        with tempfile.TemporaryDirectory(prefix="aether-codegen-bench-") as tmp:
            root = Path(tmp)
            source = Path(args.source_root)
            skip = shutil.ignore_patterns("__pycache__", "*.pyc")
            shutil.copytree(source / "schema", root / "schema", ignore=skip)
            sdk = "packages/scitrera-aether-client/src"  # hand-written inputs of some renders
            shutil.copytree(source / sdk, root / sdk, ignore=skip)
            fresh.append(codegen_once(root))
            again.append(codegen_once(root))
        log(f"  round {r + 1} codegen: generate {fresh[-1]:.2f} s, again {again[-1]:.2f} s")

    rows = []
    ours_cum = median([c for c, _ in imports["ours"]])
    for label, samples in imports.items():
        cum = median([c for c, _ in samples])
        wall = median([w for _, w in samples])
        rows.append([f"import ({label})", f"{cum / 1000:.1f} ms", f"{wall * 1000:.0f} ms"])
    log("")
    log("import scitrera_aether_client (medians; -X importtime cumulative, process wall time)")
    log(table(["what", "import time", "process wall"], rows))
    for label in pythons:
        if label != "ours":
            ref_cum = median([c for c, _ in imports[label]])
            log(f"ours / {label}: {ratio(ours_cum, ref_cum)} (goal <= 1.00x)")
    log("")
    log(
        f"aether-codegen generate, whole tree: {median(fresh):.2f} s written fresh, "
        f"{median(again):.2f} s when up to date (goal < 2 s)"
    )
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"imports": imports, "generate": fresh, "generate_again": again}, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
