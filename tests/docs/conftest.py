"""Reports how many documentation blocks ran and which opted out, at the end of the run."""

from __future__ import annotations

from typing import Any

from .snippets import blocks


def pytest_terminal_summary(terminalreporter: Any) -> None:
    found = blocks()
    skipped = [b for b in found if b.skip]
    terminalreporter.write_line(
        f"docs: {len(found) - len(skipped)} of {len(found)} Python blocks run, "
        f"{len(skipped)} opted out"
    )
    for block in skipped:
        terminalreporter.write_line(f"  opted out: {block.where}: {block.skip}")
