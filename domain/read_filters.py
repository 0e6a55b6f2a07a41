"""What a read of the read models may ask for, declared once: the read filters.

Each filter is a frozen dataclass whose fields are the filter's criteria, with their
defaults; each field's ``metadata[MEANING]`` is a :class:`Meaning` (one line for people,
and the limits a value must keep). ``projections.queries.Queries`` takes these objects;
``http/`` derives its query parameters (validation and OpenAPI) from the same fields;
the docs are checked against them by a test. A field marked ``internal`` is set by the
server (from who is asking, or by a worker), never from a request.

Must not: import anything but the standard library and the domain, or know how a filter
is turned into SQL or into query parameters.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from interview_analytics.domain.lifecycle import Status
from interview_analytics.domain.results import STAGES

MEANING = "meaning"
MAX_LIMIT = 500
"""The most rows one read returns; larger limits are refused (or clamped where said)."""
LANGUAGE_CODE = r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8}){0,3}"
"""A language code as clients write it: ``ru``, ``en-US``, ``zh_Hant_TW``."""
STATUSES = (Status.QUEUED, Status.PROCESSING, Status.FINALIZING, Status.DONE, Status.FAILED)


@dataclass(frozen=True)
class Meaning:
    """What one criterion means and which values it takes."""

    description: str
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    """A regular expression the whole value must match."""
    choices: tuple[str, ...] | None = None
    internal: bool = False
    """Set by the server (from the caller's identity, or by a worker); never a request
    parameter."""


def meaning(description: str, **limits: Any) -> dict[str, Meaning]:
    """The ``metadata`` of a filter field: ``field(default=…, metadata=meaning(…))``."""
    return {MEANING: Meaning(description, **limits)}


def criteria(filter_type: type[Any]) -> list[tuple[dataclasses.Field[Any], Meaning]]:
    """The fields of a filter class with their meanings, in declaration order."""
    return [(f, f.metadata[MEANING]) for f in dataclasses.fields(filter_type)]


def parameters(filter_type: type[Any]) -> list[str]:
    """The names a client may send (every criterion not set from the caller)."""
    return [f.name for f, about in criteria(filter_type) if not about.internal]


@dataclass(frozen=True)
class MeetingFilter:
    """Meetings newest first, one page at a time (keyset pagination by ``cursor``)."""

    status: str | None = field(
        default=None, metadata=meaning("Only meetings in this status.", choices=STATUSES)
    )
    language: str | None = field(
        default=None, metadata=meaning("Only meetings in this language.", pattern=LANGUAGE_CODE)
    )
    started_from: datetime | None = field(
        default=None, metadata=meaning("Started at or after (ISO-8601; naive = UTC).")
    )
    started_to: datetime | None = field(
        default=None, metadata=meaning("Started before (ISO-8601; naive = UTC).")
    )
    cursor: str | None = field(
        default=None, metadata=meaning("next_cursor of the previous page.", max_length=1000)
    )
    limit: int = field(default=50, metadata=meaning("Page size.", minimum=1, maximum=MAX_LIMIT))
    tenant: str | None = field(
        default=None,
        metadata=meaning("Only meetings started under this tenant.", internal=True),
    )


@dataclass(frozen=True)
class DeadLetterFilter:
    """Dead letters newest first, resolved or not."""

    meeting_id: str | None = field(default=None, metadata=meaning("Only letters of this meeting."))
    stage: str | None = field(
        default=None, metadata=meaning("Only letters of this stage.", choices=STAGES)
    )
    include_resolved: bool = field(default=True, metadata=meaning("Also letters resolved since."))
    limit: int = field(default=100, metadata=meaning("Most letters.", minimum=1, maximum=MAX_LIMIT))


@dataclass(frozen=True)
class SecurityAuditFilter:
    """The front door's allow/deny decisions, newest first."""

    allowed: bool | None = field(
        default=None, metadata=meaning("Only allowed (true) or denied (false) decisions.")
    )
    subject: str | None = field(
        default=None, metadata=meaning("Only this caller's decisions.", max_length=300)
    )
    endpoint: str | None = field(
        default=None,
        metadata=meaning(
            "Only this route template, e.g. /v1/meetings/{meeting_id}.", max_length=300
        ),
    )
    since: datetime | None = field(
        default=None, metadata=meaning("Decided at or after (ISO-8601; naive = UTC).")
    )
    until: datetime | None = field(
        default=None, metadata=meaning("Decided before (ISO-8601; naive = UTC).")
    )
    limit: int = field(
        default=100, metadata=meaning("Most decisions.", minimum=1, maximum=MAX_LIMIT)
    )


@dataclass(frozen=True)
class ConnectorSessionsFilter:
    """Connector sessions newest first (or the longest unseen first)."""

    limit: int = field(default=100, metadata=meaning(f"Most sessions; clamped to 1..{MAX_LIMIT}."))
    states: tuple[str, ...] | None = field(
        default=None, metadata=meaning("Only sessions in these states.", internal=True)
    )
    stalest_first: bool = field(
        default=False,
        metadata=meaning("Longest unseen first instead of newest first.", internal=True),
    )
