"""Consumer positions in the event store's tracking table (``consumer:ia-<role>``).

Broker offsets on the embedded broker are unreliable (docs/adr/0002), so each consumer
also records the last store position (notification id) it processed; queue health
compares those with the store's head. A position only moves forward: the tracking table
refuses a second row at or below the recorded one, so the recorder starts from what is
stored (a restarted consumer re-reads messages it had processed before).

Must not: move a position back.
"""

from __future__ import annotations

import asyncio

from eventsourcing.persistence import Tracking, TrackingRecorder

from interview_analytics.streams.contract.groups import group_of


def consumer_position_name(role: str) -> str:
    """Where a consumer's last processed notification id is kept."""
    return f"consumer:{group_of(role)}"


class PositionRecorder:
    def __init__(self, tracking: TrackingRecorder, role: str) -> None:
        self.tracking = tracking
        self.name = consumer_position_name(role)
        self._recorded: int | None = None

    async def record(self, position: int) -> None:
        """Store ``position`` if it is ahead of the stored one (runs the SQL in a thread)."""
        if self._recorded is None:
            self._recorded = await asyncio.to_thread(self.tracking.max_tracking_id, self.name) or 0
        if position > self._recorded:
            await asyncio.to_thread(self.tracking.insert_tracking, Tracking(self.name, position))
            self._recorded = position
