"""Print branch coverage per shipped package from a coverage JSON report and enforce a floor.

Usage: python scripts/coverage_floor.py coverage.json
Fails (exit 1) when any package is under its floor; lists every file under LIST_BELOW so the
weakest spots are visible in `make test` output. Raise the floors as coverage grows.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# package -> (path fragment identifying its files, floor in percent)
PACKAGES = {
    "SDK (scitrera_aether_client)": ("scitrera_aether_client/", 85.0),
    "gateway (aether_gateway)": ("aether_gateway/", 85.0),
    "generator (aether_codegen)": ("aether_codegen/", 85.0),
}
LIST_BELOW = 70.0


def _percent(covered: int, total: int) -> float:
    return 100.0 * covered / total if total else 100.0


def main(report_path: str) -> int:
    files = json.loads(Path(report_path).read_text())["files"]
    failed = False
    print("branch coverage (statements + branches):")
    for name, (fragment, floor) in PACKAGES.items():
        mine = {path: data["summary"] for path, data in files.items() if fragment in path}
        if not mine:
            print(f"  {name}: NO DATA (was it measured?)")
            failed = True
            continue
        covered = sum(s["covered_lines"] + s["covered_branches"] for s in mine.values())
        total = sum(s["num_statements"] + s["num_branches"] for s in mine.values())
        pct = _percent(covered, total)
        verdict = "ok" if pct >= floor else f"UNDER THE FLOOR of {floor:.0f}%"
        failed |= pct < floor
        print(f"  {name}: {pct:.1f}% of {total} ({len(mine)} files; floor {floor:.0f}%) {verdict}")
        for path, s in sorted(mine.items()):
            file_total = s["num_statements"] + s["num_branches"]
            file_pct = _percent(s["covered_lines"] + s["covered_branches"], file_total)
            if file_pct < LIST_BELOW:
                print(f"      under {LIST_BELOW:.0f}%: {file_pct:5.1f}% {path}")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
