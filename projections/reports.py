"""Rows of the ``reports`` table: one per ``Reported`` event, its figures in columns.

The report dict comes from ``domain/report`` (``build_report``): the contract's four keys
(``summary``, ``bullets``, ``risk_flags``, ``recommendation``) and ``analytics`` — per
speaker ``talk_share``/``talk_sec``/``wpm``/``filler_rate``/``questions``, the
``questions`` list, ``silence_share``, ``response_latency_sec`` (or null),
``transcript_quality`` and ``candidate``. Missing parts (an older or hand-made report) give
empty or null columns rather than errors; the whole report is kept in ``report_json``.

Must not: do I/O or read the clock; ``version`` is the Reported event's stream version.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from interview_analytics.domain.results import Report
from interview_analytics.projections.folding import MeetingState
from interview_analytics.projections.meetings import dumps

TABLE = "reports"


def report_row(state: MeetingState, version: int, occurred_at: datetime) -> dict[str, Any]:
    """The row of the report recorded at ``version`` (the state must include it)."""
    report = next((r for r in state.meeting.results.reports if r.version == version), None)
    if report is None:
        raise KeyError(f"{state.meeting_id} has no report at version {version}")
    return row_of(state.meeting_id, report, occurred_at, state.meeting.language)


def row_of(
    meeting_id: str, report: Report, occurred_at: datetime, default_language: str
) -> dict[str, Any]:
    body = report.report
    analytics = _mapping(body.get("analytics"))
    speakers = {
        str(name): _mapping(stats) for name, stats in _mapping(analytics.get("speakers")).items()
    }
    latency = _mapping(analytics.get("response_latency_sec"))
    quality = _mapping(analytics.get("transcript_quality"))
    candidate = _mapping(analytics.get("candidate"))
    questions = analytics.get("questions")
    return {
        "meeting_id": meeting_id,
        "report_version": report.version,
        "input_version": report.input_version,
        "final": int(report.final),
        "language": str(body.get("language") or default_language),
        "summary": _text(body.get("summary")),
        "recommendation": _text(body.get("recommendation")),
        "risk_flags": _texts(body.get("risk_flags")),
        "risk_flag_codes": _texts(body.get("risk_flag_codes")),
        "bullets": _texts(body.get("bullets")),
        "duration_sec": _number(analytics.get("duration_sec")) or 0.0,
        "speech_sec": _number(analytics.get("speech_sec")) or 0.0,
        "talk_share": _per_speaker(speakers, "talk_share"),
        "talk_sec": _per_speaker(speakers, "talk_sec"),
        "wpm": _per_speaker(speakers, "wpm"),
        "filler_rate": _per_speaker(speakers, "filler_rate"),
        "questions_by_speaker": {
            name: int(_number(stats.get("questions")) or 0) for name, stats in speakers.items()
        },
        "questions_count": len(questions) if isinstance(questions, list) else 0,
        "silence_share": _number(analytics.get("silence_share")) or 0.0,
        "response_latency_mean": _number(latency.get("mean")),
        "response_latency_max": _number(latency.get("max")),
        "mean_word_probability": _number(quality.get("mean_word_probability")),
        "low_confidence_share": _number(quality.get("low_confidence_share")),
        "candidate": _text(candidate.get("speaker")),
        "report_json": dumps(body),
        "occurred_at": occurred_at,
        "version": report.version,
    }


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _texts(value: Any) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else []


def _per_speaker(speakers: Mapping[str, Mapping[str, Any]], key: str) -> dict[str, float]:
    values = {name: _number(stats.get(key)) for name, stats in speakers.items()}
    return {name: value for name, value in values.items() if value is not None}
