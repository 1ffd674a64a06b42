"""docs/security.md names the test behind each guarantee: every one it names must exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
DOC = ROOT / "docs" / "security.md"
HERE = Path(__file__).resolve().parent

# `test_x.py::test_name`, `tests/e2e/test_x.py::test_name`, or `::test_name` (same file as before)
REFERENCE = re.compile(r"`((?:[\w/]+/)?test_\w+\.py)?::(test_\w+)`")


def named_tests() -> list[tuple[Path, str]]:
    table = DOC.read_text().split("## Guarantees and the tests that enforce them", 1)[1]
    found: list[tuple[Path, str]] = []
    current: Path | None = None
    for line in table.splitlines():
        for file_part, name in REFERENCE.findall(line):
            if file_part:
                current = ROOT / file_part if "/" in file_part else HERE / file_part
            assert current is not None, f"{name} names no file: {line}"
            found.append((current, name))
    return found


def test_every_test_named_in_security_md_exists() -> None:
    named = named_tests()
    assert len(named) > 30  # the table was parsed, not skipped
    missing = [
        f"{path.relative_to(ROOT)}::{name}"
        for path, name in named
        if not path.exists()
        or not re.search(rf"^(async )?def {name}\(", path.read_text(), re.MULTILINE)
    ]
    assert missing == []
