"""The report page: one meeting's report as a page a recruiter would forward (HTML, Markdown).

A :class:`ReportPage` is a view of the meeting's read model: the header (id, date,
duration, language), the report object exactly as ``GET /v1/meetings/{id}`` answers it and
the segments (start, end, speaker, text). It is made from that GET document
(:meth:`ReportPage.from_document`, for the API's ``…/report.html`` and ``…/report.md``) or
from the ``Meeting`` aggregate (:meth:`ReportPage.from_meeting`, for the e-mail channel).
:func:`render_html` and :func:`render_markdown` render it with the Jinja2 templates in
``templates/`` — HTML autoescaped, every label in the meeting's language (Russian or
English; Russian where the meeting names none). The two charts, a speaker timeline and
talk time per speaker, are inline SVG computed here from the segments, so the page needs
no JavaScript and no external resource. :class:`ReportPageRenderer` is the API's port
(``http.ports.ReportPages``) onto these functions.

Must not: read a store, a clock or the environment, or let any text of the meeting reach the
HTML unescaped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import jinja2

from interview_analytics.domain.meeting import Meeting

TEMPLATES = Path(__file__).with_name("templates")
DEFAULT_LANGUAGE = "ru"
"""Labels for a meeting that names no language (or ``auto`` not yet detected)."""

CHART_WIDTH = 640.0
TIMELINE_LANE_HEIGHT = 22.0
TIMELINE_LABEL_WIDTH = 120.0
TALK_BAR_HEIGHT = 28.0
MIN_SEGMENT_WIDTH = 0.5
"""A very short segment is still drawn (half a pixel), so no turn disappears."""
# Distinguishable on white and for the common colour blindnesses (Okabe–Ito).
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")

LABELS: dict[str, dict[str, str]] = {
    "ru": {
        "title": "Отчёт по интервью",
        "meeting": "Встреча",
        "date": "Дата",
        "finished": "Завершена",
        "duration": "Длительность",
        "language": "Язык",
        "summary": "Резюме",
        "key_points": "Главное",
        "timeline": "Хронология по участникам",
        "talk_time": "Время речи",
        "speaker": "Участник",
        "share": "Доля",
        "time": "Время",
        "questions": "Вопросы",
        "no_questions": "Вопросов не найдено.",
        "competencies": "Компетенции",
        "no_competencies": "Оценок компетенций нет.",
        "insufficient": "недостаточно данных",
        "evidence": "Подтверждения",
        "risk_flags": "Флаги риска",
        "no_risk_flags": "Флагов риска нет.",
        "recommendation": "Рекомендация",
        "no_speech": "Речи не распознано.",
        "unknown_speaker": "неизвестный",
        "draft": "Черновик: встреча ещё обрабатывается, отчёт может измениться.",
        "hours": "ч",
        "minutes": "мин",
        "seconds": "с",
        "unknown": "—",
    },
    "en": {
        "title": "Interview report",
        "meeting": "Meeting",
        "date": "Date",
        "finished": "Finished",
        "duration": "Duration",
        "language": "Language",
        "summary": "Summary",
        "key_points": "Key points",
        "timeline": "Speaker timeline",
        "talk_time": "Talk time",
        "speaker": "Speaker",
        "share": "Share",
        "time": "Time",
        "questions": "Questions",
        "no_questions": "No questions found.",
        "competencies": "Competencies",
        "no_competencies": "No competency scores.",
        "insufficient": "insufficient evidence",
        "evidence": "Evidence",
        "risk_flags": "Risk flags",
        "no_risk_flags": "No risk flags.",
        "recommendation": "Recommendation",
        "no_speech": "No speech recognised.",
        "unknown_speaker": "unknown",
        "draft": "Draft: the meeting is still being processed; the report may change.",
        "hours": "h",
        "minutes": "min",
        "seconds": "s",
        "unknown": "—",
    },
}
LANGUAGE_NAMES = {
    "ru": {"ru": "русский", "en": "английский"},
    "en": {"ru": "Russian", "en": "English"},
}


class PageSegment(NamedTuple):
    """One recognised stretch of speech: seconds on the meeting's timeline, who, what."""

    start: float
    end: float
    speaker: str
    text: str


@dataclass(frozen=True)
class ReportPage:
    meeting_id: str
    started_at: datetime | None
    finished_at: datetime | None
    duration_sec: float
    language: str
    report: Mapping[str, Any]
    """The report object as the GET document holds it (``domain/report`` builds it)."""
    segments: Sequence[PageSegment]

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> ReportPage:
        """From the ``GET /v1/meetings/{id}`` document. Raises ValueError without a report."""
        report = doc.get("report")
        if not isinstance(report, Mapping):
            raise ValueError(f"meeting {doc.get('meeting_id')} has no report yet")
        segments = _segments(
            (s["start_sec"], s["end_sec"], s.get("speaker"), s.get("enhanced_text") or s["text"])
            for s in doc.get("segments") or ()
        )
        return cls(
            meeting_id=str(doc["meeting_id"]),
            started_at=_time(doc.get("started_at")),
            finished_at=_time(doc.get("finished_at")),
            duration_sec=_duration(report, doc.get("audio_seconds"), segments),
            language=str(report.get("language") or doc.get("language") or DEFAULT_LANGUAGE),
            report=report,
            segments=segments,
        )

    @classmethod
    def from_meeting(cls, meeting: Meeting) -> ReportPage:
        """From the aggregate. Segments are the enhanced turns (PII masked) when there are
        any, else the recognised segments. The aggregate keeps no finish time (None)."""
        latest = meeting.latest_report()
        if latest is None:
            raise ValueError(f"meeting {meeting.meeting_id} has no report yet")
        enhancement = meeting.latest_enhancement()
        turns: Iterable[Mapping[str, Any]] = (
            enhancement.segments if enhancement is not None else meeting.transcript()
        )
        segments = _segments(
            (t["start_sec"], t["end_sec"], t.get("speaker"), str(t.get("text") or ""))
            for t in turns
        )
        return cls(
            meeting_id=meeting.meeting_id,
            started_at=meeting.created_on,
            finished_at=meeting.finished_at,
            duration_sec=_duration(latest.report, meeting.audio_seconds(), segments),
            language=str(latest.report.get("language") or meeting.language or DEFAULT_LANGUAGE),
            report=latest.report,
            segments=segments,
        )


class ReportPageRenderer:
    """The API's ``ReportPages`` port: GET documents in, rendered pages out."""

    def html(self, document: Mapping[str, Any]) -> str:
        return render_html(ReportPage.from_document(document))

    def markdown(self, document: Mapping[str, Any]) -> str:
        return render_markdown(ReportPage.from_document(document))


def render_html(page: ReportPage) -> str:
    """A self-contained HTML page (inline CSS and SVG, no script), autoescaped."""
    return _environment().get_template("report.html.j2").render(_context(page))


def render_markdown(page: ReportPage) -> str:
    """The same report as Markdown (no charts; the timeline as a list of turns)."""
    return _environment().get_template("report.md.j2").render(_context(page))


# ---------------------------------------------------------------------- the charts


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


@dataclass(frozen=True)
class Talk:
    speaker: str
    seconds: float
    share: float
    colour: str


@dataclass(frozen=True)
class Chart:
    width: float
    height: float
    rects: tuple[Rect, ...]
    lanes: tuple[tuple[float, str, str], ...] = ()
    """Timeline lanes: (y of the lane's middle, speaker, colour)."""
    ticks: tuple[tuple[float, str], ...] = ()
    """Time-axis ticks: (x, label)."""


def talk_times(page: ReportPage) -> list[Talk]:
    """Each speaker's talk time and share of all talk, longest first (ties by name)."""
    seconds: dict[str, float] = {}
    for segment in page.segments:
        talked = segment.end - segment.start
        seconds[segment.speaker] = seconds.get(segment.speaker, 0.0) + talked
    total = sum(seconds.values())
    colours = speaker_colours(page)
    ordered = sorted(seconds.items(), key=lambda item: (-item[1], item[0]))
    return [
        Talk(speaker, sec, sec / total if total > 0 else 0.0, colours[speaker])
        for speaker, sec in ordered
    ]


def speaker_colours(page: ReportPage) -> dict[str, str]:
    """A colour per speaker, in the order they first speak (the same in both charts)."""
    colours: dict[str, str] = {}
    for segment in sorted(page.segments):
        if segment.speaker not in colours:
            colours[segment.speaker] = COLOURS[len(colours) % len(COLOURS)]
    return colours


def talk_chart(page: ReportPage) -> Chart:
    """One stacked bar: a rect per speaker, its width the speaker's share of CHART_WIDTH."""
    rects: list[Rect] = []
    x = 0.0
    for talk in talk_times(page):
        width = talk.share * CHART_WIDTH
        title = f"{talk.speaker}: {round(talk.share * 100)}%"
        rects.append(Rect(x, 0.0, width, TALK_BAR_HEIGHT, talk.colour, title))
        x += width
    return Chart(CHART_WIDTH, TALK_BAR_HEIGHT, tuple(rects))


def timeline_chart(page: ReportPage) -> Chart:
    """A lane per speaker; a rect per segment, placed on the meeting's duration."""
    colours = speaker_colours(page)
    lanes = {speaker: index for index, speaker in enumerate(colours)}
    span = max([page.duration_sec, *(s.end for s in page.segments)])
    # Under a millisecond of meeting there is nothing to spread out (and no finite scale).
    scale = (CHART_WIDTH - TIMELINE_LABEL_WIDTH) / span if span >= 0.001 else 0.0
    rects = tuple(
        Rect(
            TIMELINE_LABEL_WIDTH + segment.start * scale,
            lanes[segment.speaker] * TIMELINE_LANE_HEIGHT + 3,
            max((segment.end - segment.start) * scale, MIN_SEGMENT_WIDTH),
            TIMELINE_LANE_HEIGHT - 6,
            colours[segment.speaker],
            f"{segment.speaker} {clock(segment.start)}–{clock(segment.end)}",
        )
        for segment in sorted(page.segments)
    )
    axis_y = len(lanes) * TIMELINE_LANE_HEIGHT
    ticks = tuple(
        (TIMELINE_LABEL_WIDTH + span * step / 4 * scale, clock(span * step / 4))
        for step in range(5)
    )
    return Chart(
        CHART_WIDTH,
        axis_y + 18,
        rects,
        lanes=tuple(
            ((index + 0.5) * TIMELINE_LANE_HEIGHT, speaker, colours[speaker])
            for speaker, index in lanes.items()
        ),
        ticks=ticks if scale else (),
    )


# ---------------------------------------------------------------------- the words


def label_language(page: ReportPage) -> str:
    """The labels' language: the report's own when it has labels here; a meeting in another
    language gets English, as its report's wording does; none (or auto) gets Russian."""
    code = page.language.lower().replace("_", "-").split("-")[0]
    if code in LABELS:
        return code
    return DEFAULT_LANGUAGE if code in {"", "auto"} else "en"


def clock(sec: float) -> str:
    """Seconds as m:ss (h:mm:ss from an hour on)."""
    whole = max(0, math.floor(sec))
    hours, rest = divmod(whole, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def spoken_duration(sec: float, labels: Mapping[str, str]) -> str:
    whole = round(sec)
    hours, rest = divmod(whole, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [(hours, labels["hours"]), (minutes, labels["minutes"]), (seconds, labels["seconds"])]
    shown = [f"{value} {unit}" for value, unit in parts if value] or [f"0 {labels['seconds']}"]
    return " ".join(shown)


def _context(page: ReportPage) -> dict[str, Any]:
    lang = label_language(page)
    labels = LABELS[lang]
    report = page.report
    analytics = report.get("analytics") if isinstance(report.get("analytics"), Mapping) else {}
    code = page.language.lower().split("-")[0]
    return {
        "page": page,
        "lang": lang,
        "t": labels,
        "started": _format_time(page.started_at) or labels["unknown"],
        "finished": _format_time(page.finished_at),
        "duration": spoken_duration(page.duration_sec, labels),
        "language_name": LANGUAGE_NAMES[lang].get(code, page.language),
        "summary": str(report.get("summary") or ""),
        "bullets": [str(b) for b in report.get("bullets") or ()],
        "questions": [
            {
                "at": clock(float(q.get("at_sec") or 0)),
                "speaker": q.get("speaker") or "",
                "text": q.get("text") or "",
            }
            for q in (analytics or {}).get("questions") or ()
        ],
        "competencies": [_competency(c, labels) for c in report.get("competencies") or ()],
        "risk_flags": _with_evidence(
            report.get("risk_flags") or (), report.get("risk_flags_evidence") or ()
        ),
        "recommendation": str(report.get("recommendation") or ""),
        "draft": report.get("final") is False,
        "talk": talk_times(page),
        "talk_chart": talk_chart(page),
        "timeline_chart": timeline_chart(page),
        "turns": _turns(page),
    }


def _competency(competency: Mapping[str, Any], labels: Mapping[str, str]) -> dict[str, Any]:
    score = competency.get("score")
    return {
        "title": competency.get("title") or competency.get("key") or "",
        "score": f"{score}/5" if score is not None else labels["insufficient"],
        "evidence": [_quote(q) for q in competency.get("evidence") or ()],
    }


def _with_evidence(texts: Sequence[Any], evidence: Sequence[Any]) -> list[dict[str, Any]]:
    return [
        {
            "text": str(text),
            "evidence": [_quote(q) for q in (evidence[i] if i < len(evidence) else ())],
        }
        for i, text in enumerate(texts)
    ]


def _quote(quote: Mapping[str, Any]) -> dict[str, str]:
    return {
        "quote": str(quote.get("quote") or ""),
        "speaker": str(quote.get("speaker") or ""),
        "at": clock(float(quote.get("start_sec") or 0)),
    }


def _turns(page: ReportPage) -> list[PageSegment]:
    """Consecutive segments of one speaker merged: the Markdown timeline."""
    turns: list[PageSegment] = []
    for segment in sorted(page.segments):
        if turns and turns[-1].speaker == segment.speaker:
            last = turns[-1]
            text = f"{last.text} {segment.text}".strip()
            turns[-1] = PageSegment(last.start, max(last.end, segment.end), last.speaker, text)
        else:
            turns.append(segment)
    return turns


def _segments(rows: Iterable[tuple[Any, Any, Any, str]]) -> tuple[PageSegment, ...]:
    """Checked segments in time order; a missing speaker is the report's ``unknown``."""
    segments = []
    for start, end, speaker, text in rows:
        begin = float(start)
        segments.append(
            PageSegment(
                begin, max(begin, float(end)), str(speaker or "").strip() or "unknown", text
            )
        )
    return tuple(sorted(segments))


def _duration(report: Mapping[str, Any], audio_sec: Any, segments: Sequence[PageSegment]) -> float:
    analytics = report.get("analytics")
    if isinstance(analytics, Mapping) and analytics.get("duration_sec") is not None:
        return float(analytics["duration_sec"])
    return max([float(audio_sec or 0), *(s.end for s in segments)])


def _time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _format_time(value: datetime | None) -> str:
    if value is None:
        return ""
    zone = value.strftime("%Z") or ""
    return f"{value:%Y-%m-%d %H:%M} {zone}".strip()


def _markdown(value: Any) -> str:
    """Text safe inside Markdown: no markup of its own, no raw HTML."""
    text = str(value)
    for char in "\\`*_[]#|":
        text = text.replace(char, "\\" + char)
    return text.replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")


@cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        # HTML is escaped; the Markdown template escapes through its own ``md`` filter.
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["md"] = _markdown
    environment.filters["px"] = lambda value: f"{value:.2f}"
    environment.filters["clock"] = clock
    return environment
