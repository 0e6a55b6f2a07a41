"""One suite, every event-store backend (SQLite file and PostgreSQL).

What the rest of the system relies on: events survive a restart of the process, two
writers of one meeting cannot both win, the notification log is totally ordered and
pageable, and the relay's position is durable.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent, Tracking

from interview_analytics.domain.application import Meetings
from interview_analytics.domain.commands import RecordTranscript
from interview_analytics.domain.ids import meeting_aggregate_id
from interview_analytics.domain.meeting import Meeting
from tests.factories import chunk, segment, start, unique_meeting_id

OpenApp = Callable[[str], Meetings]


def test_events_survive_a_new_process(store_url: str, meetings_on: OpenApp) -> None:
    meeting_id = unique_meeting_id()
    first = meetings_on(store_url)
    first.start(start(meeting_id, context={"team": "core"}, recipients=["a@b.c"]))
    for seq in (1, 0, 2):
        first.receive_chunk(chunk(meeting_id, seq))
    first.finish(meeting_id)
    expected = first.get(meeting_id).state()
    first.close()

    reopened = meetings_on(store_url).get(meeting_id)
    assert reopened.state() == expected
    assert reopened.status == "finalizing"


def test_two_writers_of_one_meeting_cannot_both_win(store_url: str, meetings_on: OpenApp) -> None:
    meeting_id = unique_meeting_id()
    app_a, app_b = meetings_on(store_url), meetings_on(store_url)
    app_a.start(start(meeting_id))
    seen_by_a, seen_by_b = app_a.get(meeting_id), app_b.get(meeting_id)
    for meeting, seq in ((seen_by_a, 0), (seen_by_b, 1)):
        cmd = chunk(meeting_id, seq)
        meeting.receive_chunk(
            seq=seq, sha256=f"{seq:064d}", byte_length=len(cmd.audio),
            audio_format=cmd.audio_format, duration_sec=0.1,
        )  # fmt: skip
    app_a.save(seen_by_a)
    with pytest.raises(IntegrityError):
        app_b.save(seen_by_b)
    assert sorted(app_b.get(meeting_id).chunks) == [0]


def test_concurrent_commands_are_retried_not_lost(store_url: str, meetings_on: OpenApp) -> None:
    meeting_id = unique_meeting_id()
    apps = [meetings_on(store_url) for _ in range(4)]
    apps[0].start(start(meeting_id))
    barrier = threading.Barrier(len(apps))

    def send(index: int) -> None:
        barrier.wait()
        for seq in range(index, 40, len(apps)):
            apps[index].receive_chunk(chunk(meeting_id, seq))

    with ThreadPoolExecutor(len(apps)) as pool:
        list(pool.map(send, range(len(apps))))
    meeting = apps[0].get(meeting_id)
    assert sorted(meeting.chunks) == list(range(40))
    versions = [e.originator_version for e in apps[0].stream(meeting_id)]
    assert versions == list(range(1, 42))


def test_concurrent_identical_starts_create_one_meeting(
    store_url: str, meetings_on: OpenApp
) -> None:
    meeting_id = unique_meeting_id()
    apps = [meetings_on(store_url) for _ in range(3)]
    barrier = threading.Barrier(len(apps))

    def go(app: Meetings) -> bool:
        barrier.wait()
        return app.start(start(meeting_id)).created

    with ThreadPoolExecutor(len(apps)) as pool:
        created = list(pool.map(go, apps))
    assert created.count(True) == 1
    assert len(apps[0].stream(meeting_id)) == 1


def test_notification_log_is_ordered_and_pageable(store_url: str, meetings_on: OpenApp) -> None:
    app = meetings_on(store_url)
    meeting_ids = [unique_meeting_id() for _ in range(3)]
    expected: list[tuple[str, int]] = []
    for meeting_id in meeting_ids:
        app.start(start(meeting_id))
        expected.append((meeting_id, 1))
    for seq in range(5):
        for meeting_id in meeting_ids:
            app.receive_chunk(chunk(meeting_id, seq))
            expected.append((meeting_id, seq + 2))

    pages, position = [], 0
    while page := app.recorder.select_notifications(position + 1, 4):
        pages.append(page)
        position = page[-1].id
    notifications = [n for page in pages for n in page]
    ids = [n.id for n in notifications]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert app.recorder.max_notification_id() == ids[-1]
    assert all(len(page) <= 4 for page in pages)
    events = [app.mapper.to_domain_event(n) for n in notifications]
    assert [(e.meeting_id, e.originator_version) for e in events] == expected  # type: ignore[attr-defined]
    assert isinstance(events[0], Meeting.Started)


# Events as stores written before the classes moved to domain/events.py hold them (they were
# defined nested on Meeting in domain/meeting.py): topic ``...domain.meeting:Meeting.<Name>``
# and the JSON state eventsourcing wrote (originator id and version have columns of their own).
OLD = "interview_analytics.domain.meeting:Meeting"
_AT = {"_type_": "datetime_iso", "_data_": "2025-03-01T10:00:00+00:00"}
_META = {"actor": "alice", "correlation_id": "req-1", "causation_id": None}
# fmt: off
_CHUNK = {"blob_key": "k", "byte_length": 3200, "codec": "pcm", "sample_rate": 16000,
          "channels": 1, "duration_sec": 0.1, "idempotency_key": None, "speaker_hint": None}
_SEGMENT = segment(0.0, 0.1, "hello")
_TROUBLE = {"provider": "sberjazz", "stage": "pull", "error_kind": "timeout", "message": "slow"}
OLD_STREAM: list[tuple[str, dict[str, Any]]] = [
    ("Started", {"originator_topic": OLD, "mode": "realtime", "language": "en",
                 "consent": "unknown", "context": {}, "recipients": []}),  # no tenant yet
    ("ConnectorRequested", {"provider": "sberjazz", "participants": [], "language": "en"}),
    ("ConnectorJoining", {"provider": "sberjazz", "attempt": 1}),
    ("ConnectorConnected", {"provider": "sberjazz", "cursor": 0}),
    ("ChunkReceived", {"seq": 0, "sha256": "0" * 64, **_CHUNK}),
    ("ConnectorHeartbeat", {"provider": "sberjazz", "cursor": 1, "chunks": 1}),
    ("ConnectorInterrupted", _TROUBLE),
    ("ChunkReceived", {"seq": 1, "sha256": "1" * 64, **_CHUNK}),
    ("Transcribed", {"input_version": 5, "seqs": [0], "segments": [_SEGMENT], "final": False,
                     "model": "m", "language": "en", "audio_sec": 0.1, "processing_sec": 0.01}),
    ("ChunkRejected", {"seq": 1, "input_version": 8, "code": "undecodable_audio", "reason": "x"}),
    ("Enhanced", {"input_version": 9, "text": "Hello.", "segments": [], "final": False,
                  "pii_masked": False}),
    ("Reported", {"input_version": 11, "report": {"summary": "s"}, "final": False}),
    ("ProcessingFailed", {"stage": "report", "input_version": 9, "code": "timeout",
                          "reason": "slow", "attempts": 3}),
    ("ConnectorLeaving", {"provider": "sberjazz", "reason": "done"}),
    ("ConnectorLeft", {"provider": "sberjazz"}),
    ("ConnectorRequested", {"provider": "sberjazz", "participants": ["bot"], "language": "ru"}),
    ("ConnectorFailed", {**_TROUBLE, "stage": "join", "error_kind": "auth"}),
    ("Finished", {"reason": "client"}),
]
# fmt: on


def test_events_stored_under_the_first_topics_still_load(
    store_url: str, meetings_on: OpenApp
) -> None:
    meeting_id = unique_meeting_id()
    aggregate_id = meeting_aggregate_id(meeting_id)
    app = meetings_on(store_url)
    app.recorder.insert_events(
        [
            StoredEvent(
                originator_id=aggregate_id,
                originator_version=version,
                topic=f"{OLD}.{name}",
                state=json.dumps(
                    {"timestamp": _AT, "meeting_id": meeting_id, **_META, **state}
                ).encode(),
            )
            for version, (name, state) in enumerate(OLD_STREAM, start=1)
        ]
    )

    meeting = meetings_on(store_url).get(meeting_id)
    assert {meeting.event_kind(v) for v in range(1, 19)} == {name for name, _ in OLD_STREAM}
    assert len(set(meeting.event_kinds.values())) == 16  # every event type there is
    assert (meeting.status, meeting.version, meeting.finished_version) == ("finalizing", 18, 18)
    assert (meeting.tenant, meeting.started_by) == (None, "alice")
    assert sorted(meeting.chunks) == [0, 1]
    assert meeting.raw_transcript() == "hello"
    assert [r.seq for r in meeting.results.rejections.values()] == [1]
    assert meeting.latest_report() is not None
    assert [f.code for f in meeting.results.failures] == ["timeout"]
    assert meeting.connector is not None
    assert (meeting.connector.state, meeting.connector.cursor) == ("failed", 1)
    assert meeting.connector.participants == ("bot",)

    # What is written now goes under the same topics, and the stream reads as one.
    app.record_transcript(RecordTranscript(
        meeting_id=meeting_id, input_version=18, seqs=[0], segments=[_SEGMENT], final=True,
        model="m", language="en", audio_sec=0.1, processing_sec=0.01,
    ))  # fmt: skip
    stored = app.recorder.select_events(aggregate_id)
    assert [e.topic for e in stored] == [f"{OLD}.{name}" for name, _ in OLD_STREAM] + [
        f"{OLD}.Transcribed"
    ]
    assert [type(e) for e in app.stream(meeting_id)][-2:] == [Meeting.Finished, Meeting.Transcribed]


def test_relay_position_is_durable_per_name(store_url: str, meetings_on: OpenApp) -> None:
    tracking = meetings_on(store_url).factory.tracking_recorder()
    assert tracking.max_tracking_id("relay:meeting-events@a") is None
    tracking.insert_tracking(Tracking("relay:meeting-events@a", 5))
    tracking.insert_tracking(Tracking("relay:meeting-events@a", 9))
    tracking.insert_tracking(Tracking("relay:meeting-events@b", 2))

    reopened = meetings_on(store_url).factory.tracking_recorder()
    assert reopened.max_tracking_id("relay:meeting-events@a") == 9
    assert reopened.max_tracking_id("relay:meeting-events@b") == 2


def test_the_claim_check_blob_exists_before_the_event(store_url: str, meetings_on: OpenApp) -> None:
    app = meetings_on(store_url)
    meeting_id = unique_meeting_id()
    app.start(start(meeting_id))
    seen_at_save: list[bool] = []
    original_save = app.save

    def save_and_look(*aggregates: Meeting) -> object:
        for aggregate in aggregates:
            for event in aggregate.pending_events:
                if isinstance(event, Meeting.ChunkReceived):
                    seen_at_save.append(app.blobs.exists(event.blob_key))
        return original_save(*aggregates)

    app.save = save_and_look  # type: ignore[method-assign]
    app.receive_chunk(chunk(meeting_id, 0))
    assert seen_at_save == [True]


def test_group_commit_answers_each_caller_as_receive_chunk_would(
    store_url: str, meetings_on: OpenApp
) -> None:
    from interview_analytics.domain.errors import ChunkConflictError, MeetingNotFoundError
    from interview_analytics.ops.group_commit import GroupCommitter

    app = meetings_on(store_url)
    meeting_ids = [unique_meeting_id() for _ in range(8)]
    for meeting_id in meeting_ids:
        app.start(start(meeting_id))
    committer = GroupCommitter(app)
    barrier = threading.Barrier(len(meeting_ids))

    def send(meeting_id: str) -> list[object]:
        barrier.wait()
        answers: list[object] = []
        for seq in range(15):
            answers.append(committer.receive_chunk(chunk(meeting_id, seq)))
        answers.append(committer.receive_chunk(chunk(meeting_id, 3)))  # duplicate
        for bad in (chunk(meeting_id, 3, tone=999), chunk("no-such-meeting", 0)):
            try:
                committer.receive_chunk(bad)
            except (ChunkConflictError, MeetingNotFoundError) as error:
                answers.append(type(error))
        return answers

    try:
        with ThreadPoolExecutor(len(meeting_ids)) as pool:
            all_answers = list(pool.map(send, meeting_ids))
    finally:
        committer.close()
    assert committer.batches < committer.commands  # callers did share transactions
    for meeting_id, answers in zip(meeting_ids, all_answers, strict=True):
        assert [a.seq for a in answers[:15]] == list(range(15))  # type: ignore[attr-defined]
        assert answers[15].duplicate  # type: ignore[attr-defined]
        assert answers[16:] == [ChunkConflictError, MeetingNotFoundError]
        meeting = app.get(meeting_id)
        assert sorted(meeting.chunks) == list(range(15))
        for record in meeting.chunks.values():
            assert app.blobs.exists(record.blob_key)
        versions = [e.originator_version for e in app.stream(meeting_id)]
        assert versions == list(range(1, 17))


def test_a_batch_that_loses_a_race_falls_back_to_single_commands(
    store_url: str, meetings_on: OpenApp
) -> None:
    from interview_analytics.domain.events import EventMeta

    app, other = meetings_on(store_url), meetings_on(store_url)
    meeting_id = unique_meeting_id()
    app.start(start(meeting_id))
    app.get(meeting_id)  # cached at version 1 in `app`
    original_save = app.save
    raced = []

    def save_after_a_rival(*aggregates: Meeting) -> object:
        if not raced:
            raced.append(other.receive_chunk(chunk(meeting_id, 99)))
        return original_save(*aggregates)

    app.save = save_after_a_rival  # type: ignore[method-assign]
    results = app.receive_chunks([(chunk(meeting_id, seq), EventMeta()) for seq in (0, 1)])
    assert [r.seq for r in results] == [0, 1]  # type: ignore[union-attr]
    assert sorted(app.get(meeting_id).chunks) == [0, 1, 99]
