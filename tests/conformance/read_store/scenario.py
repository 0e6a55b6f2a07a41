"""Interviews driven through the Meetings application (in memory), for the read-side tests.

``run_interview`` records what the pipeline would: chunks with speaker hints, a draft per
chunk, a rolling draft that replaces two of them, a rejected chunk, a failure, draft
enhancement and report, then finish and the final transcript, enhancement and report
(built with the real ``domain.enhance`` and ``domain.report``). What is said comes from a
script of ``(speaker, text)`` lines, one per chunk, cycled: ``LINES`` unless one is given.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from interview_analytics.domain.application import Meetings
from interview_analytics.domain.commands import (
    RecordEnhancement,
    RecordFailure,
    RecordReport,
    RecordTranscript,
    RejectChunk,
)
from interview_analytics.domain.enhance import enhance
from interview_analytics.domain.events import EventMeta
from interview_analytics.domain.lifecycle import StartSettings
from interview_analytics.domain.meeting import Meeting
from interview_analytics.domain.report import Rubric, build_report
from interview_analytics.domain.transcript import Segment
from interview_analytics.projections.projector import (
    MEETING_TABLES,
    Notified,
    ProjectionWriter,
    Projector,
)
from interview_analytics.projections.replay import stored_events
from interview_analytics.projections.store import ReadStore
from tests.factories import chunk, start

RUBRIC_FILE = Path(__file__).resolve().parents[3] / "ops" / "config" / "rubric.json"
RUBRIC = Rubric.from_dict(json.loads(RUBRIC_FILE.read_text(encoding="utf-8")))

LINES = [
    ("Interviewer", "Hello, thanks for joining. Can you tell me about your last project?"),
    ("Candidate", "Sure, um, I built a payment service in Python with Kafka and PostgreSQL."),
    ("Interviewer", "How did you handle duplicate messages from the broker?"),
    ("Candidate", "Every consumer was idempotent on the message key and the stream version."),
    ("Interviewer", "What would you do differently today?"),
    ("Candidate", "I would add better monitoring and, you know, write the runbooks earlier."),
]
CHUNK_SEC = 0.1  # tests.factories.pcm's default length

Script = Sequence[tuple[str, str]]


def words(
    text: str, start_sec: float, end_sec: float, probability: float
) -> list[dict[str, float | str]]:
    tokens = text.split()
    step = (end_sec - start_sec) / len(tokens)
    return [
        {
            "word": token,
            "start_sec": round(start_sec + i * step, 3),
            "end_sec": round(start_sec + (i + 1) * step, 3),
            "probability": probability,
        }
        for i, token in enumerate(tokens)
    ]


def segment(segment_id: str, seq: int, probability: float = 0.9, lines: Script = LINES) -> Segment:
    speaker, text = lines[seq % len(lines)]
    # Speech stops a little before the chunk ends: the pauses give response latencies.
    start_sec, end_sec = seq * CHUNK_SEC, (seq + 0.8) * CHUNK_SEC
    return {
        "segment_id": segment_id,
        "start_sec": round(start_sec, 3),
        "end_sec": round(end_sec, 3),
        "text": text,
        "speaker": speaker,
        "confidence": probability,
        "words": words(text, start_sec, end_sec, probability),  # type: ignore[typeddict-item]
    }


def run_interview(
    app: Meetings,
    meeting_id: str,
    *,
    language: str = "en",
    chunks: int = 6,
    finish: bool = True,
    model: str = "tiny.en",
    lines: Script = LINES,
) -> None:
    meta = EventMeta(actor="user-1", correlation_id=f"req-{meeting_id}")
    app.start(
        start(
            meeting_id,
            language=language,
            consent="granted",
            context={"vacancy": "backend"},
            recipients=["hr@example.com"],
        ),
        meta,
    )
    # The platform connector joins (its session is projected into connector_sessions).
    app.request_connector(meeting_id, meta, provider="sberjazz", participants=["bot"])
    app.begin_connector_join(meeting_id, meta=meta)
    app.connector_connected(meeting_id, meta)
    for seq in range(chunks):
        speaker = lines[seq % len(lines)][0]
        app.receive_chunk(chunk(meeting_id, seq, speaker_hint=speaker), meta)
        version = app.get(meeting_id).chunks[seq].version
        if seq == 2:
            # A rolling draft re-transcribes chunks 1 and 2 with more context: the
            # draft of chunk 1 is replaced.
            rolling = [segment(f"r{version}-{i}", s, 0.95, lines) for i, s in enumerate((1, 2))]
            app.record_transcript(
                RecordTranscript(
                    meeting_id=meeting_id,
                    input_version=version,
                    seqs=[1, 2],
                    segments=rolling,
                    final=False,
                    model=model,
                    language=language,
                    audio_sec=2 * CHUNK_SEC,
                    processing_sec=0.01,
                )
            )
        else:
            _transcribe(
                app,
                meeting_id,
                version,
                [seq],
                final=False,
                model=model,
                language=language,
                lines=lines,
            )
    app.record_connector_progress(meeting_id, cursor=chunks, meta=meta)
    # One more chunk the transcriber cannot use, and a stage that failed once.
    app.receive_chunk(chunk(meeting_id, chunks, tone=999), meta)
    bad = app.get(meeting_id).chunks[chunks].version
    app.reject_chunk(
        RejectChunk(
            meeting_id=meeting_id, input_version=bad, code="undecodable_audio", reason="garbage"
        )
    )
    _enhance_and_report(app, meeting_id, final=False)
    app.record_failure(
        RecordFailure(
            meeting_id=meeting_id,
            input_version=app.get(meeting_id).results.transcriptions[0].version,
            stage="report",
            code="timeout",
            reason="reporter timed out",
            attempts=3,
        )
    )
    if finish:
        finish_interview(app, meeting_id, meta=meta, model=model, lines=lines)


def finish_interview(
    app: Meetings,
    meeting_id: str,
    *,
    meta: EventMeta = EventMeta(),
    model: str = "tiny.en",
    lines: Script = LINES,
) -> None:
    """Finish, then the final transcript of every usable chunk, enhancement and report."""
    if app.get(meeting_id).connector is not None:
        app.begin_connector_leave(meeting_id, reason="meeting_finished", meta=meta)
        app.connector_left(meeting_id, meta)
    app.finish(meeting_id, meta=meta)
    meeting = app.get(meeting_id)
    assert meeting.finished_version is not None
    usable = sorted(seq for seq in meeting.chunks if seq not in meeting.results.rejections)
    _transcribe(
        app,
        meeting_id,
        meeting.finished_version,
        usable,
        final=True,
        model=model,
        language=meeting.language,
        lines=lines,
    )
    _enhance_and_report(app, meeting_id, final=True)


def _transcribe(
    app: Meetings,
    meeting_id: str,
    input_version: int,
    seqs: list[int],
    *,
    final: bool,
    model: str,
    language: str,
    lines: Script = LINES,
) -> None:
    prefix = "f" if final else "d"
    app.record_transcript(
        RecordTranscript(
            meeting_id=meeting_id,
            input_version=input_version,
            seqs=seqs,
            segments=[
                segment(f"{prefix}{input_version}-{i}", seq, lines=lines)
                for i, seq in enumerate(seqs)
            ],
            final=final,
            model=model,
            language=language,
            audio_sec=len(seqs) * CHUNK_SEC,
            processing_sec=0.01,
        )
    )


def _enhance_and_report(app: Meetings, meeting_id: str, *, final: bool) -> None:
    meeting = app.get(meeting_id)
    transcribed = meeting.results.transcriptions[-1].version
    enhanced = enhance(meeting.transcript(), language=meeting.language, mask_pii=True)
    app.record_enhancement(
        RecordEnhancement(
            meeting_id=meeting_id,
            input_version=transcribed,
            text=enhanced.text,
            segments=enhanced.event_segments(),
            final=final,
            pii_masked=enhanced.pii_masked,
        )
    )
    meeting = app.get(meeting_id)
    enhancement = meeting.results.enhancements[-1]
    report = build_report(
        list(enhancement.segments),
        meeting.transcript(),
        language=meeting.language,
        audio_sec=meeting.audio_seconds(),
        rubric=RUBRIC,
        final=final,
    )
    app.record_report(
        RecordReport(
            meeting_id=meeting_id, input_version=enhancement.version, report=report, final=final
        )
    )


def all_events(app: Meetings) -> list[Notified]:
    return list(stored_events(app))


def events_of(app: Meetings, meeting_id: str) -> list[Meeting.Event]:
    return [event for _, event in all_events(app) if event.meeting_id == meeting_id]


def synthetic_events(
    meetings: int, chunks: int, *, transcribe_every: int = 0, prefix: str = "bench"
) -> list[Notified]:
    """Many meetings' events built on aggregates directly (no store), interleaved round-robin
    as a notification log would be: mostly ChunkReceived, a draft every
    ``transcribe_every`` chunks (0 = none)."""
    from interview_analytics.domain.audio import AudioFormat

    settings = StartSettings(language="en", recipients=["hr@example.com"])
    streams: list[list[Meeting.Event]] = []
    for m in range(meetings):
        meeting = Meeting.start(f"{prefix}-{m:05d}", settings)
        for seq in range(chunks):
            meeting.receive_chunk(
                seq=seq,
                sha256=f"{m:016x}{seq:048x}",
                byte_length=3200,
                audio_format=AudioFormat(),
                duration_sec=0.1,
                speaker_hint=LINES[seq % len(LINES)][0],
            )
            if transcribe_every and seq % transcribe_every == transcribe_every - 1:
                meeting.record_transcript(
                    RecordTranscript(
                        meeting_id=meeting.meeting_id,
                        input_version=meeting.chunks[seq].version,
                        seqs=[seq],
                        segments=[segment(f"d{seq}", seq)],
                        final=False,
                        model="tiny.en",
                        language="en",
                        audio_sec=0.1,
                        processing_sec=0.01,
                    )
                )
        streams.append(list(meeting.collect_events()))  # type: ignore[arg-type]
    interleaved: list[Notified] = []
    for position in range(max(len(s) for s in streams)):
        for stream in streams:
            if position < len(stream):
                interleaved.append((len(interleaved) + 1, stream[position]))
    return interleaved


# The row identity of each meeting table, to read whole tables in a stable order.
TABLE_KEYS = {
    "meetings": "meeting_id",
    "transcript_segments": "meeting_id, transcription_version, segment_id",
    "reports": "meeting_id, report_version",
    "event_log": "meeting_id, version",
    "connector_sessions": "meeting_id",
    "deliveries": "meeting_id, delivery_id, attempt",
}


def project(
    store: ReadStore,
    events: list[Notified],
    batch_size: int = 10_000,
    projector: Projector | None = None,
) -> Projector:
    """Project ``events`` in batches of ``batch_size``; the projector used."""
    projector = projector if projector is not None else Projector()
    writer = ProjectionWriter(store)
    for first in range(0, len(events), batch_size):
        writer.write(projector.project(events[first : first + batch_size]))
    return projector


def snapshot(store: ReadStore) -> dict[str, list[dict[str, object]]]:
    """What a reader sees in every meeting table (FINAL), in key order."""
    return {
        table: store.query_rows(f"SELECT * FROM {table} FINAL ORDER BY {TABLE_KEYS[table]}")  # noqa: S608
        for table in MEETING_TABLES
    }
