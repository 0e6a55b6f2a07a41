"""Meeting documents kept in memory, invalidated by the event stream.

A GET of a meeting costs three read-model queries (~7 ms on chDB, one at a time per
client). :class:`MeetingCache` keeps the rendered answer of recently read meetings and
serves it again while no newer event of that meeting has been seen on ``meeting-events``:
the app's live feed (the ``LiveFeed`` port), which follows the topic anyway, reports every
event's ``(meeting_id, version)`` through :meth:`saw`, and an entry older than the newest
version seen is dropped. The feed runs ahead of the read model (the projector follows the
same topic), so a cached answer is never older than what the read model would have given
a moment earlier.

The cache is only used while the feed is connected (``active``): without it nothing would
invalidate entries, so the cache is cleared and every GET queries the read model. Entries
and versions are bounded (least recently used go first).

Must not: cache answers of the write model (they are not the read model's), or answer a
``min_version`` the entry does not reach.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True)
class CachedMeeting:
    version: int
    tenant: str | None
    body: bytes
    """The rendered JSON answer."""


class MeetingCache:
    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self.active = False
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[str, CachedMeeting] = OrderedDict()
        self._seen: OrderedDict[str, int] = OrderedDict()

    def set_active(self, active: bool) -> None:
        """The feed connected (True) or lost the stream (False); either way start empty."""
        self.active = active
        self._entries.clear()
        self._seen.clear()

    def saw(self, meeting_id: str, version: int) -> None:
        """An event of ``meeting_id`` at ``version`` went by on the stream."""
        if version > self._seen.get(meeting_id, 0):
            self._seen[meeting_id] = version
        self._seen.move_to_end(meeting_id)
        if len(self._seen) > self.capacity * 2:
            evicted, _ = self._seen.popitem(last=False)
            self._entries.pop(evicted, None)
        entry = self._entries.get(meeting_id)
        if entry is not None and entry.version < version:
            del self._entries[meeting_id]

    def get(self, meeting_id: str, min_version: int | None = None) -> CachedMeeting | None:
        entry = self._entries.get(meeting_id) if self.active else None
        if entry is None or (min_version is not None and entry.version < min_version):
            self.misses += 1
            return None
        self._entries.move_to_end(meeting_id)
        self.hits += 1
        return entry

    def put(self, meeting_id: str, entry: CachedMeeting) -> None:
        """Keep ``entry`` unless the stream already showed a newer version."""
        if not self.active or entry.version < self._seen.get(meeting_id, 0):
            return
        self._entries[meeting_id] = entry
        self._entries.move_to_end(meeting_id)
        if len(self._entries) > self.capacity:
            self._entries.popitem(last=False)
