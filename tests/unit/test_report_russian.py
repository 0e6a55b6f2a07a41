"""The report of a Russian interview: questions, fillers, rubric evidence and its wording.

``test_report.py`` covers the report as a whole; each case here is Russian-specific and one
the report once got wrong.
"""

from __future__ import annotations

import json
import re
import string
from pathlib import Path
from typing import Any

import pytest

from interview_analytics.domain.languages import ALL, en, ru
from interview_analytics.domain.report import Rubric, build_report
from interview_analytics.domain.report.text import filler_spans
from interview_analytics.domain.transcript import Segment

RUBRIC_FILE = Path(__file__).resolve().parents[2] / "ops" / "config" / "rubric.json"
RUBRIC = Rubric.from_dict(json.loads(RUBRIC_FILE.read_text(encoding="utf-8")))
CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)


def turn(speaker: str, start: float, end: float, text: str, raw: str | None = None) -> Any:
    return {
        "speaker": speaker,
        "start_sec": start,
        "end_sec": end,
        "text": text,
        "raw_text": raw or text,
    }


def report(turns: list[Any], segments: list[Segment] | None = None, **options: Any) -> Any:
    settings = {"language": "ru", "audio_sec": 100.0, "rubric": RUBRIC, "final": True, **options}
    return build_report(turns, segments or [], **settings)


# --- questions ---------------------------------------------------------------------------


def test_the_interviewers_questions_are_listed_however_they_are_asked() -> None:
    turns = [
        turn("Интервьюер", 0, 5, "Здравствуйте, расскажите о вашем последнем проекте."),
        turn("Кандидат", 6, 30, "Я отвечала за платёжный сервис. Вряд ли это было просто."),
        turn("Интервьюер", 31, 35, "Работали ли вы с Kafka"),
        turn("Кандидат", 36, 50, "Да, работала. Я расскажу подробнее."),
        turn("Интервьюер", 51, 55, "На каком языке вы пишете"),
        turn("Кандидат", 56, 60, "На Python."),
        turn("Интервьюер", 61, 70, "Хорошо. Приведите пример. А почему вы ушли"),
        turn("Кандидат", 71, 80, "Не знаю, можно ли так сказать."),
    ]
    questions = report(turns)["analytics"]["questions"]
    assert [(q["speaker"], q["text"]) for q in questions] == [
        ("Интервьюер", "Здравствуйте, расскажите о вашем последнем проекте."),
        ("Интервьюер", "Работали ли вы с Kafka"),
        ("Интервьюер", "На каком языке вы пишете"),
        ("Интервьюер", "Приведите пример."),
        ("Интервьюер", "А почему вы ушли"),
    ]


def test_english_question_words_do_not_make_a_russian_sentence_a_question() -> None:
    questions = report([turn("A", 0, 5, "what is the plan"), turn("B", 6, 9, "так")])
    assert questions["analytics"]["questions"] == []


# --- fillers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "count"),
    [
        ("Это значит, что всё работает", 0),
        ("Значит, мы договорились", 1),
        ("Какого типа данные вы храните", 0),
        ("Два типа данных", 0),
        ("Это самое важное", 0),
        ("Я, это самое, забыл", 1),
        ("Мы писали в общем чате", 0),
        ("В общем случае так", 0),
        ("Нельзя так сказать", 0),
        ("Э-э м-м хм", 3),
        ("Вот, например, мы", 1),
        ("Вот пример", 0),
        ("Ну типа как бы в общем короче", 5),
    ],
)
def test_russian_fillers_are_counted_only_where_they_are_fillers(raw: str, count: int) -> None:
    assert len(filler_spans(raw, ru.LANGUAGE)) == count


# --- rubric ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "said", "indicator"),
    [
        ("communication", "Я объяснила команде, как это работает.", "я объяснил*"),
        ("communication", "Иначе говоря, мы согласовали план.", "мы согласовали"),
        ("technical_depth", "Нагрузку держали за счёт шардирования.", "шардир*"),
        ("technical_depth", "Я разбиралась, что под капотом.", "под капотом"),
        ("problem_solving", "Узким местом была база.", "узк* мест*"),
        ("problem_solving", "Я проанализировала корневую причину.", "корнев* причин*"),
        ("problem_solving", "Мы пошли обходным путём.", "обходн* пут*"),
        ("problem_solving", "Мы разбили задачи на этапы.", "разбили задач*"),
        ("ownership", "Я приняла решения по архитектуре.", "я принял* решени*"),
        ("ownership", "Я принимала решения по архитектуре.", "я принимал* решени*"),
    ],
)
def test_russian_indicators_match_inflected_and_feminine_forms(
    key: str, said: str, indicator: str
) -> None:
    turns = [turn("Интервьюер", 0, 5, "Расскажите."), turn("Кандидат", 6, 60, said)]
    scores = {c["key"]: c for c in report(turns)["competencies"]}
    assert indicator in scores[key]["matched_indicators"], scores[key]
    assert scores[key]["evidence"][0]["quote"] == said


@pytest.mark.parametrize(
    "said", ["Я не отвечала за архитектуру.", "Я никогда не принимала решений по архитектуре."]
)
def test_a_negated_indicator_is_not_evidence(said: str) -> None:
    turns = [turn("Интервьюер", 0, 5, "Расскажите."), turn("Кандидат", 6, 60, said)]
    ownership = next(c for c in report(turns)["competencies"] if c["key"] == "ownership")
    assert ownership["matches"] == 0, ownership


def test_a_stem_too_short_to_mean_anything_is_refused() -> None:
    competency = {"key": "a", "title": {"en": "A"}, "indicators": {"ru": ["я*"]}}
    with pytest.raises(ValueError, match=r"needs 3 letters"):
        Rubric.from_dict({"competencies": [competency]})


# --- wording -----------------------------------------------------------------------------


def fragments(template: str) -> list[str]:
    """The literal parts of a template with two or more words: what a reader would see."""
    parts = [literal for literal, *_ in string.Formatter().parse(template)]
    return [p.strip(" .,;:()") for p in parts if len(re.findall(r"[A-Za-z]{2,}", p)) >= 2]


ENGLISH_FRAGMENTS = sorted({f for text in en.TEXTS.values() for f in fragments(text)})


def scenarios() -> list[dict[str, Any]]:
    """Russian reports that between them use every sentence the report can write."""
    answer = (
        "ну я отвечала за платёжный сервис типа моя зона ответственности э архитектура и "
        "масштабирование например мы перевели сервис на Kafka и я измерила задержки"
    )
    interview = [
        turn("Интервьюер", 0, 8, "Расскажите, за что вы отвечали?"),
        turn("Кандидат", 20, 200, answer, answer),  # long latency, monologue, fillers
        turn("Интервьюер", 201, 205, "Какие были сложности?"),
        turn("Кандидат", 206, 220, "Главная сложность — задержки. Я нашла узкое место."),
    ]
    low = [{"word": "w", "start_sec": 0.0, "end_sec": 1.0, "probability": 0.1}] * 30
    poor: list[Segment] = [
        {
            "segment_id": "s1",
            "start_sec": 0.0,
            "end_sec": 8.0,
            "text": "плохо слышно",
            "speaker": None,
            "confidence": 0.1,
            "words": low,  # type: ignore[typeddict-item]
        }
    ]
    strong = " ".join(
        f"Например, я отвечала за {topic}, архитектура, гипотеза, я исправила ошибку."
        for topic in ("сервис", "базу", "очередь", "кэш", "поиск", "биллинг", "отчёты", "API")
    )
    many = [turn("Интервьюер", 0, 5, "Расскажите о себе?")] + [
        turn("Кандидат", 6 + 20 * i, 25 + 20 * i, strong) for i in range(9)
    ]
    unsolved = strong.replace(", гипотеза, я исправила ошибку", "")
    one_competency = " ".join(["Например, так и было."] * 12)
    return [
        report([turn("Интервьюер", 0, 10, "Начнём?"), turn("Рекрутер", 11, 20, "Да.")]),
        report([many[0], turn("Кандидат", 6, 60, one_competency)]),
        report([many[0], *(turn("Кандидат", 6 + 20 * i, 25 + 20 * i, unsolved) for i in range(9))]),
        report([]),
        report([], final=False),
        report(interview, poor, final=False),
        report(interview[:2]),
        report([turn("Кандидат", 0, 60, answer)]),
        report([turn("Интервьюер", 0, 60, "Расскажите о себе."), turn("Кандидат", 61, 62, "Да.")]),
        report([turn("A", 0, 60, "Расскажите о себе."), turn("B", 61, 62, "Да.")]),
        report(many),
        report(many[:4]),
        report([*many[:2], turn("Интервьюер", 100, 400, answer)]),
        report([turn("S1", 0, 60, answer)]),  # one voice: roles unknown
        report([turn("A", 0, 10, "Да."), turn("B", 11, 60, "Нет.")]),  # roles a guess
        report(
            [
                role(many[0], "S1", "interviewer", "edited"),
                role(many[1], "S2", "candidate", "edited"),
            ]
        ),
        report(
            [
                role(many[0], "S1", "interviewer", "participants"),
                role(many[1], "S2", "candidate", "participants"),
            ]
        ),
        report(
            [
                role(many[0], "S1", "interviewer", "edited"),
                role(many[1], "S2", "observer", "edited"),
            ]
        ),
    ]


def role(turn: dict[str, Any], label: str, role: str, basis: str) -> dict[str, Any]:
    """``turn`` as the enhancer writes it once roles are known."""
    return {**turn, "label": label, "role": role, "role_basis": basis, "role_confidence": 1.0}


def test_a_russian_report_has_no_english_sentence_from_the_wording_tables() -> None:
    assert len(ENGLISH_FRAGMENTS) > 30  # the check has something to look for
    for result in scenarios():
        assert result["language"] == "ru"
        texts = [result["summary"], *result["bullets"], *result["risk_flags"]]
        texts.append(result["recommendation"])
        for text in texts:
            leaked = [fragment for fragment in ENGLISH_FRAGMENTS if fragment in text]
            assert not leaked, (text, leaked)
            assert CYRILLIC.search(text), text


def test_the_russian_scenarios_use_every_sentence_the_report_can_write() -> None:
    """So the test above has read all of them: each template's Russian words appear."""
    written = " ".join(
        " ".join([r["summary"], *r["bullets"], *r["risk_flags"], r["recommendation"]])
        for r in scenarios()
    )
    unused = [
        key
        for key, template in ru.TEXTS.items()
        if not all(
            literal.strip() in written
            for literal, *_ in string.Formatter().parse(template)
            if literal.strip(" .,;:()—")
        )
    ]
    assert not unused


@pytest.mark.parametrize("language", ALL, ids=lambda language: language.code)
def test_every_language_words_every_sentence_with_the_same_figures(language: Any) -> None:
    def fields(template: str) -> set[str]:
        return {name for _, name, *_ in string.Formatter().parse(template) if name}

    assert set(language.texts) == set(en.TEXTS)
    for key, template in en.TEXTS.items():
        assert fields(language.texts[key]) == fields(template), key


def test_greetings_are_not_what_a_russian_meeting_was_about() -> None:
    turns = [
        turn("Интервьюер", 0, 5, "Добрый день! Здравствуйте, пожалуйста, расскажите о Kafka."),
        turn("Кандидат", 6, 30, "Добрый день. Здравствуйте. Kafka и снова Kafka."),
    ]
    phrases = [p["phrase"] for p in report(turns)["analytics"]["key_phrases"]]
    assert phrases[0] == "kafka"
    assert not {"добрый", "день", "добрый день", "здравствуйте", "пожалуйста"} & set(phrases)
