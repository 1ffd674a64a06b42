"""The remembered identity verdicts are looked up by the wrong key (the string's length), so a
string that is invalid gets the verdict of a valid one checked before."""

from __future__ import annotations

FAULT = "identity_problem's cache is keyed by len(value), not by the value"
CAUGHT_BY = [
    "tests/sdk_unit/test_identity_cache.py"
    "::test_a_valid_identity_checked_first_does_not_admit_a_lookalike",
]


def plant() -> None:
    import functools

    from scitrera_aether_client._core import validation

    verdicts: dict[int, str | None] = {}

    @functools.wraps(validation._identity_problem)
    def by_length(value: str) -> str | None:
        if len(value) not in verdicts:
            verdicts[len(value)] = validation._identity_problem(value)
        return verdicts[len(value)]

    # The test clears the cache between cases; keep that call working.
    by_length.cache_clear = verdicts.clear  # type: ignore[attr-defined]
    validation._remembered_identity_problem = by_length  # type: ignore[assignment]
