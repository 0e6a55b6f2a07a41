"""Deliveries of a meeting's notices: the latest state of each, and the rule for a new attempt.

A delivery is one notice (``report.ready`` …) to one target (an address, a webhook
endpoint) over one channel, identified by a stable ``delivery_id``. Every attempt is a
``DeliveryAttempted`` event; the meeting keeps each delivery's latest attempt
(``DeliveryRecord``). ``accepts`` is the rule that makes a redelivered message, a restarted
notifier or a second redrive harmless: an attempt is recorded once, in order, and never
after the delivery was delivered or given up on — unless an operator re-drives a delivery
that was given up on, which opens it again with the next attempt number.

Must not: send anything, read a clock (attempt times are the events' own), or import the
aggregate or its events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from interview_analytics.domain.errors import InvalidCommandError

DELIVERED = "delivered"
FAILED = "failed"
GAVE_UP = "gave_up"
OUTCOMES = (DELIVERED, FAILED, GAVE_UP)
FINAL_OUTCOMES = frozenset({DELIVERED, GAVE_UP})
"""After these no attempt is recorded (a re-drive reopens ``gave_up``)."""


@dataclass(frozen=True)
class DeliveryRecord:
    """The latest attempt of one delivery, as its ``DeliveryAttempted`` event recorded it."""

    delivery_id: str
    channel: str
    target: str
    notice: str
    attempt: int
    outcome: str
    status_code: int | None
    error: str | None
    next_attempt_at: str | None
    attempted_at: datetime
    version: int
    """The stream version of that event (a dead letter names the ``gave_up`` one)."""

    def __deepcopy__(self, memo: dict[int, Any]) -> DeliveryRecord:
        return self  # frozen and flat: share it when eventsourcing copies a cached meeting

    @property
    def settled(self) -> bool:
        return self.outcome in FINAL_OUTCOMES


def validate_attempt(attempt: int, outcome: str, channel: str, target: str, notice: str) -> None:
    """The rules an attempt's own fields must keep, whatever the meeting's state."""
    if isinstance(attempt, bool) or not isinstance(attempt, int) or attempt < 1:
        raise InvalidCommandError("attempt must be an integer >= 1", attempt=attempt)
    if outcome not in OUTCOMES:
        raise InvalidCommandError(f"outcome must be one of {OUTCOMES}", outcome=outcome)
    for name, value in (("channel", channel), ("target", target), ("notice", notice)):
        if not value:
            raise InvalidCommandError(f"{name} must not be empty")


def accepts(latest: DeliveryRecord | None, attempt: int, *, redrive: bool = False) -> bool:
    """Whether attempt ``attempt`` is new for a delivery whose latest attempt is ``latest``.

    False (record nothing) for a repeat or an older attempt, and for any attempt after the
    delivery was delivered or given up on — except a ``redrive`` of one given up on. An
    attempt that skips numbers is refused: attempts are numbered without gaps.
    """
    previous = 0 if latest is None else latest.attempt
    if attempt <= previous:
        return False
    reopened = redrive and latest is not None and latest.outcome == GAVE_UP
    if latest is not None and latest.settled and not reopened:
        return False
    if attempt != previous + 1:
        raise InvalidCommandError(
            "delivery attempts are numbered without gaps", attempt=attempt, expected=previous + 1
        )
    return True
