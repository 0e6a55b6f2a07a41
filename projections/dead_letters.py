"""Rows of the ``dead_letters`` table: what the pipeline gave up on.

One row per letter id (stable per stage and original message); the engine keeps the copy
with the most attempts. ``resolved`` is 0 when projected: a letter is resolved once its
meeting has a result for that stage and input, which ``Queries.dead_letters`` works out
from ``event_log`` at read time.

The builder takes anything shaped like ``streams.dead_letters.DeadLetter`` (this layer may
not import that module), or the letter's JSON as it travels on the ``dead-letters`` topic.

Must not: do I/O or read the clock (``failed_at`` is the letter's own time).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Protocol

TABLE = "dead_letters"


class DeadLetterLike(Protocol):
    """The fields of ``streams.dead_letters.DeadLetter`` that the table keeps."""

    @property
    def letter_id(self) -> str: ...
    @property
    def stage(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def meeting_id(self) -> str: ...
    @property
    def event_type(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def notification_id(self) -> int | None: ...
    @property
    def error_code(self) -> str: ...
    @property
    def error_message(self) -> str: ...
    @property
    def attempts(self) -> int: ...
    @property
    def failed_at(self) -> str: ...


def dead_letter_row(letter: DeadLetterLike, *, resolved: bool = False) -> dict[str, Any]:
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
    body: dict[str, Any] = json.loads(data)
    return {
        "letter_id": str(body["letter_id"]),
        "stage": str(body["stage"]),
        "kind": str(body["kind"]),
        "meeting_id": str(body["meeting_id"]),
        "version": int(body["version"]),
        "notification_id": body.get("notification_id"),
        "event_type": str(body["event_type"]),
        "error_code": str(body["error_code"]),
        "error_message": str(body["error_message"]),
        "attempts": int(body["attempts"]),
        "failed_at": parse_time(str(body["failed_at"])),
        "resolved": 0,
    }


def parse_time(text: str) -> datetime:
    """An ISO-8601 time as an aware UTC datetime (naive times are taken as UTC)."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
