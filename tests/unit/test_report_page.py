"""The report page renderer: labels in the meeting's language, escaping, the SVG charts.

Pages are rendered from GET documents (``ReportPage.from_document``) and from the
aggregate (``ReportPage.from_meeting``) of meetings whose reports ``domain/report`` built.
"""

from __future__ import annotations

import math
from html.parser import HTMLParser
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interview_analytics.domain.application import Meetings
from interview_analytics.projections.report_page import (
    CHART_WIDTH,
    PageSegment,
    ReportPage,
    render_html,
    render_markdown,
    talk_chart,
    talk_times,
    timeline_chart,
)
from tests.factories import start, unique_meeting_id
from tests.report_pages import ENGLISH, RUSSIAN, record_interview, report_of, turn

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def document(
    turns: list[Any], language: str, report: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A GET document as the API answers it (only the fields the page reads)."""
    return {
        "meeting_id": "mtg_20261203180000_0a1b2c3d4e",
        "status": "done",
        "language": language,
        "started_at": "2026-12-03T18:00:00+00:00",
        "finished_at": "2026-12-03T18:01:00+00:00",
        "audio_seconds": 55.0,
        "report": report if report is not None else report_of(turns, language),
        "segments": [
            {
                "start_sec": t["start_sec"],
                "end_sec": t["end_sec"],
                "speaker": t["speaker"],
                "text": t["text"],
                "enhanced_text": "",
            }
            for t in turns
        ],
    }


class Svg(HTMLParser):
    """The rects of each SVG on a page, by the SVG's class."""

    def __init__(self) -> None:
        super().__init__()
        self.rects: dict[str, list[dict[str, str]]] = {}
        self._svg: str | None = None
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "script":
            self.scripts += 1
        if tag == "svg":
            self._svg = values.get("class", "")
            self.rects[self._svg] = []
        elif tag == "rect" and self._svg is not None:
            self.rects[self._svg].append(values)

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self._svg = None


def parsed(html: str) -> Svg:
    parser = Svg()
    parser.feed(html)
    return parser


# --- languages ---------------------------------------------------------------------------


def test_a_russian_meeting_has_russian_labels() -> None:
    html = render_html(ReportPage.from_document(document(RUSSIAN, "ru")))
    assert '<html lang="ru">' in html
    for label in (
        "Отчёт по интервью",
        "Резюме",
        "Хронология по участникам",
        "Время речи",
        "Вопросы",
        "Компетенции",
        "Флаги риска",
        "Рекомендация",
        "русский",
    ):
        assert label in html
    assert "Interview report" not in html
    assert "Работали ли вы с Kafka?" in html  # a question, with its time
    assert "0:31" in html


def test_an_english_meeting_has_english_labels() -> None:
    page = ReportPage.from_document(document(ENGLISH, "en"))
    html, markdown = render_html(page), render_markdown(page)
    assert '<html lang="en">' in html
    for label in (
        "Interview report",
        "Summary",
        "Speaker timeline",
        "Talk time",
        "Questions",
        "Competencies",
        "Risk flags",
        "Recommendation",
        "English",
    ):
        assert label in html
        assert label in markdown
    assert "Отчёт" not in html
    assert "Отчёт" not in markdown


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("auto", "Отчёт по интервью"),
        ("", "Отчёт по интервью"),
        ("ru-RU", "Отчёт по интервью"),
        ("de", "Interview report"),
    ],
)
def test_labels_follow_the_report_language_and_default_to_russian(
    language: str, expected: str
) -> None:
    report = {"summary": "s", "bullets": [], "risk_flags": [], "recommendation": "r"}
    html = render_html(ReportPage.from_document(document(ENGLISH, language, report)))
    assert expected in html


def test_the_markdown_page_has_the_same_sections_in_russian() -> None:
    markdown = render_markdown(ReportPage.from_document(document(RUSSIAN, "ru")))
    assert markdown.startswith("# Отчёт по интервью\n")
    assert "`mtg_20261203180000_0a1b2c3d4e`" in markdown
    assert "| Кандидат | 81% | 38 с |" in markdown
    assert "`0:31` **Интервьюер**: Работали ли вы с Kafka?" in markdown
    assert "### Техническая глубина — 3/5" in markdown
    assert "## Рекомендация" in markdown


# --- escaping ----------------------------------------------------------------------------


def test_text_from_the_meeting_is_escaped_everywhere() -> None:
    turns = [turn(HOSTILE, 0, 5, f"Расскажите о себе? {HOSTILE}"), turn("Кандидат", 6, 9, HOSTILE)]
    report = report_of(turns, "ru")
    report["summary"] = HOSTILE
    report["recommendation"] = HOSTILE
    report["risk_flags"] = [HOSTILE]
    report["risk_flags_evidence"] = [
        [{"speaker": HOSTILE, "start_sec": 0, "end_sec": 1, "quote": HOSTILE}]
    ]
    page = ReportPage.from_document(document(turns, "ru", report))
    html = render_html(page)
    assert "<script" not in html
    assert "<img" not in html
    assert "&lt;script&gt;" in html
    assert parsed(html).scripts == 0
    markdown = render_markdown(page)
    assert "<script" not in markdown
    assert "<img" not in markdown


# --- charts ------------------------------------------------------------------------------


def test_the_talk_chart_rect_widths_are_the_talk_shares() -> None:
    page = ReportPage.from_document(document(RUSSIAN, "ru"))
    rects = parsed(render_html(page)).rects["talk-chart"]
    widths = [float(rect["width"]) for rect in rects]
    assert math.isclose(sum(widths), CHART_WIDTH, abs_tol=0.01 * len(widths))
    # Кандидат 38 s of 47 s of speech, Интервьюер 9 s.
    assert [rect["fill"] for rect in rects] == [t.colour for t in talk_times(page)]
    assert widths == pytest.approx([38 / 47 * CHART_WIDTH, 9 / 47 * CHART_WIDTH], abs=0.01)


def test_the_timeline_has_a_rect_per_segment_in_each_speakers_colour() -> None:
    page = ReportPage.from_document(document(RUSSIAN, "ru"))
    rects = parsed(render_html(page)).rects["timeline-chart"]
    assert len(rects) == len(RUSSIAN)
    colours = {t.speaker: t.colour for t in talk_times(page)}
    assert [rect["fill"] for rect in rects] == [colours[t["speaker"]] for t in RUSSIAN]
    assert len(set(colours.values())) == 2
    assert all(float(rect["width"]) > 0 for rect in rects)


# Segment times as the recogniser gives them: whole milliseconds at most.
MILLISECONDS = st.integers(0, 3_600_000)
segments = st.lists(
    st.tuples(
        MILLISECONDS.map(lambda ms: ms / 1000),
        st.integers(0, 600_000).map(lambda ms: ms / 1000),
        st.sampled_from(["A", "B", "C", "Кандидат"]),
    ),
    min_size=1,
    max_size=30,
)


@given(segments)
def test_talk_shares_add_up_to_the_chart_and_match_talk_time(
    rows: list[tuple[float, float, str]],
) -> None:
    page = ReportPage(
        "m",
        None,
        None,
        0.0,
        "ru",
        {},
        tuple(sorted(PageSegment(s, s + length, who, "") for s, length, who in rows)),
    )
    chart = talk_chart(page)
    total = sum(seg.end - seg.start for seg in page.segments)
    talk = {
        who: sum(s.end - s.start for s in page.segments if s.speaker == who)
        for who in {s.speaker for s in page.segments}
    }
    if total == 0:
        assert sum(rect.width for rect in chart.rects) == 0
        return
    # Pixel widths: a millionth of a pixel is float noise, not a difference.
    assert math.isclose(sum(rect.width for rect in chart.rects), CHART_WIDTH, abs_tol=1e-6)
    for rect, entry in zip(chart.rects, talk_times(page), strict=True):
        assert math.isclose(rect.width, talk[entry.speaker] / total * CHART_WIDTH, abs_tol=1e-6)
    # The rects tile the bar: each starts where the one before it ends.
    assert all(
        math.isclose(a.x + a.width, b.x, abs_tol=1e-6)
        for a, b in zip(chart.rects, chart.rects[1:], strict=False)
    )
    timeline = timeline_chart(page)
    assert all(
        rect.x + rect.width <= timeline.width + 1e-6 for rect in timeline.rects if rect.width > 0.5
    )


# --- sparse meetings ---------------------------------------------------------------------


def test_a_report_without_questions_competencies_or_speech_renders() -> None:
    report = {"summary": "Коротко.", "bullets": [], "risk_flags": [], "recommendation": "—"}
    doc = document([], "ru", report)
    page = ReportPage.from_document(doc)
    html, markdown = render_html(page), render_markdown(page)
    for text in (
        "Вопросов не найдено.",
        "Оценок компетенций нет.",
        "Флагов риска нет.",
        "Речи не распознано.",
        "Коротко.",
    ):
        assert text in html
        assert text in markdown
    assert "<svg" not in html


def test_a_document_without_a_report_is_refused() -> None:
    with pytest.raises(ValueError, match="no report"):
        ReportPage.from_document({**document(RUSSIAN, "ru"), "report": None})


# --- from the aggregate ------------------------------------------------------------------


def test_the_page_of_a_meeting_aggregate_matches_its_report(memory_meetings: Meetings) -> None:
    meeting_id = unique_meeting_id()
    memory_meetings.start(start(meeting_id, language="ru"))
    report = record_interview(memory_meetings, meeting_id, RUSSIAN, language="ru")
    meeting = memory_meetings.get(meeting_id)
    page = ReportPage.from_meeting(meeting)
    assert page.meeting_id == meeting_id
    assert page.language == "ru"
    assert page.started_at == meeting.created_on
    assert page.finished_at is not None
    assert page.finished_at >= meeting.created_on
    assert page.duration_sec == report["analytics"]["duration_sec"]
    assert [(s.start, s.end, s.speaker) for s in page.segments] == [
        (t["start_sec"], t["end_sec"], t["speaker"]) for t in RUSSIAN
    ]
    html = render_html(page)
    assert report["recommendation"] in html
    assert meeting.created_on.strftime("%Y-%m-%d") in html


def test_a_meeting_aggregate_without_a_report_is_refused(memory_meetings: Meetings) -> None:
    meeting_id = unique_meeting_id()
    memory_meetings.start(start(meeting_id))
    with pytest.raises(ValueError, match="no report"):
        ReportPage.from_meeting(memory_meetings.get(meeting_id))
