"""Rows of the ``queue_health`` table: samples of each consumer group's progress.

Lag is counted in event-store positions, not broker offsets (the embedded broker reports
end offsets wrongly): ``head`` is the newest notification id in the store, ``position``
the last one the group has processed, ``relay_position`` the last one published to Kafka.
Whoever samples (ops/) builds a :class:`QueueSample`; this module only turns it into a row.

Must not: do I/O or read the clock (the sample carries its own time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from interview_analytics.streams.contract.groups import ROLES_WITH_POSITIONS, group_of
from interview_analytics.streams.contract.topics import MEETING_EVENTS

TABLE = "queue_health"

KNOWN_GROUPS = tuple(group_of(role) for role in ROLES_WITH_POSITIONS)
"""The consumer groups of meeting-events; each gets a row even before its first sample."""


@dataclass(frozen=True)
class QueueSample:
    sampled_at: datetime
    group: str
    head: int
    position: int
    relay_position: int
    dead_letters: int = 0
    topic: str = MEETING_EVENTS

    @property
    def lag(self) -> int:
        return max(0, self.head - self.position)

    @property
    def relay_backlog(self) -> int:
        return max(0, self.head - self.relay_position)


def sample_row(sample: QueueSample) -> dict[str, Any]:
    sampled_at = sample.sampled_at
    if sampled_at.tzinfo is None:
        sampled_at = sampled_at.replace(tzinfo=UTC)
    return {
        "sampled_at": sampled_at,
        "group_name": sample.group,
        "topic": sample.topic,
        "head": max(0, sample.head),
        "position": max(0, sample.position),
        "lag": sample.lag,
        "relay_position": max(0, sample.relay_position),
        "relay_backlog": sample.relay_backlog,
        "dead_letters": max(0, sample.dead_letters),
    }
