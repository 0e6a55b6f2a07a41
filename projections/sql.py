"""Pieces every read query shares: result limits, time bounds and optional filters.

Must not: build SQL from values; values always travel as bound parameters.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from interview_analytics.domain.read_filters import MAX_LIMIT


def clamp_limit(limit: int) -> int:
    """A page size within 1..MAX_LIMIT."""
    return max(1, min(MAX_LIMIT, int(limit)))


def micros(moment: datetime) -> int:
    """Microseconds since the epoch (a naive time counts as UTC), for Int64 parameters."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


class Filters:
    """Optional conditions joined with AND: each a constant SQL fragment plus its values."""

    def __init__(self, **parameters: Any) -> None:
        self.clauses: list[str] = []
        self.parameters: dict[str, Any] = dict(parameters)

    def add(self, clause: str, **parameters: Any) -> None:
        self.clauses.append(clause)
        self.parameters.update(parameters)

    def time_range(self, column: str, since: datetime | None, until: datetime | None) -> None:
        """``column`` at or after ``since`` and before ``until`` (each optional), compared
        on the column itself so that an ordering key on it can be used."""
        if since is not None:
            self.add(
                f"{column} >= fromUnixTimestamp64Micro({{since_us:Int64}}, 'UTC')",
                since_us=micros(since),
            )
        if until is not None:
            self.add(
                f"{column} < fromUnixTimestamp64Micro({{until_us:Int64}}, 'UTC')",
                until_us=micros(until),
            )

    def where(self) -> str:
        return " WHERE " + " AND ".join(self.clauses) if self.clauses else ""
