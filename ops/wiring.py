"""Composition root: builds the adapters from Settings and hands them to the layers.

Nothing is built at import time; every function takes the settings it needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from interview_analytics.domain.application import Meetings
from interview_analytics.ops import event_store
from interview_analytics.ops.blobs import FileBlobStore
from interview_analytics.ops.embedded import EmbeddedBroker
from interview_analytics.ops.settings import Settings
from interview_analytics.streams.contract import DEAD_LETTERS, MEETING_EVENTS, EventCodec
from interview_analytics.streams.relay import Relay, RelayConfig
from interview_analytics.streams.topics import TopicSpec


def build_meetings(settings: Settings) -> Meetings:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.resolved_event_store_url
    event_store.prepare(url)
    return Meetings(
        env=event_store.eventsourcing_env(url),
        blobs=FileBlobStore(settings.blob_dir),
    )


def topic_specs(settings: Settings) -> list[TopicSpec]:
    partitions = settings.kafka_meeting_events_partitions
    replication = settings.kafka_replication_factor
    return [
        TopicSpec(MEETING_EVENTS, partitions, replication),
        TopicSpec(DEAD_LETTERS, 1, replication),
    ]


def build_relay(settings: Settings, meetings: Meetings, bootstrap_servers: str) -> Relay:
    return Relay(
        store=meetings.recorder,
        tracking=meetings.factory.tracking_recorder(),
        mapper=meetings.mapper,
        codec=EventCodec(),
        config=RelayConfig(
            bootstrap_servers=bootstrap_servers,
            topics=topic_specs(settings),
            batch_size=settings.relay_batch_size,
            poll_interval_sec=settings.relay_poll_interval_sec,
            broker_check_interval_sec=settings.relay_broker_check_interval_sec,
            enable_idempotence=settings.kafka_enable_idempotence,
        ),
    )


@dataclass
class Broker:
    bootstrap_servers: str
    embedded: EmbeddedBroker | None


@contextmanager
def broker(settings: Settings) -> Iterator[Broker]:
    """The configured Kafka, or an embedded Tansu started for the duration of the block."""
    if settings.kafka_bootstrap_servers:
        yield Broker(settings.kafka_bootstrap_servers, None)
        return
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with EmbeddedBroker(
        port=settings.embedded_broker_port, log_path=settings.data_dir / "tansu.log"
    ) as embedded:
        yield Broker(embedded.bootstrap_servers, embedded)
