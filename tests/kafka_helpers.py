"""Reading the meeting-events topic back in tests, the way a downstream consumer would."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass

from interview_analytics.streams.contract import (
    EVENT_TYPE_HEADER,
    MEETING_EVENTS,
    Envelope,
    EventCodec,
    header,
)
from interview_analytics.streams.topics import polls_from_beginning


@dataclass(frozen=True)
class Received:
    partition: int
    offset: int
    key: str
    event_type_header: str | None
    envelope: Envelope


async def read_topic(
    bootstrap_servers: str,
    *,
    expect_at_least: int,
    timeout_sec: float = 30.0,
    settle_sec: float = 1.0,
    topic: str = MEETING_EVENTS,
) -> list[Received]:
    """Everything on the topic from the beginning (no consumer group).

    Stops once ``expect_at_least`` messages arrived and nothing more came for
    ``settle_sec``, or at ``timeout_sec``. End offsets are not used: Tansu reports them
    wrongly for multi-record batches.
    """
    codec = EventCodec()
    received: list[Received] = []
    deadline = time.monotonic() + timeout_sec
    last_arrival = time.monotonic()
    polls = polls_from_beginning(bootstrap_servers, topic, poll_ms=200)
    async with contextlib.aclosing(polls):
        async for records in polls:
            for m in records:
                received.append(
                    Received(
                        m.partition,
                        m.offset,
                        (m.key or b"").decode(),
                        header(m.headers, EVENT_TYPE_HEADER),
                        codec.decode(m.value),
                    )
                )
                last_arrival = time.monotonic()
            settled = time.monotonic() - last_arrival > settle_sec
            if time.monotonic() >= deadline or (len(received) >= expect_at_least and settled):
                break
    return received


def read_topic_sync(bootstrap_servers: str, **kwargs: object) -> list[Received]:
    return asyncio.run(read_topic(bootstrap_servers, **kwargs))  # type: ignore[arg-type]
