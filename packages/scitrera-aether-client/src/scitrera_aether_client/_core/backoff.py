"""Reconnect policy: how long to wait before attempt n, and when to give up. No I/O, no clock.

Waits grow geometrically from ``initial`` by ``multiplier``, are capped at ``maximum``, and then
receive uniform jitter of ``±jitter`` (a fraction of the capped value) so that a fleet of clients
cut off by the same gateway restart does not reconnect in lockstep.

Deliberate difference from the reference client: there, attempt n >= 1 waited
``initial * multiplier**n``, so the first retry waited ``initial * multiplier`` (2 s with the
defaults) and ``initial`` itself was never used. Here attempt 1 waits ``initial``
(``initial * multiplier**(n-1)``), which is what a parameter called ``initial_backoff`` promises.
Attempt 0 (the first connection attempt) never waits, as in the reference. The cap and the
jitter match the reference: jitter is applied after the cap, so a wait may exceed ``maximum`` by up
to ``jitter * maximum``.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from scitrera_aether_client.exceptions import InvalidArgumentError

__all__ = ["Backoff", "RetryBudget"]


def _finite_number(argument: str, value: object, *, minimum: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidArgumentError(f"{argument} must be a number", argument=argument)
    if not math.isfinite(value) or value < minimum:
        raise InvalidArgumentError(
            f"{argument} must be finite and >= {minimum}, got {value}", argument=argument
        )
    return float(value)


class Backoff:
    """Delay before reconnect attempt ``n``: see the module docstring for the exact rule."""

    __slots__ = ("_rng", "initial", "jitter", "maximum", "multiplier")

    def __init__(
        self,
        initial: float,
        maximum: float,
        multiplier: float = 2.0,
        jitter: float = 0.25,
        rng: random.Random | None = None,
    ) -> None:
        self.initial = _finite_number("initial_backoff", initial, minimum=0.0)
        self.maximum = _finite_number("max_backoff", maximum, minimum=0.0)
        self.multiplier = _finite_number("backoff_multiplier", multiplier, minimum=1.0)
        self.jitter = _finite_number("jitter", jitter, minimum=0.0)
        if self.maximum < self.initial:
            raise InvalidArgumentError(
                f"max_backoff ({maximum}) must not be smaller than initial_backoff ({initial})",
                argument="max_backoff",
            )
        if self.jitter > 1.0:
            raise InvalidArgumentError(
                f"jitter must be at most 1.0, got {jitter}", argument="jitter"
            )
        self._rng = rng if rng is not None else random.Random()

    def base_delay(self, attempt: int) -> float:
        """The capped delay before jitter: 0 for attempt 0, then initial * multiplier**(n-1)."""
        if isinstance(attempt, bool) or not isinstance(attempt, int) or attempt < 0:
            raise InvalidArgumentError(
                f"attempt must be a non-negative int, got {attempt!r}", argument="attempt"
            )
        if attempt == 0:
            return 0.0
        try:
            grown = self.initial * self.multiplier ** (attempt - 1)
        except OverflowError:  # a long outage with unlimited retries; the cap applies anyway
            grown = math.inf
        return min(grown, self.maximum)

    def delay(self, attempt: int) -> float:
        """Seconds to sleep before attempt ``attempt`` (0 = the first try: no wait)."""
        base = self.base_delay(attempt)
        if base == 0.0 or self.jitter == 0.0:
            return base
        spread = base * self.jitter
        return max(0.0, base + self._rng.uniform(-spread, spread))

    def __repr__(self) -> str:
        return (
            f"Backoff(initial={self.initial}, maximum={self.maximum}, "
            f"multiplier={self.multiplier}, jitter={self.jitter})"
        )


@dataclass(frozen=True, slots=True)
class RetryBudget:
    """How many reconnect attempts may be made in a row; ``max_retries=0`` means no limit."""

    max_retries: int

    def __post_init__(self) -> None:
        value = self.max_retries
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidArgumentError(
                f"max_retries must be a non-negative int, got {value!r}", argument="max_retries"
            )

    @property
    def unlimited(self) -> bool:
        return self.max_retries == 0

    def exhausted(self, attempts: int) -> bool:
        """True once ``attempts`` failed attempts have used the whole budget."""
        return not self.unlimited and attempts >= self.max_retries
