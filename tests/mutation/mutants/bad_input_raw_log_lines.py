"""Client text goes to the log as it came: unclipped, with its line breaks."""

from __future__ import annotations

FAULT = "logsafe.one_line returns its text unchanged"
CAUGHT_BY = [
    "tests/e2e/gateway/test_bad_input.py::test_client_text_cannot_forge_log_lines",
]


def plant() -> None:
    from aether_gateway import logsafe

    logsafe.one_line = lambda text, limit=0: text
