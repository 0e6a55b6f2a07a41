"""Reading a few kinds of meeting events from the event store's notification log.

The idle finisher (``streams/idle_finisher.py``) and the retention worker
(``ops/retention.py``) keep no state of their own: each follows the log filtered to the
stored topics its rules depend on (``select_notifications(..., topics=...)``) and rebuilds
what it needs from those events alone. This is that read, in log order, page by page.

Must not: write anything, or keep a position of its own (the caller does).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from interview_analytics.domain.application import Meetings


def followed_events(
    meetings: Meetings, after: int, topics: Sequence[str], batch_size: int
) -> Iterator[tuple[int, Any]]:
    """(notification id, domain event) of every stored event of ``topics`` after position
    ``after``, oldest first; blocking (call it off the event loop)."""
    position = after
    while True:
        batch = meetings.recorder.select_notifications(position + 1, batch_size, topics=topics)
        for notification in batch:
            position = notification.id
            yield position, meetings.mapper.to_domain_event(notification)
        if len(batch) < batch_size:
            return
