"""A meeting with a real report, for the report page tests (unit, HTTP and browser).

``record_interview(app, meeting_id, turns, language=...)`` records what the pipeline would:
one chunk, finish, the final transcript (one segment per turn, speakers set), the
enhancement (the turns) and the final report that ``domain/report`` builds from them with
the shipped rubric. ``RUSSIAN`` and ``ENGLISH`` are short interviews with questions and
rubric evidence.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from interview_analytics.domain.application import Meetings
from interview_analytics.domain.commands import RecordEnhancement, RecordReport
from interview_analytics.domain.report import Rubric, TurnDict, build_report
from interview_analytics.domain.transcript import Segment
from tests.factories import chunk, transcript

RUBRIC_FILE = Path(__file__).resolve().parents[1] / "ops" / "config" / "rubric.json"
RUBRIC = Rubric.from_dict(json.loads(RUBRIC_FILE.read_text(encoding="utf-8")))


def turn(speaker: str, start: float, end: float, text: str) -> TurnDict:
    return {"speaker": speaker, "start_sec": start, "end_sec": end, "text": text}


RUSSIAN = [
    turn("Интервьюер", 0, 5, "Здравствуйте, расскажите о вашем последнем проекте."),
    turn(
        "Кандидат",
        6,
        30,
        "Я отвечала за платёжный сервис, проектировала архитектуру и вела команду. "
        "Мы снизили задержку на 40 процентов.",
    ),
    turn("Интервьюер", 31, 35, "Работали ли вы с Kafka?"),
    turn("Кандидат", 36, 50, "Да, я настраивала партиции и тестировала отказоустойчивость."),
]

ENGLISH = [
    turn("Interviewer", 0, 4, "Tell me about your last project?"),
    turn(
        "Candidate",
        5,
        25,
        "I was responsible for the payments service and designed its architecture. "
        "We reduced latency by forty percent.",
    ),
    turn("Interviewer", 26, 29, "How did you test it?"),
    turn("Candidate", 30, 44, "I wrote integration tests and load tests for every partition."),
]


def report_of(turns: list[TurnDict], language: str, audio_sec: float = 55.0) -> dict[str, Any]:
    return build_report(
        turns, [], language=language, audio_sec=audio_sec, rubric=RUBRIC, final=True
    )


def record_interview(
    app: Meetings,
    meeting_id: str,
    turns: list[TurnDict],
    *,
    language: str,
    report: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Records the pipeline's results for a started meeting; returns the report."""
    app.receive_chunk(chunk(meeting_id, 0))
    app.finish(meeting_id)
    record_final_transcript(app, meeting_id, turns, language=language)
    record_enhancement(app, meeting_id, turns)
    return record_report(app, meeting_id, report or report_of(turns, language))


def record_final_transcript(
    app: Meetings, meeting_id: str, turns: list[TurnDict], *, language: str
) -> None:
    """The final pass of a finished meeting: one segment per turn, speakers set."""
    meeting = app.get(meeting_id)
    assert meeting.finished_version is not None
    segments: list[Segment] = [
        {
            "segment_id": f"s{index}",
            "start_sec": float(t["start_sec"]),
            "end_sec": float(t["end_sec"]),
            "text": t["text"],
            "speaker": t["speaker"],
            "confidence": 0.9,
            "words": [],
        }
        for index, t in enumerate(turns)
    ]
    app.record_transcript(
        transcript(
            meeting_id,
            meeting.finished_version,
            sorted(meeting.chunks),
            segments,
            final=True,
            language=language,
        )
    )


def record_enhancement(app: Meetings, meeting_id: str, turns: list[TurnDict]) -> None:
    app.record_enhancement(
        RecordEnhancement(
            meeting_id=meeting_id,
            input_version=app.get(meeting_id).version,
            text=" ".join(t["text"] for t in turns),
            segments=[dict(t) for t in turns],
            final=True,
            pii_masked=True,
        )
    )


def record_report(app: Meetings, meeting_id: str, report: dict[str, Any]) -> dict[str, Any]:
    app.record_report(
        RecordReport(
            meeting_id=meeting_id,
            input_version=app.get(meeting_id).version,
            report=report,
            final=True,
        )
    )
    return report
