"""Reading the meeting-events topic back in tests, the way a downstream consumer would."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer

from interview_analytics.streams.contract import MEETING_EVENTS, Envelope, EventCodec, header


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
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap_servers,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    received: list[Received] = []
    deadline = time.monotonic() + timeout_sec
    last_arrival = time.monotonic()
    try:
        while time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=200)
            for messages in batches.values():
                for m in messages:
                    received.append(
                        Received(
                            m.partition,
                            m.offset,
                            (m.key or b"").decode(),
                            header(m.headers, "event_type"),
                            codec.decode(m.value),
                        )
                    )
                    last_arrival = time.monotonic()
            if len(received) >= expect_at_least and time.monotonic() - last_arrival > settle_sec:
                break
    finally:
        await consumer.stop()
    return received


def read_topic_sync(bootstrap_servers: str, **kwargs: object) -> list[Received]:
    return asyncio.run(read_topic(bootstrap_servers, **kwargs))  # type: ignore[arg-type]
