"""Rows of the ``dead_letters`` table: what the pipeline gave up on.

One row per letter id (stable per stage and original message); the engine keeps the copy
with the most attempts. ``resolved`` is 0 when projected: a letter is resolved once its
meeting has a result for that stage and input, which ``Queries.dead_letters`` works out
from ``event_log`` at read time.

The builder takes the contract's ``DeadLetter``, or the letter's JSON as it travels on the
``dead-letters`` topic (``streams/contract/dead_letters.py``).

Must not: do I/O or read the clock (``failed_at`` is the letter's own time).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from interview_analytics.streams.contract.dead_letters import DeadLetter

TABLE = "dead_letters"


def dead_letter_row(letter: DeadLetter, *, resolved: bool = False) -> dict[str, Any]:
    return {
        "letter_id": letter.letter_id,
        "stage": letter.stage,
        "kind": letter.kind,
        "meeting_id": letter.meeting_id,
        "version": int(letter.version),
        "notification_id": letter.notification_id,
        "event_type": letter.event_type,
        "error_code": letter.error_code,
        "error_message": letter.error_message,
        "attempts": int(letter.attempts),
        "failed_at": parse_time(letter.failed_at),
        "resolved": int(resolved),
    }


def dead_letter_row_from_json(data: bytes | str) -> dict[str, Any]:
    """The row of a dead letter as serialised on the topic (``DeadLetter.to_json``)."""
    return dead_letter_row(DeadLetter.from_json(data))


def parse_time(text: str) -> datetime:
    """An ISO-8601 time as an aware UTC datetime (naive times are taken as UTC)."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
