"""`aether`: talk to any Aether gateway from a shell (docs/cli.md).

The commands live in `commands` and need click, which the `cli` extra brings
(``pip install 'scitrera-aether-client[cli]'``); without it `aether` says so and exits 2.
"""

from __future__ import annotations

import sys

__all__ = ["INSTALL_HINT", "main"]

INSTALL_HINT = "aether: the CLI needs click: pip install 'scitrera-aether-client[cli]'"


def main(argv: list[str] | None = None) -> int:
    """Run the CLI with `argv` (default: the process arguments); returns the exit code."""
    try:
        from scitrera_aether_client.cli.commands import run
    except ModuleNotFoundError as missing:
        if missing.name != "click":
            raise
        print(INSTALL_HINT, file=sys.stderr)
        return 2
    return run(argv)
