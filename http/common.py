"""What several resources of the front door share: the contract version, the meeting-id
field and the status schema.

Must not: hold anything that belongs to one resource (declare it next to its handler).
"""

from __future__ import annotations

from interview_analytics.domain.ids import MEETING_ID_PATTERN
from interview_analytics.domain.read_filters import LANGUAGE_CODE, STATUSES
from interview_analytics.http.answers import Schema, one_of
from interview_analytics.http.fields import Field

API_VERSION = "v1"
MAX_SEQ = 2**31 - 1
MAX_NAMES = 100
"""Most recipients of a start, participants of a join."""
MAX_NAME_LENGTH = 320

MEETING_ID = Field(
    "meeting_id",
    "string",
    "1-128 letters, digits, '-', '_', '.', ':' (not '.' or '..' alone).",
    pattern=MEETING_ID_PATTERN.pattern,
    code="invalid_meeting_id",
)

STATUS: Schema = one_of(*STATUSES)


def language_field(
    description: str, *, example: str | None = None, allow_auto: bool = False
) -> Field:
    """A language code (``ru``, ``en-US``), as a start or a join takes it; a start also
    takes ``auto`` (``allow_auto``: detect it from the first speech)."""
    pattern = f"(?:{LANGUAGE_CODE}|[Aa][Uu][Tt][Oo])" if allow_auto else LANGUAGE_CODE
    return Field("language", "string", description, max_length=16, pattern=pattern, example=example)
