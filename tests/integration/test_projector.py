"""The projector's Faust agents on the real broker, with chDB as the read store.

The relay runs as the ``ia relay`` subprocess; the projector runs either in this process
(the embedded layout: the process that reads chDB runs the projector) or as the
``ia worker projector`` subprocess (the production layout), which is SIGKILLed between
its insert and its offset commit.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from interview_analytics.domain.application import Meetings
from interview_analytics.ops.embedded import EmbeddedBroker
from interview_analytics.ops.positions import consumer_position_name
from interview_analytics.ops.projector import ProjectorService
from interview_analytics.ops.settings import Settings
from interview_analytics.ops.wiring import topic_specs
from interview_analytics.projections.projector import ProjectionWriter, Projector
from interview_analytics.projections.queries import Queries
from interview_analytics.projections.replay import replay, stored_events
from interview_analytics.projections.store import ReadStore
from interview_analytics.streams.contract import DEAD_LETTERS, MEETING_EVENTS
from interview_analytics.streams.contract.events import CHUNK_RECEIVED
from interview_analytics.streams.dead_letters import DeadLetter, OriginalMessage
from interview_analytics.streams.topics import ensure_topics
from tests.conformance.read_store.scenario import finish_interview, run_interview, snapshot
from tests.stack import Stack

pytestmark = pytest.mark.broker

FAST = {
    "PROJECTOR_FLUSH_INTERVAL_SEC": "0.1",
    "QUEUE_HEALTH_INTERVAL_SEC": "0.3",
    "PROJECTOR_METRICS_PORT": "0",
}


@pytest.fixture
def stack(tmp_path: Path, own_broker: EmbeddedBroker) -> Iterator[Stack]:
    settings = Settings.from_env({"DATA_DIR": str(tmp_path)})
    asyncio.run(ensure_topics(own_broker.bootstrap_servers, topic_specs(settings)))
    running = Stack(tmp_path, own_broker.bootstrap_servers, **FAST)
    try:
        yield running
    finally:
        running.stop()


def chdb_url(stack: Stack) -> str:
    return f"chdb://{stack.data_dir / 'clickhouse'}"


def settings_for(stack: Stack) -> Settings:
    return Settings.from_env({**stack.env, "CLICKHOUSE_URL": chdb_url(stack)})


def head(app: Meetings) -> int:
    return app.recorder.max_notification_id() or 0


def projector_position(app: Meetings) -> int:
    return app.factory.tracking_recorder().max_tracking_id(consumer_position_name("projector")) or 0


async def eventually(condition: Callable[[], bool], what: str, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


def a_dead_letter(meeting_id: str) -> DeadLetter:
    return DeadLetter(
        stage="transcribe",
        kind="failed",
        meeting_id=meeting_id,
        event_type=CHUNK_RECEIVED,
        version=2,
        notification_id=2,
        error_code="speech_failed",
        error_message="decoder crashed",
        attempts=3,
        failed_at=datetime.now(UTC).isoformat(),
        original=OriginalMessage(MEETING_EVENTS, 0, 1, meeting_id.encode(), b"x", ()),
    )


async def publish_dead_letter(bootstrap_servers: str, letter: DeadLetter) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, enable_idempotence=False)
    await producer.start()
    try:
        await producer.send_and_wait(DEAD_LETTERS, letter.to_json(), key=letter.meeting_id.encode())
    finally:
        await producer.stop()


async def test_the_projector_in_process_keeps_every_table_equal_to_a_replay(
    stack: Stack, own_broker: EmbeddedBroker
) -> None:
    app = stack.meetings()
    stack.start("relay")
    for name in ("mtg-a", "mtg-b"):
        run_interview(app, name)
    letter = a_dead_letter("mtg-lost")  # no result for it: the letter stays open
    await publish_dead_letter(own_broker.bootstrap_servers, letter)

    store = ReadStore.connect(chdb_url(stack))
    store.migrate()
    service = ProjectorService(settings_for(stack), own_broker.bootstrap_servers, store, app)
    queries = Queries(store)
    await service.start()
    try:
        versions = {name: app.get(name).version for name in ("mtg-a", "mtg-b")}
        await eventually(
            lambda: all(queries.meeting_version(m) == v for m, v in versions.items()),
            "both meetings projected",
        )
        await eventually(lambda: len(queries.dead_letters()) == 1, "the dead letter projected")
        await eventually(lambda: projector_position(app) == head(app), "position recorded")
        await eventually(
            lambda: (
                next(r for r in queries.queue_health() if r["group"] == "ia-projector")["pending"]
                == 0
                and queries.queue_health()[0]["depth"] == 0
            ),
            "a queue-health sample with the projector caught up",
        )
    finally:
        await service.stop()

    try:
        health = {row["group"]: row for row in queries.queue_health()}
        # No pipeline workers ran: their groups are as far behind as the whole store.
        assert health["ia-transcriber"]["pending"] == head(app)
        assert health["ia-transcriber"]["dlq_depth"] == 1
        assert health["ia-projector"]["dlq_depth"] == 0
        [projected] = queries.dead_letters()
        assert (projected["letter_id"], projected["error_code"]) == (
            letter.letter_id,
            "speech_failed",
        )

        live = snapshot(store)
        assert all(live[table] for table in ("meetings", "transcript_segments", "reports"))
        # The same events again (a redelivery, or a second projector) change nothing.
        ProjectionWriter(store).write(Projector().project(stored_events(app)))
        assert snapshot(store) == live
        # A replay from the event store into fresh tables answers the same.
        replay(store, stored_events(app))
        assert snapshot(store) == live
    finally:
        store.close()
        app.close()


def test_a_projector_killed_between_insert_and_commit_leaves_identical_tables(
    stack: Stack,
) -> None:
    """The production layout: ``ia worker projector`` as its own process, SIGKILLed."""
    app = stack.meetings()
    # Offsets are committed only at shutdown: a SIGKILL always lands after the insert and
    # before the commit, so every message is redelivered to the restarted projector.
    stack.env.update({"CLICKHOUSE_URL": chdb_url(stack), "FAUST_COMMIT_INTERVAL_SEC": "3600"})
    stack.start("relay", "projector")
    run_interview(app, "mtg-killed", finish=False)
    stack.wait_for(lambda: projector_position(app) == head(app), 90, "first projection")
    stack.kill("projector")

    finish_interview(app, "mtg-killed")
    stack.start("projector")
    stack.wait_for(lambda: projector_position(app) == head(app), 90, "projection after restart")
    stack.stop()  # chDB hosts one process per directory: the test reads after it stops

    store = ReadStore.connect(chdb_url(stack))
    try:
        queries = Queries(store)
        assert queries.meeting_version("mtg-killed") == app.get("mtg-killed").version
        duplicates = store.query_rows("SELECT count() AS n FROM event_log")[0]["n"]
        assert duplicates > len(app.stream("mtg-killed"))  # redelivered rows were inserted
        live = snapshot(store)
        replay(store, stored_events(app))
        assert snapshot(store) == live
    finally:
        store.close()
        app.close()
