"""Recording consent on the write side and in the pipeline (issue 17).

A denied meeting refuses audio without storing anything and is never transcribed; under
``CONSENT_UNKNOWN_POLICY=hold`` an unknown-consent meeting's audio is stored held, gets no
transcript, and is transcribed once consent is granted. The recogniser is a scripted test
double (no speech model): what matters here is whether the transcriber runs at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interview_analytics.domain.application import Meetings
from interview_analytics.domain.commands import ChangeConsent
from interview_analytics.domain.connector import SessionState
from interview_analytics.domain.consent import UnknownConsentPolicy
from interview_analytics.domain.errors import ConsentDeniedError
from interview_analytics.domain.events import EventMeta
from interview_analytics.domain.lifecycle import CONSENTS
from interview_analytics.domain.meeting import Meeting
from interview_analytics.domain.timeline import RecognizedSegment, RecognizedWord
from interview_analytics.ops import event_store
from interview_analytics.ops.blobs import FileBlobStore
from interview_analytics.ops.workers import BUNDLED_RUBRIC
from interview_analytics.streams.speech import Recognition
from tests.factories import chunk, start, unique_meeting_id
from tests.integration.test_stages import Harness, stream_types

PHRASE = "my phone is 555 0100"


class Scripted:
    """TEST DOUBLE of the recogniser: hears ``PHRASE`` in any audio; counts its calls."""

    model_name = "scripted"

    def __init__(self) -> None:
        self.calls = 0

    async def transcribe_async(self, audio: Any, *, language: str | None, final: bool) -> Any:
        self.calls += 1
        seconds = max(len(audio) / 16000, 0.1)
        words = tuple(
            RecognizedWord(i * 0.01, (i + 1) * 0.01, f" {word}", 0.9)
            for i, word in enumerate(PHRASE.split())
        )
        segment = RecognizedSegment(0.0, min(seconds, 0.05), PHRASE, words)
        return Recognition((segment,), seconds, 0.0, language=language or "en")


def held_meetings(tmp_path: Path, policy: str = UnknownConsentPolicy.HOLD) -> Meetings:
    directory = tmp_path / "store"
    directory.mkdir(parents=True, exist_ok=True)
    return Meetings(
        env=event_store.eventsourcing_env(f"sqlite:///{directory / 'events.sqlite3'}"),
        blobs=FileBlobStore(directory / "blobs"),
        unknown_consent=policy,
    )


def blob_files(app: Meetings) -> list[Path]:
    root = Path(app.blobs.root)  # type: ignore[attr-defined]
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# ---------------------------------------------------------------------- denied


def test_a_denied_meeting_refuses_audio_and_stores_nothing(tmp_path: Path) -> None:
    app = held_meetings(tmp_path)
    meeting_id = unique_meeting_id("denied")
    app.start(start(meeting_id, consent="denied"))
    with pytest.raises(ConsentDeniedError) as refused:
        app.receive_chunk(chunk(meeting_id, 0))
    assert refused.value.code == "consent_denied"
    [result] = app.receive_chunks([(chunk(meeting_id, 1), EventMeta())])
    assert isinstance(result, ConsentDeniedError)
    assert stream_types(app, meeting_id) == ["Started"]
    assert blob_files(app) == []


def test_the_connector_is_not_sent_to_a_denied_meeting(tmp_path: Path) -> None:
    app = held_meetings(tmp_path)
    meeting_id = unique_meeting_id("denied-connector")
    app.start(start(meeting_id, consent="denied"))
    with pytest.raises(ConsentDeniedError):
        app.request_connector(meeting_id, provider="sberjazz")
    assert stream_types(app, meeting_id) == ["Started"]


async def test_a_meeting_denied_after_its_audio_is_never_transcribed(tmp_path: Path) -> None:
    app = held_meetings(tmp_path, UnknownConsentPolicy.PROCESS)
    recognizer = Scripted()
    harness = Harness(app, recognizer, BUNDLED_RUBRIC.read_text())  # type: ignore[arg-type]
    meeting_id = unique_meeting_id("denied-later")
    app.start(start(meeting_id))
    app.receive_chunk(chunk(meeting_id, 0))
    app.change_consent(ChangeConsent(meeting_id, "denied"))
    app.finish(meeting_id)
    await harness.drain()
    assert recognizer.calls == 0
    assert "Transcribed" not in stream_types(app, meeting_id)
    with pytest.raises(ConsentDeniedError):
        app.receive_chunk(chunk(meeting_id, 1))


# ---------------------------------------------------------------------- hold


async def test_held_audio_waits_for_consent_then_is_transcribed(tmp_path: Path) -> None:
    app = held_meetings(tmp_path)
    recognizer = Scripted()
    harness = Harness(app, recognizer, BUNDLED_RUBRIC.read_text())  # type: ignore[arg-type]
    meeting_id = unique_meeting_id("held")
    app.start(start(meeting_id))
    app.receive_chunk(chunk(meeting_id, 0))
    app.receive_chunk(chunk(meeting_id, 1))
    app.finish(meeting_id)
    await harness.drain()

    held = app.get(meeting_id)
    assert held.audio_on_hold == {0, 1}
    assert recognizer.calls == 0
    assert "Transcribed" not in stream_types(app, meeting_id)
    assert held.raw_transcript() == ""
    assert len(blob_files(app)) == 2  # the audio is kept

    outcome = app.change_consent(ChangeConsent(meeting_id, "granted"))
    assert outcome.released_seqs == (0, 1)
    await harness.drain()

    meeting = app.get(meeting_id)
    assert meeting.audio_on_hold == frozenset()
    assert PHRASE in meeting.raw_transcript()
    assert any(t.final for t in meeting.results.transcriptions)
    report = meeting.latest_report()
    assert report is not None
    assert report.final


async def test_a_grant_during_a_live_meeting_drafts_the_held_chunks(tmp_path: Path) -> None:
    app = held_meetings(tmp_path)
    recognizer = Scripted()
    harness = Harness(app, recognizer, BUNDLED_RUBRIC.read_text())  # type: ignore[arg-type]
    meeting_id = unique_meeting_id("held-live")
    app.start(start(meeting_id))
    app.receive_chunk(chunk(meeting_id, 0))
    await harness.drain()
    assert "Transcribed" not in stream_types(app, meeting_id)
    app.change_consent(ChangeConsent(meeting_id, "granted"))
    app.receive_chunk(chunk(meeting_id, 1))  # after the grant: not held
    await harness.drain()
    meeting = app.get(meeting_id)
    drafts = [t for t in meeting.results.transcriptions if not t.final]
    assert sorted(seq for t in drafts for seq in t.seqs) == [0, 1]
    assert 1 not in meeting.audio_on_hold


def test_under_the_process_policy_unknown_consent_holds_nothing(tmp_path: Path) -> None:
    app = held_meetings(tmp_path, UnknownConsentPolicy.PROCESS)
    meeting_id = unique_meeting_id("legacy")
    app.start(start(meeting_id))
    app.receive_chunk(chunk(meeting_id, 0))
    assert app.get(meeting_id).audio_on_hold == frozenset()


# ---------------------------------------------------------------------- the events


@given(st.lists(st.sampled_from(CONSENTS), max_size=6))
def test_every_change_is_one_event_a_repeat_none_and_a_replay_agrees(
    changes: list[str],
) -> None:
    meeting = Meeting.start("mtg-consent-prop")
    recorded = []
    for consent in changes:
        before = meeting.consent
        outcome = meeting.change_consent(consent)
        assert outcome.duplicate == (consent == before)
        if consent != before:
            recorded.append((before, consent))
    stored = meeting.collect_events()
    changed = [e for e in stored if isinstance(e, Meeting.ConsentChanged)]
    assert [(e.previous, e.consent) for e in changed] == recorded
    rebuilt: Any = None
    for event in stored:
        rebuilt = event.mutate(rebuilt)
    assert rebuilt.consent == meeting.consent == (recorded[-1][1] if recorded else "unknown")


def test_consent_changes_are_in_the_meetings_own_event_stream(tmp_path: Path) -> None:
    app = held_meetings(tmp_path)
    meeting_id = unique_meeting_id("audit")
    app.start(start(meeting_id))
    app.change_consent(ChangeConsent(meeting_id, "granted"))
    app.change_consent(ChangeConsent(meeting_id, "granted"))  # a repeat: no event
    app.change_consent(ChangeConsent(meeting_id, "unknown"))
    changes = [e for e in app.stream(meeting_id) if isinstance(e, Meeting.ConsentChanged)]
    assert [(e.previous, e.consent) for e in changes] == [
        ("unknown", "granted"),
        ("granted", "unknown"),
    ]
    assert app.get(meeting_id).consent == "unknown"


def test_a_denial_sends_a_connected_connector_away_and_refuses_its_audio(
    tmp_path: Path,
) -> None:
    app = held_meetings(tmp_path)
    meeting_id = unique_meeting_id("denied-live")
    app.start(start(meeting_id, consent="granted"))
    app.request_connector(meeting_id, provider="sberjazz")
    app.begin_connector_join(meeting_id)
    app.connector_connected(meeting_id)
    app.change_consent(ChangeConsent(meeting_id, "denied"))
    assert app.connector_session(meeting_id).state == SessionState.LEAVING
    with pytest.raises(ConsentDeniedError):
        app.receive_live_audio(meeting_id, [chunk(meeting_id, 0)], cursor=1)
    assert "ChunkReceived" not in stream_types(app, meeting_id)
    assert blob_files(app) == []


def test_a_repeated_start_still_matches_after_the_consent_changed(tmp_path: Path) -> None:
    app = held_meetings(tmp_path)
    meeting_id = unique_meeting_id("restart")
    app.start(start(meeting_id))
    app.change_consent(ChangeConsent(meeting_id, "granted"))
    again = app.start(start(meeting_id))
    assert again.created is False
    assert app.get(meeting_id).consent == "granted"
