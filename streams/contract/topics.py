"""The topics: their names and how many partitions each is created with.

Kebab-case plural nouns of what flows, one producing role each (docs/events.md):
``meeting-events`` (the relay; key = meeting id, as many partitions as configured, so one
meeting's events stay ordered on one partition), ``dead-letters`` (the pipeline stages) and
``security-audit`` (the API), one partition each.

Must not: talk to a broker (creating topics is ``streams/topics.py``, an adapter).
"""

from __future__ import annotations

from dataclasses import dataclass

MEETING_EVENTS = "meeting-events"
DEAD_LETTERS = "dead-letters"
SECURITY_AUDIT = "security-audit"


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replication_factor: int = 1


def topic_specs(meeting_events_partitions: int, replication_factor: int = 1) -> list[TopicSpec]:
    """Every topic the system uses, as it must be created."""
    return [
        TopicSpec(MEETING_EVENTS, meeting_events_partitions, replication_factor),
        TopicSpec(DEAD_LETTERS, 1, replication_factor),
        TopicSpec(SECURITY_AUDIT, 1, replication_factor),
    ]
