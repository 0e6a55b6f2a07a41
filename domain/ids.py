"""Meeting identifiers: validation, generation and the deterministic aggregate id.

Meeting ids end up in storage keys, Kafka keys, file names and logs, so the alphabet is
closed: 1-128 characters of letters, digits, ``-``, ``_``, ``.`` and ``:``; ``.`` and ``..``
alone are refused because they are path components.

Must not: draw random numbers or read the clock (``new_meeting_id`` is given both).
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from interview_analytics.domain.errors import InvalidMeetingIdError

MEETING_ID_PATTERN = re.compile(r"[A-Za-z0-9_.:\-]{1,128}")

# A fixed namespace so that the same meeting id always maps to the same aggregate id,
# in every process and on every replay.
MEETING_NAMESPACE = uuid.UUID("6f0d4f3e-5c3a-4c57-9a3e-2b8f6e0e9a11")


def validate_meeting_id(meeting_id: str) -> str:
    """Return ``meeting_id`` unchanged, or raise :class:`InvalidMeetingIdError`."""
    if (
        not isinstance(meeting_id, str)
        or not MEETING_ID_PATTERN.fullmatch(meeting_id)
        or meeting_id in {".", ".."}
    ):
        raise InvalidMeetingIdError(
            "meeting_id must be 1-128 characters of letters, digits, '-', '_', '.', ':'"
            " and not '.' or '..'",
            meeting_id=str(meeting_id)[:200],
        )
    return meeting_id


def new_meeting_id(now: datetime, random_hex: str) -> str:
    """``mtg_<UTC yyyymmddHHMMSS>_<10 hex>``: the contract's generated id.

    Time and randomness are passed in so that the domain stays free of I/O.
    """
    if len(random_hex) != 10 or any(c not in "0123456789abcdef" for c in random_hex):
        raise ValueError("random_hex must be 10 lowercase hex digits")
    return f"mtg_{now.strftime('%Y%m%d%H%M%S')}_{random_hex}"


def meeting_aggregate_id(meeting_id: str) -> uuid.UUID:
    """The aggregate (stream) id of a meeting: uuid5 of its meeting id."""
    return uuid.uuid5(MEETING_NAMESPACE, meeting_id)
