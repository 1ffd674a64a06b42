"""Unknown enum numbers are named with Enum.Name, which raises: AdminQuery op 99 is ERR_INTERNAL."""

from __future__ import annotations

FAULT = "health.enum_name uses OpType.Name, raising ValueError on unknown numbers"
CAUGHT_BY = [
    "tests/e2e/gateway/test_bad_input.py::"
    "test_out_of_range_numbers_are_answered_not_internal_errors",
    "tests/e2e/gateway/test_fuzz.py::test_fuzzed_frames_after_the_handshake",
]


def plant() -> None:
    from aether_gateway.handlers import health

    health.enum_name = lambda enum, value: enum.Name(value)  # type: ignore[attr-defined]
