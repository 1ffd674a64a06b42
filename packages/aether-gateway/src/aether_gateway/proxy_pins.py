"""The HTTP proxy relay's pins: which request in flight runs between which two sessions.

Each request the relay forwards gets a pin under its wire id, found again by the caller's own
(session, request_id) for its request-body chunks and listed under both sessions so either side
ending can close what it had open. A pin lives for the request's timeout plus some slack,
refreshed by every frame it relays; expired pins are dropped when looked up and swept now and then.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_PIN_TTL_S = 60.0
PIN_SLACK_S = 30.0  # added to the request's own timeout so late chunks still find their pin
_SWEEP_EVERY_S = 5.0


@dataclass
class Pin:
    """One request in flight between a caller session and a terminator session."""

    wire_id: str
    original_id: str
    caller_session: str
    caller_topic: str
    service_session: str
    service_topic: str
    ttl_s: float
    expires_at: float


def pin_ttl(timeout_ms: int) -> float:
    return timeout_ms / 1000.0 + PIN_SLACK_S if timeout_ms > 0 else DEFAULT_PIN_TTL_S


class PinTable:
    """Pins by wire id, by (caller session, original id) and by either side's session."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.pins: dict[str, Pin] = {}
        self.by_origin: dict[tuple[str, str], str] = {}  # (caller session, original id) -> wire
        self.by_session: dict[str, set[str]] = {}  # either side's session -> its wire ids
        self._last_sweep = clock()

    def add(self, pin: Pin) -> None:
        self._sweep()
        self.pins[pin.wire_id] = pin
        self.by_origin[(pin.caller_session, pin.original_id)] = pin.wire_id
        for sid in (pin.caller_session, pin.service_session):
            self.by_session.setdefault(sid, set()).add(pin.wire_id)

    def drop(self, pin: Pin) -> None:
        self.pins.pop(pin.wire_id, None)
        key = (pin.caller_session, pin.original_id)
        if self.by_origin.get(key) == pin.wire_id:
            del self.by_origin[key]
        for sid in (pin.caller_session, pin.service_session):
            wires = self.by_session.get(sid)
            if wires is not None:
                wires.discard(pin.wire_id)
                if not wires:
                    del self.by_session[sid]

    def live(self, wire_id: str) -> Pin | None:
        """The pin of `wire_id` unless it expired (then it is dropped)."""
        pin = self.pins.get(wire_id) if wire_id else None
        if pin is not None and pin.expires_at < self.clock():
            self.drop(pin)
            return None
        return pin

    def of_caller(self, caller_session: str, original_id: str) -> Pin | None:
        """The live pin of the request the caller knows as `original_id`."""
        return self.live(self.by_origin.get((caller_session, original_id), ""))

    def of_session(self, session_id: str) -> list[Pin]:
        """Every pin either side of which is `session_id`; the session's index entry goes."""
        wires = self.by_session.pop(session_id, set())
        return [pin for wire in wires if (pin := self.pins.get(wire)) is not None]

    def refresh(self, pin: Pin) -> None:
        pin.expires_at = self.clock() + pin.ttl_s

    def _sweep(self) -> None:
        now = self.clock()
        if now - self._last_sweep < _SWEEP_EVERY_S:
            return
        self._last_sweep = now
        for pin in [p for p in self.pins.values() if p.expires_at < now]:
            self.drop(pin)
