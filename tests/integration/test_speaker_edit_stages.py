"""The enhancer and reporter on a speaker edit: a real SQLite event store, the real stage
runners, messages as the relay builds them (``tests.text_stages``); no Kafka, no speech
model (the final transcript is recorded as the transcriber would record it)."""

from __future__ import annotations

from pathlib import Path

from interview_analytics.domain.application import Meetings
from interview_analytics.domain.commands import EditSpeakers, RecordTranscript
from interview_analytics.domain.speaker_roles import SpeakerEdit
from interview_analytics.domain.transcript import Segment
from interview_analytics.http.live import frames_for
from interview_analytics.streams.pipeline import DUPLICATE, RECORDED, SKIPPED
from tests.factories import chunk, segment, start, unique_meeting_id
from tests.stack import sqlite_meetings
from tests.text_stages import TextStages

LINES = [
    ("S1", 0.0, 3.0, "Tell me about your last project?"),
    ("S2", 3.5, 12.0, "I built a payment service and owned its architecture."),
    ("S1", 12.5, 15.0, "What was the hardest part of it?"),
    ("S2", 15.5, 25.0, "Scaling the queue. I moved it to Kafka and measured the latency."),
]


def spoken(speaker: str, start_sec: float, end_sec: float, text: str, index: int) -> Segment:
    line = segment(start_sec, end_sec, text, f"seg{index}")
    line["speaker"] = speaker
    return line


def finished_interview(app: Meetings) -> str:
    """A meeting with its final transcript (S1 asks, S2 answers), not yet enhanced."""
    meeting_id = unique_meeting_id("edit")
    app.start(start(meeting_id))
    app.receive_chunk(chunk(meeting_id, 0, speaker_hint="S1"))
    finished = app.finish(meeting_id).version
    segments = [spoken(*line, index) for index, line in enumerate(LINES)]
    app.record_transcript(
        RecordTranscript(
            meeting_id=meeting_id, input_version=finished, seqs=[0], segments=segments,
            final=True, model="tiny.en", language="en", audio_sec=25.0, processing_sec=1.0,
        )
    )  # fmt: skip
    return meeting_id


def kinds(app: Meetings, meeting_id: str) -> list[str]:
    return [type(event).__name__ for event in app.stream(meeting_id)]


async def test_a_speaker_edit_is_enhanced_and_reported_again_without_transcribing(
    tmp_path: Path,
) -> None:
    app = sqlite_meetings(tmp_path)
    stages = TextStages(app)
    meeting_id = finished_interview(app)
    await stages.drain()
    before = app.get(meeting_id)
    stored = len(kinds(app, meeting_id))
    first_report = before.latest_report()
    assert first_report is not None
    assert first_report.final
    assert first_report.report["roles"]["candidate"] == "S2"  # inferred: S1 asks

    edited = app.edit_speakers(
        EditSpeakers(
            meeting_id,
            (SpeakerEdit("S1", "Anna", "candidate"), SpeakerEdit("S2", "Boris", "interviewer")),
        )
    )
    outcomes = await stages.drain()

    assert outcomes == [
        ("enhance", "SpeakersEdited", RECORDED),
        ("report", "Enhanced", RECORDED),
    ]
    assert stages.dead_letters.letters == []
    after = app.get(meeting_id)
    assert kinds(app, meeting_id)[stored:] == ["SpeakersEdited", "Enhanced", "Reported"]
    enhancement = after.latest_enhancement()
    assert enhancement is not None
    assert enhancement.final
    assert enhancement.input_version == edited.version
    turns = list(enhancement.segments)
    assert [(t["speaker"], t["label"], t["role"], t["role_basis"]) for t in turns[:2]] == [
        ("Anna", "S1", "candidate", "edited"),
        ("Boris", "S2", "interviewer", "edited"),
    ]
    assert enhancement.text.startswith("Anna: ")
    assert "S1:" not in enhancement.text
    assert "S2:" not in enhancement.text
    report = after.latest_report()
    assert report is not None
    assert report.final
    assert report.input_version == enhancement.version
    roles = report.report["roles"]
    assert (roles["candidate"], roles["interviewer"], roles["basis"]) == ("Anna", "Boris", "edited")
    assert report.report["analytics"]["candidate"]["speaker"] == "Anna"
    # The transcript itself is untouched: the same one Transcribed, the same labels.
    assert kinds(app, meeting_id).count("Transcribed") == 1
    assert after.transcript() == before.transcript()
    # Live subscribers get the same names in the transcript.enhanced frame.
    event = next(e for e in app.stream(meeting_id) if e.originator_version == enhancement.version)
    (frame,) = frames_for(event)
    assert (frame["event_type"], frame["completed"]) == ("transcript.enhanced", True)
    assert frame["enhanced_text"].startswith("Anna: ")
    assert {(t["speaker"], t["label"]) for t in frame["turns"]} == {("Anna", "S1"), ("Boris", "S2")}


async def test_a_redelivered_speaker_edit_records_nothing_more(tmp_path: Path) -> None:
    app = sqlite_meetings(tmp_path)
    stages = TextStages(app)
    meeting_id = finished_interview(app)
    await stages.drain()
    app.edit_speakers(EditSpeakers(meeting_id, (SpeakerEdit("S2", "Boris"),)))
    await stages.drain()
    recorded = kinds(app, meeting_id)

    stages.position = 0  # the relay republishes everything (broker restart, rebalance)
    outcomes = await stages.drain()

    assert {outcome for _, _, outcome in outcomes} <= {DUPLICATE, SKIPPED}
    assert kinds(app, meeting_id) == recorded
    assert recorded.count("Enhanced") == recorded.count("Reported") == 2
