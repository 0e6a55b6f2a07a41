"""The relay against the real embedded broker: order, crash-restart, broker loss."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from interview_analytics.domain.application import Meetings
from interview_analytics.ops.embedded import EmbeddedBroker
from interview_analytics.ops.settings import Settings
from interview_analytics.ops.wiring import build_relay, topic_specs
from interview_analytics.streams.contract import StreamDeduper, event_type_of
from interview_analytics.streams.relay import Relay
from interview_analytics.streams.topics import ensure_topics
from tests.factories import chunk, start, unique_meeting_id
from tests.kafka_helpers import Received, read_topic_sync

pytestmark = pytest.mark.broker

CHUNKS_PER_MEETING = 20


def record_interleaved_meetings(
    app: Meetings, count: int = 3, chunks: int = CHUNKS_PER_MEETING
) -> list[str]:
    """Start ``count`` meetings and send ``chunks`` chunks each, interleaved across meetings."""
    meeting_ids = [unique_meeting_id(f"relay{i}") for i in range(count)]
    for meeting_id in meeting_ids:
        app.start(start(meeting_id))
    for seq in range(chunks):
        for meeting_id in meeting_ids:
            app.receive_chunk(chunk(meeting_id, seq, tone=300 + seq))
    return meeting_ids


def stored_stream(app: Meetings, meeting_id: str) -> list[tuple[int, str, str]]:
    return [
        (e.originator_version, event_type_of(e), str(e.event_id))  # type: ignore[arg-type]
        for e in app.stream(meeting_id)
    ]


def per_meeting(received: list[Received]) -> dict[str, list[tuple[int, str, str]]]:
    streams: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for r in received:
        meta = r.envelope.metadata
        streams[r.key].append((meta["version"], r.envelope.event_type, str(meta["event_id"])))
    return streams


def deduped(received: list[Received]) -> dict[str, list[tuple[int, str, str]]]:
    dedupe = StreamDeduper()
    kept = [r for r in received if dedupe.accept(r.envelope.meeting_id, r.envelope.version)]
    assert dedupe.gaps == []
    return per_meeting(kept)


def run_relay_until_caught_up(relay: Relay, head: int, timeout_sec: float = 30.0) -> None:
    async def go() -> None:
        await relay.start()
        try:
            deadline = time.monotonic() + timeout_sec
            while relay.stats.position < head:
                assert time.monotonic() < deadline, f"relay stuck at {relay.stats.position}"
                await relay.publish_available()
        finally:
            await relay.stop()

    asyncio.run(go())


@dataclass(frozen=True)
class Relays:
    """A broker of the test's own, a data directory, and the store the test chose."""

    broker: EmbeddedBroker
    meetings_on: Callable[[str], Meetings]
    tmp_path: Path

    def settings(self, store_url: str, **extra: str) -> Settings:
        return Settings.from_env(
            {
                "DATA_DIR": str(self.tmp_path),
                "EVENT_STORE_URL": store_url,
                "KAFKA_BOOTSTRAP_SERVERS": self.broker.bootstrap_servers,
                **extra,
            }
        )

    def relay(self, settings: Settings, app: Meetings) -> Relay:
        return build_relay(settings, app, self.broker.bootstrap_servers)

    def publish_all(self, store_url: str, app: Meetings, **extra: str) -> tuple[Settings, int]:
        """Run a relay until everything stored is published; (its settings, the head)."""
        head = app.recorder.max_notification_id() or 0
        settings = self.settings(store_url, **extra)
        run_relay_until_caught_up(self.relay(settings, app), head)
        return settings, head

    def read(self, head: int) -> list[Received]:
        return read_topic_sync(self.broker.bootstrap_servers, expect_at_least=head)


@pytest.fixture
def relays(
    own_broker: EmbeddedBroker, meetings_on: Callable[[str], Meetings], tmp_path: Path
) -> Relays:
    return Relays(own_broker, meetings_on, tmp_path)


def test_every_stored_event_is_published_in_store_order(store_url: str, relays: Relays) -> None:
    app = relays.meetings_on(store_url)
    meeting_ids = record_interleaved_meetings(app)
    _, head = relays.publish_all(store_url, app, RELAY_BATCH_SIZE="7")

    received = relays.read(head)
    streams = per_meeting(received)
    assert len(received) == head == 3 * (1 + CHUNKS_PER_MEETING)
    for meeting_id in meeting_ids:
        assert streams[meeting_id] == stored_stream(app, meeting_id)
    # Notification ids increase along each partition, and the header names the type.
    by_partition: dict[int, list[int]] = defaultdict(list)
    for r in received:
        assert r.event_type_header == r.envelope.event_type
        assert r.envelope.notification_id is not None
        by_partition[r.partition].append(r.envelope.notification_id)
    for ids in by_partition.values():
        assert ids == sorted(ids)


def test_relay_position_is_durable(sqlite_store_url: str, relays: Relays) -> None:
    app = relays.meetings_on(sqlite_store_url)
    record_interleaved_meetings(app, count=1)
    settings, head = relays.publish_all(sqlite_store_url, app)
    # A new relay over the same store resumes at the head: nothing is sent twice.
    second = relays.relay(settings, relays.meetings_on(sqlite_store_url))
    run_relay_until_caught_up(second, head)
    assert second.stats.position == head
    assert second.stats.published_total == 0


def test_relay_killed_midway_loses_nothing(sqlite_store_url: str, relays: Relays) -> None:
    own_broker, tmp_path = relays.broker, relays.tmp_path
    app = relays.meetings_on(sqlite_store_url)
    meeting_ids = record_interleaved_meetings(app)
    # Bulk after the three meetings, so that the relay (3 events a batch) is surely
    # still running when it is killed.
    meeting_ids += record_interleaved_meetings(app, count=4, chunks=150)
    head = app.recorder.max_notification_id() or 0
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path),
        "EVENT_STORE_URL": sqlite_store_url,
        "KAFKA_BOOTSTRAP_SERVERS": own_broker.bootstrap_servers,
        "RELAY_BATCH_SIZE": "3",
        "RELAY_METRICS_PORT": "0",
    }
    relay_cmd = [str(Path(sys.executable).with_name("ia")), "relay"]
    app.factory.tracking_recorder()  # creates the tracking table that we poll below
    first = subprocess.Popen(relay_cmd, env=env)
    try:
        deadline = time.monotonic() + 60
        while (position := _relay_position(tmp_path)) == 0:
            assert time.monotonic() < deadline, "first relay published nothing"
            time.sleep(0.01)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    position = _relay_position(tmp_path)
    assert 0 < position < head, f"killed at {position} of {head}"

    second = subprocess.Popen(relay_cmd, env=env)
    try:
        received = relays.read(head)
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=15) == 0
    streams = deduped(received)
    for meeting_id in meeting_ids:
        assert streams[meeting_id] == stored_stream(app, meeting_id)


def test_broker_restart_ends_with_the_topic_complete_again(
    sqlite_store_url: str, relays: Relays
) -> None:
    own_broker = relays.broker
    app = relays.meetings_on(sqlite_store_url)
    first_batch = record_interleaved_meetings(app, count=2)
    settings = relays.settings(sqlite_store_url, RELAY_BROKER_CHECK_INTERVAL_SEC="0.2")
    relay = relays.relay(settings, app)

    async def scenario() -> tuple[int, str, str]:
        await relay.start()
        stop = asyncio.Event()
        task = asyncio.create_task(relay.run(stop))
        try:
            await _wait_for(lambda: relay.stats.position == app.recorder.max_notification_id())
            before = relay.stats.cluster_id
            own_broker.restart()  # memory-only: everything on it is gone
            await ensure_topics(own_broker.bootstrap_servers, topic_specs(settings))
            await asyncio.to_thread(record_interleaved_meetings, app, 1)  # more while it recovers
            await _wait_for(lambda: relay.stats.cluster_id != before, timeout=30)
            await _wait_for(lambda: relay.stats.position == app.recorder.max_notification_id())
            return relay.stats.broker_resets, before, relay.stats.cluster_id
        finally:
            stop.set()
            await task
            await relay.stop()

    resets, before, after = asyncio.run(scenario())
    assert resets == 1
    assert before != after
    head = app.recorder.max_notification_id() or 0
    received = relays.read(head)
    streams = deduped(received)
    all_ids = {r.envelope.meeting_id for r in received}
    assert set(first_batch) <= all_ids
    for meeting_id in all_ids:
        assert streams[meeting_id] == stored_stream(app, meeting_id)
    assert sum(len(s) for s in streams.values()) == head


async def _wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


def _relay_position(tmp_path: Path) -> int:
    """The relay's durable position, read from the SQLite store as another process sees it."""
    with sqlite3.connect(tmp_path / "events.sqlite3", timeout=5) as db:
        rows = db.execute(
            "SELECT MAX(notification_id) FROM tracking WHERE application_name LIKE 'relay:%'"
        ).fetchall()
    return int(rows[0][0] or 0)


def test_webhook_endpoint_events_in_the_store_are_skipped_not_published(
    sqlite_store_url: str, relays: Relays
) -> None:
    """The tenant's WebhookEndpoints aggregate shares the notification log; its events (with
    their signing secrets) never reach the topic, and the relay still reaches the head."""
    app = relays.meetings_on(sqlite_store_url)
    secret = "whsec_" + "c2VjcmV0IGtleSBieXRlcyBmb3IgYSB3ZWJob29r"

    def register_webhook(n: int) -> None:
        app.register_webhook(
            "acme", endpoint_id=f"whk_{n:032x}", url=f"https://hooks.example/{n}",
            events=["report.ready"], secret=secret,
        )  # fmt: skip

    register_webhook(1)
    [meeting_id] = record_interleaved_meetings(app, count=1, chunks=2)
    register_webhook(2)  # the last notification is not a meeting's
    settings, head = relays.publish_all(sqlite_store_url, app, RELAY_BATCH_SIZE="2")
    assert head == 1 + 1 + 2 + 1 + 1  # Created, Registered, 3 meeting events, Registered

    received = relays.read(3)
    assert per_meeting(received) == {meeting_id: stored_stream(app, meeting_id)}
    assert all(secret not in repr(r.envelope) for r in received)
    second = relays.relay(settings, relays.meetings_on(sqlite_store_url))
    run_relay_until_caught_up(second, head)  # resumes past the skipped events
    assert second.stats.published_total == 0
