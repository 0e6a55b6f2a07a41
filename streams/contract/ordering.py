"""Per-meeting order: the partition a meeting's events go to, and the consumers' dedupe.

The relay keys every message by meeting id, so the producers' default partitioner puts all
of a meeting's events on one partition, in version order. Delivery is at least once, so a
consumer drops what it has already applied by ``(meeting_id, version)``.

Must not: talk to a broker.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiokafka.partitioner import murmur2


def meeting_partition(meeting_id: str, partitions: int) -> int:
    """The meeting-events partition a meeting's events go to: the Kafka producers' default
    partitioner (murmur2 of the key), which the relay uses. Lets a worker tell which
    meetings belong to the partitions it was assigned."""
    return int(murmur2(meeting_id.encode()) & 0x7FFFFFFF) % partitions


class StreamDeduper:
    """Consumer-side dedupe on (meeting_id, version).

    The relay is at-least-once; a consumer that has applied version N of a meeting drops
    every message with a version <= N. Versions of one meeting arrive in order on one
    partition, so a gap (version > N + 1) means a message was lost upstream and is
    reported rather than hidden.
    """

    def __init__(self, seen: Mapping[str, int] | None = None) -> None:
        self.last_version: dict[str, int] = dict(seen or {})
        self.gaps: list[tuple[str, int, int]] = []

    def accept(self, meeting_id: str, version: int) -> bool:
        last = self.last_version.get(meeting_id, 0)
        if version <= last:
            return False
        if version != last + 1:
            self.gaps.append((meeting_id, last, version))
        self.last_version[meeting_id] = version
        return True
