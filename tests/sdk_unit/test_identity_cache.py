"""identity_problem remembers its verdict per string (the send path checks the same identities on
every call): a remembered verdict is always the one a fresh check gives, for valid and invalid
strings alike, whatever was checked before; only exact, short str values are remembered."""

from __future__ import annotations

import pytest

from scitrera_aether_client._core import validation as v
from scitrera_aether_client._generated import topics
from scitrera_aether_client.exceptions import InvalidArgumentError

# Valid and invalid values of equal length next to each other: a cache keyed on anything but
# the whole string would hand one the other's verdict.
VALUES = [
    "ws-a",
    "ws:a",
    "ws*a",
    "ws a",
    "wsXa",
    "é" * 65,
    "e" * 65,
    "ag\x00b",
    "agent-1",
    "agent|1",
    "\ud800abc",
    "x" * 128,
]


def test_remembered_verdicts_match_a_fresh_check_in_any_order() -> None:
    v._remembered_identity_problem.cache_clear()
    for value in VALUES + VALUES[::-1] + VALUES:
        assert v.identity_problem(value) == v._identity_problem(value), value


@pytest.mark.parametrize("bad", ["ws:a", "ws*a", "ws a"])
def test_a_valid_identity_checked_first_does_not_admit_a_lookalike(bad: str) -> None:
    v._remembered_identity_problem.cache_clear()
    assert topics.create_topic_agent("ws-a", "impl", "spec") == "ag::ws-a::impl::spec"
    for _ in range(2):  # refused the first time and when its verdict is remembered
        with pytest.raises(InvalidArgumentError):
            topics.create_topic_agent(bad, "impl", "spec")


class _LooksValid(str):
    """A str whose equality and hash are those of a valid identity it does not spell."""

    def __eq__(self, other: object) -> bool:
        return other == "ws-a" or str.__eq__(self, other)

    def __hash__(self) -> int:
        return hash("ws-a")


def test_a_str_subclass_is_checked_by_its_characters() -> None:
    v._remembered_identity_problem.cache_clear()
    assert v.identity_problem("ws-a") is None
    with pytest.raises(InvalidArgumentError):
        v.check_identity_field("workspace", _LooksValid("ws:a"), required=True)


def test_the_cache_is_bounded_and_skips_long_strings() -> None:
    v._remembered_identity_problem.cache_clear()
    assert v._remembered_identity_problem.cache_info().maxsize == 4096
    assert v.identity_problem("y" * 10_000) is not None
    assert v._remembered_identity_problem.cache_info().currsize == 0
    for i in range(5000):
        v.identity_problem(f"id-{i}")
    assert v._remembered_identity_problem.cache_info().currsize == 4096
