"""Post-format generated Python with the pinned ruff, so templates can stay readable."""

from __future__ import annotations

import subprocess
import sys

# Pinned: a different ruff could format differently and make the committed tree look stale.
RUFF_VERSION = "0.17.6"
LINE_LENGTH = "100"
# The repository's isort setting, so generated imports sort the way `ruff check .` expects.
FIRST_PARTY = (
    'lint.isort.known-first-party = ["scitrera_aether_client", "aether_gateway", "aether_codegen"]'
)


def ruff_format(path: str, source: str) -> str:
    """Sort imports and `__all__`, then format; on failure show the text to debug the template."""
    base = [sys.executable, "-m", "ruff"]
    common = [
        "--isolated",
        "--line-length",
        LINE_LENGTH,
        "--config",
        FIRST_PARTY,
        "--stdin-filename",
        path,
    ]
    fixed = _run(
        [*base, "check", "--select", "I,F401,RUF022", "--fix-only", "--exit-zero", *common, "-"],
        source,
        path,
    )
    return _run([*base, "format", *common, "-"], fixed, path)


def _run(cmd: list[str], source: str, path: str) -> str:
    proc = subprocess.run(cmd, input=source, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        numbered = "\n".join(f"{i + 1:4} {line}" for i, line in enumerate(source.splitlines()))
        raise RuntimeError(f"ruff failed on generated {path}:\n{proc.stderr}\n{numbered}")
    return proc.stdout
