"""Publishing dead letters: the sink a stage hands its letters to, and their time stamp.

The letter itself, and its JSON form on ``dead-letters``, are the contract's
(``streams/contract/dead_letters.py``); they are re-exported here for the stages.

Must not: decide what is dead-lettered (``streams/pipeline.py`` does).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from interview_analytics.streams.contract.dead_letters import (
    FAILED,
    REJECTED,
    DeadLetter,
    OriginalMessage,
)

__all__ = ["FAILED", "REJECTED", "DeadLetter", "DeadLetterSink", "OriginalMessage", "now_iso"]


class DeadLetterSink(Protocol):
    async def publish(self, letter: DeadLetter) -> None: ...


def now_iso() -> str:
    return datetime.now(UTC).isoformat()
