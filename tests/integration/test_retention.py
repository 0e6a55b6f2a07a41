"""The retention worker on a real SQLite event store, key table and blob directory, with
a clock the test moves: each rule is applied once when it is due, and a restarted worker
(which reads the event log again) applies nothing twice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from interview_analytics.domain.application import Meetings
from interview_analytics.domain.commands import ReceiveChunk, StartMeeting
from interview_analytics.domain.meeting import Meeting
from interview_analytics.domain.retention import RetentionPolicy, RetentionRules
from interview_analytics.ops import event_store
from interview_analytics.ops.blobs import FileBlobStore
from interview_analytics.ops.data_keys import DataKeys
from interview_analytics.ops.erasure import Eraser
from interview_analytics.ops.retention import (
    TTL_COLUMNS,
    RetentionWorker,
    apply_read_model_ttls,
    retention_rules,
)
from interview_analytics.ops.settings import Settings, SettingsError
from interview_analytics.projections.store import ReadStore
from interview_analytics.streams.contract.groups import RETENTION_ACTOR
from tests.factories import pcm, unique_meeting_id

RULES = RetentionRules.with_overrides(
    RetentionPolicy(audio_days=7, raw_text_days=30, meeting_days=90),
    {"short": {"audio_days": 1}},
)


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, days: float) -> None:
        self.now += timedelta(days=days)


@pytest.fixture
def eraser(tmp_path: Path) -> Iterator[Eraser]:
    url = f"sqlite:///{tmp_path / 'events.sqlite3'}"
    event_store.prepare(url)
    blobs = FileBlobStore(tmp_path / "blobs")
    meetings = Meetings(env=event_store.eventsourcing_env(url), blobs=blobs)
    yield Eraser(meetings, DataKeys(url, b"m" * 32), blobs)
    meetings.close()


def worker(eraser: Eraser, clock: Clock) -> RetentionWorker:
    return RetentionWorker(eraser, RULES, clock=clock)


def meeting_with_audio(eraser: Eraser, tenant: str | None = None) -> str:
    meeting_id = unique_meeting_id()
    eraser.meetings.start(StartMeeting(meeting_id, language="en", tenant=tenant))
    eraser.meetings.receive_chunk(ReceiveChunk(meeting_id, 0, pcm()))
    eraser.meetings.finish(meeting_id)
    return meeting_id


def recorded(eraser: Eraser, meeting_id: str) -> list[tuple[str, str | None, str | None]]:
    """The retention facts on the meeting's stream: (event, scope or reason, actor)."""
    facts = []
    for event in eraser.meetings.stream(meeting_id):
        if isinstance(event, Meeting.RetentionApplied):
            facts.append(("RetentionApplied", event.scope, event.actor))
        elif isinstance(event, Meeting.Erased):
            facts.append(("Erased", event.reason, event.actor))
    return facts


def test_each_rule_is_applied_once_when_due_and_a_restart_applies_nothing_twice(
    eraser: Eraser, tmp_path: Path
) -> None:
    clock = Clock()
    meeting_id = meeting_with_audio(eraser)
    keys = eraser.keys
    assert isinstance(keys, DataKeys)
    keys.key(meeting_id, "audio", create=True)
    keys.key(meeting_id, "raw_text", create=True)
    blob = eraser.meetings.get(meeting_id).blob_keys()[0]
    blob_path = tmp_path / "blobs" / blob
    assert blob_path.is_file()

    first = worker(eraser, clock)
    assert first.run_once() == []  # nothing is due yet
    clock.advance(7.01)
    assert first.run_once() == [(meeting_id, "audio")]
    assert not blob_path.exists()
    assert keys.destroyed(meeting_id) == {"audio"}
    assert keys.key(meeting_id, "raw_text") is not None
    assert first.run_once() == []

    clock.advance(30)
    restarted = worker(eraser, clock)  # reads the whole log again
    assert restarted.run_once() == [(meeting_id, "raw_text")]
    assert keys.destroyed(meeting_id) == {"audio", "raw_text"}
    assert worker(eraser, clock).run_once() == []

    clock.advance(60)
    assert worker(eraser, clock).run_once() == [(meeting_id, "erase")]
    assert eraser.meetings.get(meeting_id).is_erased
    assert worker(eraser, clock).run_once() == []
    assert recorded(eraser, meeting_id) == [
        ("RetentionApplied", "audio", RETENTION_ACTOR),
        ("RetentionApplied", "raw_text", RETENTION_ACTOR),
        ("Erased", "retention", RETENTION_ACTOR),
    ]


def test_a_tenant_override_shortens_its_meetings_retention_only(eraser: Eraser) -> None:
    clock = Clock()
    short = meeting_with_audio(eraser, tenant="short")
    default = meeting_with_audio(eraser, tenant="other")
    clock.advance(1.5)
    assert worker(eraser, clock).run_once() == [(short, "audio")]
    assert recorded(eraser, default) == []


def test_settings_map_to_rules_with_the_older_names_and_overrides() -> None:
    settings = Settings.from_env(
        {
            "RETENTION_DAYS_AUDIO": "3",
            "RETENTION_RAW_TEXT_DAYS": "10",
            "RETENTION_TENANT_OVERRIDES": '{"acme": {"meeting_days": 365}}',
        }
    )
    rules = retention_rules(settings)
    assert rules.default == RetentionPolicy(audio_days=3, raw_text_days=10, meeting_days=0)
    assert rules.for_tenant("acme") == RetentionPolicy(3, 10, 365)
    with pytest.raises(SettingsError, match="RETENTION_TENANT_OVERRIDES"):
        Settings.from_env({"RETENTION_TENANT_OVERRIDES": "[1]"})


def test_clickhouse_ttls_bound_the_audit_event_log_and_dead_letters(
    chdb_read_store: ReadStore,
) -> None:
    def ttls() -> dict[str, str]:
        rows = chdb_read_store.query_rows(
            "SELECT name, create_table_query FROM system.tables WHERE database = {db:String}",
            {"db": chdb_read_store.database},
        )
        ddl = {str(r["name"]): str(r["create_table_query"]) for r in rows}
        return {table: ddl[table].partition(" TTL ")[2] for table in TTL_COLUMNS}

    migrated = ttls()  # the migration's defaults
    assert all("toIntervalDay(365)" in ttl for ttl in migrated.values()), migrated
    settings = Settings.from_env(
        {"RETENTION_SECURITY_AUDIT_DAYS": "30", "RETENTION_EVENT_LOG_DAYS": "0"}
    )
    apply_read_model_ttls(chdb_read_store, settings)
    apply_read_model_ttls(chdb_read_store, settings)  # again: nothing to remove twice
    now = ttls()
    assert "toDateTime(occurred_at) + toIntervalDay(30)" in now["security_audit_log"]
    assert now["event_log"] == ""
    assert "toDateTime(failed_at) + toIntervalDay(365)" in now["dead_letters"]


def test_an_erasure_interrupted_after_its_event_is_completed_by_the_worker(
    eraser: Eraser, tmp_path: Path
) -> None:
    clock = Clock()
    crashed = meeting_with_audio(eraser)
    whole = meeting_with_audio(eraser)
    blob = tmp_path / "blobs" / eraser.meetings.get(crashed).blob_keys()[0]
    eraser.meetings.erase(crashed, "erasure_request")  # the event only: as if it crashed there
    eraser.erase(whole, "erasure_request")
    assert blob.is_file()

    assert worker(eraser, clock).run_once() == [(crashed, "erasure_completed")]
    assert not blob.exists()
    assert eraser.keys.destroyed(crashed) == {"audio", "raw_text"}
    assert worker(eraser, clock).run_once() == []  # restarted: everything is complete
    assert len([e for e in eraser.meetings.stream(crashed) if isinstance(e, Meeting.Erased)]) == 1
