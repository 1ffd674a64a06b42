"""Backoff and RetryBudget: pure policy, checked with seeded random generators."""

from __future__ import annotations

import random

import pytest

from scitrera_aether_client._core.backoff import Backoff, RetryBudget
from scitrera_aether_client.exceptions import InvalidArgumentError


def test_attempt_zero_never_waits() -> None:
    assert Backoff(1.0, 30.0).delay(0) == 0.0
    assert Backoff(1.0, 30.0).base_delay(0) == 0.0


def test_first_retry_waits_initial_not_initial_times_multiplier() -> None:
    # The reference waited initial * multiplier (2 s) before its first retry; we wait initial.
    policy = Backoff(1.0, 30.0, jitter=0.0)
    assert policy.delay(1) == 1.0


def test_base_delays_grow_geometrically_then_cap() -> None:
    policy = Backoff(1.0, 30.0)
    assert [policy.base_delay(n) for n in range(1, 8)] == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    tripling = Backoff(0.5, 10.0, multiplier=3.0)
    assert [tripling.base_delay(n) for n in range(1, 5)] == [0.5, 1.5, 4.5, 10.0]


def test_without_jitter_delay_equals_base() -> None:
    policy = Backoff(0.25, 5.0, jitter=0.0)
    assert [policy.delay(n) for n in range(6)] == [policy.base_delay(n) for n in range(6)]


def test_huge_attempt_numbers_stay_at_the_cap() -> None:
    policy = Backoff(1.0, 30.0, jitter=0.0)
    assert policy.delay(10_000) == 30.0
    assert policy.delay(10**9) == 30.0


@pytest.mark.parametrize("seed", range(5))
def test_jitter_stays_within_a_quarter_of_the_base(seed: int) -> None:
    policy = Backoff(1.0, 30.0, rng=random.Random(seed))
    for attempt in range(1, 12):
        base = policy.base_delay(attempt)
        for _ in range(200):
            wait = policy.delay(attempt)
            assert base * 0.75 <= wait <= base * 1.25


def test_jitter_may_exceed_the_cap_by_at_most_the_jitter_fraction() -> None:
    policy = Backoff(1.0, 30.0, rng=random.Random(7))
    waits = [policy.delay(20) for _ in range(2000)]
    assert max(waits) <= 37.5
    assert min(waits) >= 22.5
    assert max(waits) > 30.0  # jitter is applied after the cap, as in the reference
    assert min(waits) < 30.0


def test_jitter_actually_spreads_values() -> None:
    policy = Backoff(1.0, 30.0, rng=random.Random(1))
    assert len({policy.delay(3) for _ in range(50)}) > 40


def test_seeded_generators_give_reproducible_sequences() -> None:
    first = Backoff(1.0, 30.0, rng=random.Random(42))
    second = Backoff(1.0, 30.0, rng=random.Random(42))
    assert [first.delay(n) for n in range(10)] == [second.delay(n) for n in range(10)]


def test_full_jitter_is_never_negative() -> None:
    policy = Backoff(1.0, 4.0, jitter=1.0, rng=random.Random(3))
    waits = [policy.delay(n) for n in range(1, 5) for _ in range(500)]
    assert min(waits) >= 0.0
    assert max(waits) <= 8.0


def test_zero_initial_means_no_waits() -> None:
    policy = Backoff(0.0, 0.0)
    assert [policy.delay(n) for n in range(5)] == [0.0] * 5


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"initial": -1.0, "maximum": 30.0}, "initial_backoff"),
        ({"initial": float("nan"), "maximum": 30.0}, "initial_backoff"),
        ({"initial": 1.0, "maximum": float("inf")}, "max_backoff"),
        ({"initial": 5.0, "maximum": 1.0}, "max_backoff"),
        ({"initial": 1.0, "maximum": 30.0, "multiplier": 0.5}, "backoff_multiplier"),
        ({"initial": 1.0, "maximum": 30.0, "jitter": -0.1}, "jitter"),
        ({"initial": 1.0, "maximum": 30.0, "jitter": 1.5}, "jitter"),
        ({"initial": "1", "maximum": 30.0}, "initial_backoff"),
        ({"initial": True, "maximum": 30.0}, "initial_backoff"),
    ],
)
def test_invalid_parameters_are_rejected(kwargs: dict[str, object], argument: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        Backoff(**kwargs)  # type: ignore[arg-type]
    assert info.value.argument == argument


@pytest.mark.parametrize("attempt", [-1, 1.5, True, "2"])
def test_invalid_attempts_are_rejected(attempt: object) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        Backoff(1.0, 30.0).delay(attempt)  # type: ignore[arg-type]
    assert info.value.argument == "attempt"


def test_integers_are_accepted_and_stored_as_floats() -> None:
    policy = Backoff(1, 30, multiplier=2, jitter=0)
    assert policy.delay(2) == 2.0
    assert "initial=1.0" in repr(policy)


def test_retry_budget_limits_attempts() -> None:
    budget = RetryBudget(5)
    assert not budget.unlimited
    assert [budget.exhausted(n) for n in range(7)] == [False] * 5 + [True, True]


def test_retry_budget_zero_is_unlimited() -> None:
    budget = RetryBudget(0)
    assert budget.unlimited
    assert not budget.exhausted(0)
    assert not budget.exhausted(10**9)


@pytest.mark.parametrize("bad", [-1, 1.0, True, None])
def test_retry_budget_rejects_invalid_limits(bad: object) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        RetryBudget(bad)  # type: ignore[arg-type]
    assert info.value.argument == "max_retries"
