"""Rewrite the committed goldens from the mini fixture.

Run: python generator/tests/regen_goldens.py
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from helpers import GOLDEN, GOLDEN_TS, render_fixture, render_fixture_ts


def main() -> None:
    if GOLDEN.exists():
        shutil.rmtree(GOLDEN)
    for rel, text in render_fixture().items():
        target = GOLDEN / rel.removeprefix("pkg/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    if GOLDEN_TS.exists():
        shutil.rmtree(GOLDEN_TS)
    for rel, text in render_fixture_ts().items():
        target = GOLDEN_TS / rel.removeprefix("generated/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    print(f"goldens rewritten under {GOLDEN} and {GOLDEN_TS}")


if __name__ == "__main__":
    main()
