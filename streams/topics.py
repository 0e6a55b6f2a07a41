"""Topics on a broker: creating them explicitly, and reading one back from its start.

Brokers that auto-create topics do it with their own partition count (Tansu does), which
would silently change how meetings spread over partitions; so every topic the system uses
is created up front with the partitions its ``TopicSpec`` names (``streams/contract/topics.py``).
Reading a topic back without a consumer group serves the dead-letter commands, the tests
and the benchmarks.

Must not: define topic names or partition counts (the contract does); write to a topic.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from interview_analytics.streams.contract.topics import TopicSpec

__all__ = [
    "TopicCreationError",
    "TopicSpec",
    "ensure_topics",
    "polls_from_beginning",
    "read_from_beginning",
]

log = logging.getLogger(__name__)


class TopicCreationError(RuntimeError):
    pass


async def ensure_topics(
    bootstrap_servers: str, specs: Iterable[TopicSpec], *, repair: bool = False
) -> list[str]:
    """Create the topics that do not exist yet; returns the names created.

    With ``repair`` (used by the relay right after it found a new, empty broker), a topic
    that exists with the wrong partition count (auto-created by a client that got there
    first) is deleted and created again; otherwise that is an error.
    """
    specs = list(specs)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        described = {t["topic"]: t for t in await admin.describe_topics()}
        wrong = [
            s
            for s in specs
            if s.name in described and len(described[s.name]["partitions"]) != s.partitions
        ]
        if wrong and not repair:
            raise TopicCreationError(
                "topics exist with other partition counts: "
                + ", ".join(
                    f"{s.name} has {len(described[s.name]['partitions'])}, want {s.partitions}"
                    for s in wrong
                )
            )
        if wrong:
            log.warning("recreating auto-created topics %s", [s.name for s in wrong])
            await admin.delete_topics([s.name for s in wrong])
        wanted = [s for s in specs if s.name not in described or s in wrong]
        if not wanted:
            return []
        response = await admin.create_topics(
            [NewTopic(s.name, s.partitions, s.replication_factor) for s in wanted]
        )
        failures = [
            f"{topic[0]}: error {topic[1]}"
            for topic in response.topic_errors
            # Another process may win the race; an existing topic is all we need.
            if topic[1] not in (0, TopicAlreadyExistsError.errno)
        ]
        if failures:
            raise TopicCreationError("could not create topics: " + "; ".join(failures))
        return [s.name for s in wanted]
    finally:
        await admin.close()


async def polls_from_beginning(
    bootstrap_servers: str,
    topic: str,
    *,
    poll_ms: int = 250,
    max_records: int | None = None,
    **consumer_options: Any,
) -> AsyncGenerator[list[Any], None]:
    """The records of each poll of ``topic`` from its first offset (an empty list when a poll
    found nothing), without a consumer group, until the caller stops iterating.

    ``consumer_options`` go to ``AIOKafkaConsumer`` (e.g. ``max_partition_fetch_bytes``).
    Close it when done (``contextlib.aclosing``): that stops the consumer.
    """
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap_servers,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        **consumer_options,
    )
    await consumer.start()
    try:
        while True:
            batches = await consumer.getmany(timeout_ms=poll_ms, max_records=max_records)
            yield [record for records in batches.values() for record in records]
    finally:
        await consumer.stop()


async def read_from_beginning(
    bootstrap_servers: str,
    topic: str,
    *,
    idle_sec: float,
    follow: bool = False,
    stop: asyncio.Event | None = None,
) -> AsyncIterator[Any]:
    """Every record of ``topic`` from its first offset, without a consumer group.

    Ends after ``idle_sec`` with nothing new (unless ``follow``) or when ``stop`` is set.
    The end is found by quiet, not by end offsets: Tansu reports those wrongly once a
    partition holds multi-record batches.
    """
    if stop is not None and stop.is_set():
        return
    loop = asyncio.get_running_loop()
    idle_since = loop.time()
    async with contextlib.aclosing(polls_from_beginning(bootstrap_servers, topic)) as polls:
        async for records in polls:
            if records:
                idle_since = loop.time()
            elif not follow and loop.time() - idle_since > idle_sec:
                return
            for record in records:
                yield record
            if stop is not None and stop.is_set():
                return
