"""The interview report: figures, flags, evidence and scores from hand-built turns, en and ru."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from interview_analytics.domain.report import Rubric, build_report
from interview_analytics.domain.transcript import Segment

RUBRIC_FILE = Path(__file__).resolve().parents[2] / "ops" / "config" / "rubric.json"
RUBRIC = Rubric.from_dict(json.loads(RUBRIC_FILE.read_text(encoding="utf-8")))
CONTRACT = {"summary": str, "bullets": list, "risk_flags": list, "recommendation": str}


def turn(
    speaker: str, start: float, end: float, text: str, raw: str | None = None
) -> dict[str, Any]:
    return {
        "speaker": speaker,
        "start_sec": start,
        "end_sec": end,
        "text": text,
        "raw_text": text if raw is None else raw,
        "segment_ids": [f"{speaker}-{start:g}"],
    }


def seg(segment_id: str, start: float, end: float, probabilities: list[float]) -> Segment:
    step = (end - start) / max(len(probabilities), 1)
    return {
        "segment_id": segment_id,
        "start_sec": start,
        "end_sec": end,
        "text": f"text of {segment_id}",
        "speaker": None,
        "confidence": 0.9,
        "words": [
            {
                "word": f"w{i}",
                "start_sec": start + i * step,
                "end_sec": start + (i + 1) * step,
                "probability": p,
            }
            for i, p in enumerate(probabilities)
        ],
    }


def report(
    turns: list[dict[str, Any]],
    segments: list[Segment] | None = None,
    *,
    language: str = "en",
    audio_sec: float = 100.0,
    final: bool = True,
    rubric: Rubric = RUBRIC,
) -> dict[str, Any]:
    return build_report(
        turns, segments or [], language=language, audio_sec=audio_sec, rubric=rubric, final=final
    )


def interview_en() -> list[dict[str, Any]]:
    return [
        turn("Interviewer", 0, 10, "Welcome. Can you tell me about a project you led?"),
        turn(
            "Candidate",
            12,
            42,
            "I led the migration of our billing service to Kafka. I was responsible for the "
            "architecture, and the main trade-off was latency versus consistency.",
            "um I led the migration of our billing service to Kafka, like, I was responsible "
            "for the architecture and the main trade-off was latency versus consistency",
        ),
        turn("Interviewer", 44, 50, "How did you find the root cause of the outage?"),
        turn(
            "Candidate",
            51,
            80,
            "I reproduced it in staging and found the bottleneck in the Kafka consumer. For "
            "example, the partition rebalancing was too slow. Do you use Kafka here?",
        ),
    ]


def interview_ru() -> list[dict[str, Any]]:
    return [
        turn("Интервьюер", 0, 8, "Расскажите, за что вы отвечали на прошлом месте?"),
        turn(
            "Кандидат",
            10,
            50,
            "Я отвечала за платёжный сервис. Моя зона ответственности — архитектура и "
            "масштабирование. Например, мы перевели платёжный сервис на Kafka.",
            "ну я отвечала за платёжный сервис типа моя зона ответственности э архитектура и "
            "масштабирование например мы перевели платёжный сервис на Kafka",
        ),
        turn("Интервьюер", 52, 56, "какие были сложности"),
        turn(
            "Кандидат",
            57,
            80,
            "Главная сложность — задержки. Я измерила задержки и нашла узкое место.",
        ),
    ]


def competency_data(**overrides: Any) -> dict[str, Any]:
    return {"key": "a", "title": {"en": "x"}, "indicators": {"en": ["a"]}, **overrides}


def one_competency_rubric(*indicators: str) -> Rubric:
    ownership = {
        "key": "ownership",
        "title": {"en": "Ownership"},
        "indicators": {"en": list(indicators)},
    }
    return Rubric.from_dict({"competencies": [ownership]})


def flag_codes(result: dict[str, Any]) -> list[str]:
    return list(result["risk_flag_codes"])


def sole_flag(result: dict[str, Any], code: str) -> tuple[str, list[dict[str, Any]]]:
    """The one risk flag the report raises, which must be ``code``: its words, its evidence."""
    assert flag_codes(result) == [code]
    return result["risk_flags"][0], result["risk_flags_evidence"][0]


# --- the rubric ----------------------------------------------------------------------------


def test_the_default_rubric_file_loads_with_titles_and_indicators_in_both_languages() -> None:
    data = json.loads(RUBRIC_FILE.read_text(encoding="utf-8"))
    rubric = Rubric.from_dict(data)
    keys = [c.key for c in rubric.competencies]
    assert keys == ["communication", "technical_depth", "problem_solving", "ownership"]
    for competency in rubric.competencies:
        assert set(competency.title) == {"en", "ru"}
        assert competency.indicators["en"]
        assert competency.indicators["ru"]
    ownership = rubric.competencies[-1]
    assert "I was responsible" in ownership.indicators["en"]
    assert "моя зона ответственности" in ownership.indicators["ru"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "competencies must be a non-empty list"),
        ({"competencies": [], "extra": 1}, "unknown keys"),
        ({"competencies": ["x"]}, r"competencies\[0\] must be an object"),
        ({"competencies": [competency_data(key="Bad Key")]}, "snake_case"),
        ({"competencies": [competency_data(title={"ru": "x"})]}, "'en' entry"),
        ({"competencies": [competency_data(indicators={"en": []})]}, "non-empty list"),
        ({"competencies": [competency_data(weight=2)]}, "unknown keys"),
        ({"competencies": [competency_data(), competency_data()]}, "repeats"),
        ({"competencies": [competency_data()], "score_thresholds": [1, 1, 2, 3, 4]}, "increasing"),
    ],
)
def test_a_malformed_rubric_is_refused_with_a_clear_message(data: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Rubric.from_dict(data)


@pytest.mark.parametrize(
    ("matches", "score"),
    [(0, None), (1, 1), (2, 2), (3, 2), (4, 3), (5, 3), (6, 4), (8, 4), (9, 5), (40, 5)],
)
def test_match_counts_map_to_scores_by_the_thresholds(matches: int, score: int | None) -> None:
    assert RUBRIC.score(matches) == score


# --- analytics -----------------------------------------------------------------------------


def test_talk_time_share_turns_words_and_pace_are_exact() -> None:
    turns = [
        turn("A", 0, 10, "one two three four five"),
        turn("B", 12, 42, "one two three four five six seven eight nine ten"),
        turn("A", 44, 54, "one two three four five"),
        turn("B", 55, 85, "one two three four five six seven eight nine ten"),
    ]
    speakers = report(turns)["analytics"]["speakers"]
    assert speakers["A"]["talk_sec"] == 20.0
    assert speakers["B"]["talk_sec"] == 60.0
    assert speakers["A"]["talk_share"] == 0.25
    assert speakers["B"]["talk_share"] == 0.75
    assert (speakers["A"]["turns"], speakers["B"]["turns"]) == (2, 2)
    assert (speakers["A"]["words"], speakers["B"]["words"]) == (10, 20)
    assert speakers["A"]["wpm"] == 30.0  # 10 words in 20 s
    assert speakers["B"]["wpm"] == 20.0  # 20 words in 60 s


def test_pace_is_zero_for_a_speaker_with_no_talk_time() -> None:
    result = report([turn("A", 5, 5, "hello there"), turn("B", 6, 16, "hi")])
    assert result["analytics"]["speakers"]["A"]["wpm"] == 0.0
    assert result["analytics"]["speakers"]["A"]["words"] == 2


def test_words_and_pace_are_counted_on_the_raw_text() -> None:
    result = report([turn("A", 0, 30, "I think so.", "um I uh think so")])
    assert result["analytics"]["speakers"]["A"]["words"] == 5
    assert result["analytics"]["speakers"]["A"]["wpm"] == 10.0


def test_the_longest_monologue_joins_consecutive_turns_of_one_speaker() -> None:
    turns = [
        turn("A", 0, 5, "Question?"),
        turn("B", 6, 40, "First part."),
        turn("B", 41, 96, "Second part."),
        turn("A", 97, 99, "Thanks."),
        turn("B", 100, 110, "Sure."),
    ]
    speakers = report(turns, audio_sec=120)["analytics"]["speakers"]
    assert speakers["B"]["longest_monologue_sec"] == 90.0
    assert speakers["A"]["longest_monologue_sec"] == 5.0


def test_response_latency_counts_positive_gaps_at_speaker_changes_only() -> None:
    turns = [
        turn("A", 0, 10, "Question one?"),
        turn("B", 12, 20, "Answer."),  # gap 2
        turn("B", 30, 40, "More."),  # same speaker: not a response
        turn("A", 39, 45, "Question two?"),  # overlap: not a positive gap
        turn("B", 51, 60, "Answer."),  # gap 6
        turn("A", 61, 62, "Ok."),  # gap 1
    ]
    latency = report(turns)["analytics"]["response_latency_sec"]
    assert latency == {"mean": 3.0, "median": 2.0, "max": 6.0, "count": 3}


def test_response_latency_is_null_with_fewer_than_two_turns() -> None:
    assert report([turn("A", 0, 10, "Hello.")])["analytics"]["response_latency_sec"] is None
    assert report([])["analytics"]["response_latency_sec"] is None


def test_questions_are_found_with_their_speaker_and_time() -> None:
    turns = [
        turn("A", 0, 10, "Hello and welcome. Why do you want this job?"),
        turn("B", 12, 20, "When I joined my last team, we had a monolith."),
        turn("A", 22, 30, "what would you change"),
    ]
    questions = report(turns)["analytics"]["questions"]
    assert [(q["speaker"], q["text"]) for q in questions] == [
        ("A", "Why do you want this job?"),
        ("A", "what would you change"),
    ]
    # The second sentence starts 19 of 44 characters into a 10-second turn.
    assert questions[0]["at_sec"] == round(10 * 19 / 44, 2)
    assert questions[1]["at_sec"] == 22.0


def test_russian_questions_are_found_by_mark_or_question_word() -> None:
    questions = report(interview_ru(), language="ru")["analytics"]["questions"]
    assert [q["text"] for q in questions] == [
        "Расскажите, за что вы отвечали на прошлом месте?",
        "какие были сложности",
    ]


def test_silence_share_is_the_audio_no_turn_covers() -> None:
    turns = [turn("A", 0, 10, "a"), turn("B", 5, 20, "b"), turn("A", 50, 60, "c")]
    analytics = report(turns, audio_sec=100)["analytics"]
    assert analytics["speech_sec"] == 30.0  # 0..20 and 50..60, overlap counted once
    assert analytics["silence_share"] == 0.7
    assert analytics["duration_sec"] == 100.0


def test_duration_is_never_shorter_than_the_last_turn() -> None:
    analytics = report([turn("A", 0, 40, "a")], audio_sec=20)["analytics"]
    assert analytics["duration_sec"] == 40.0
    assert analytics["silence_share"] == 0.0


def test_filler_rate_counts_english_fillers_but_not_the_same_words_in_meaning() -> None:
    raw = "um so I uh like Go and, like, you know, do you know Kafka? erm yes"
    speakers = report([turn("A", 0, 60, "So I like Go.", raw)])["analytics"]["speakers"]
    # um, uh, like (with comma), you know (with comma), erm; not "I like Go" or "do you know"
    assert speakers["A"]["filler_count"] == 5
    assert speakers["A"]["words"] == 16
    assert speakers["A"]["filler_rate"] == round(100 * 5 / 16, 2)


def test_filler_rate_counts_russian_fillers() -> None:
    raw = "ну э я типа как бы думаю что в общем всё хорошо короче как бы вы поступили"
    speakers = report([turn("A", 0, 60, "Я думаю.", raw)], language="ru")["analytics"]["speakers"]
    # ну, э, типа, как бы, в общем, короче; "как бы вы поступили" is a question, not a filler
    assert speakers["A"]["filler_count"] == 6
    assert speakers["A"]["words"] == 17


def test_transcript_quality_comes_from_word_probabilities() -> None:
    segments = [seg("s1", 0, 2, [0.9, 0.3]), seg("s2", 2, 4, [0.8, 0.4, 1.0, 0.6])]
    quality = report([turn("A", 0, 4, "a b c")], segments)["analytics"]["transcript_quality"]
    assert quality == {"mean_word_probability": 0.667, "low_confidence_share": 0.333, "words": 6}


def test_transcript_quality_without_words_is_null_not_zero() -> None:
    quality = report([])["analytics"]["transcript_quality"]
    assert quality == {"mean_word_probability": None, "low_confidence_share": None, "words": 0}


def test_key_phrases_rank_repeated_bigrams_and_skip_stopwords() -> None:
    turns = [
        turn("A", 0, 10, "We use event sourcing. Event sourcing is the core."),
        turn("B", 11, 20, "The event sourcing model and Kafka, and Kafka again."),
    ]
    analytics = report(turns)["analytics"]
    phrases = [p["phrase"] for p in analytics["key_phrases"]]
    assert phrases[:2] == ["event sourcing", "kafka"]
    assert analytics["key_phrases"][0]["count"] == 3
    assert not {"the", "and", "we", "is"} & set(phrases)
    assert analytics["topics"][0] == {
        "label": "event sourcing",
        "phrases": ["event sourcing"],
        "count": 3,
    }
    assert [t["label"] for t in analytics["topics"]] == ["event sourcing", "kafka"]


# --- the candidate -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("turns", "speaker", "basis", "confidence"),
    [
        (
            [turn("Candidate Ann", 0, 5, "Hi."), turn("Bob", 6, 60, "Long talk.")],
            "Candidate Ann",
            "inferred",
            0.9,
        ),
        (
            [turn("Интервьюер", 0, 50, "Речь."), turn("Спикер 2", 51, 60, "Да.")],
            "Спикер 2",
            "inferred",
            0.9,
        ),
        (
            [
                turn("S1", 0, 10, "Why? How?"),
                turn("S2", 11, 20, "Because."),
                turn("S3", 21, 60, "What?"),
            ],
            "S2",
            "inferred",
            0.82,
        ),
        # no questions at all: the first speaker is taken for the interviewer, unsure
        ([turn("S1", 0, 10, "Yes."), turn("S2", 11, 60, "No.")], "S2", "inferred", 0.45),
        ([turn("S1", 0, 10, "Yes.")], None, "unknown", 0.0),
    ],
)
def test_the_candidate_is_found_by_label_then_by_who_asks(
    turns: list[dict[str, Any]], speaker: str | None, basis: str, confidence: float
) -> None:
    assert report(turns)["analytics"]["candidate"] == {
        "speaker": speaker,
        "basis": basis,
        "confidence": confidence,
    }


# --- competencies --------------------------------------------------------------------------


def test_competencies_are_scored_only_on_cited_candidate_evidence() -> None:
    result = report(interview_en())
    by_key = {c["key"]: c for c in result["competencies"]}
    ownership = by_key["ownership"]
    # "I led", "I was responsible", "responsible for" in one candidate turn: 3 matches.
    assert (ownership["matches"], ownership["score"], ownership["status"]) == (3, 2, "scored")
    assert ownership["evidence"] == [
        {
            "speaker": "Candidate",
            "start_sec": 12.0,
            "end_sec": 42.0,
            "quote": interview_en()[1]["text"],
        }
    ]
    for competency in result["competencies"]:
        if competency["score"] is None:
            assert competency["status"] == "insufficient evidence"
            assert competency["evidence"] == []
        else:
            assert 1 <= competency["score"] <= 5
            assert competency["evidence"]
            assert all(quote["speaker"] == "Candidate" for quote in competency["evidence"])


def test_the_interviewers_words_are_not_evidence_for_the_candidate() -> None:
    turns = [
        turn("Interviewer", 0, 10, "I led this team and I was responsible for hiring."),
        turn("Candidate", 11, 20, "Nice to meet you."),
    ]
    ownership = next(c for c in report(turns)["competencies"] if c["key"] == "ownership")
    assert ownership == {
        "key": "ownership",
        "title": "Ownership",
        "score": None,
        "status": "insufficient evidence",
        "matches": 0,
        "matched_indicators": [],
        "evidence": [],
    }


def test_russian_indicators_match_inflected_forms() -> None:
    result = report(interview_ru(), language="ru")
    by_key = {c["key"]: c for c in result["competencies"]}
    assert by_key["ownership"]["title"] == "Ответственность"
    assert by_key["ownership"]["matched_indicators"] == [
        "моя зона ответственности",
        "отвечал* за",
        "я отвечал*",
    ]
    assert by_key["problem_solving"]["matched_indicators"] == ["узк* мест*", "я измерил*"]
    assert by_key["communication"]["matched_indicators"] == ["например"]


def test_a_competency_with_many_cited_turns_reaches_a_high_score() -> None:
    rubric = one_competency_rubric("I led", "I owned")
    turns = [turn("Interviewer", 0, 1, "Go on?")]
    turns += [
        turn("Candidate", 2 + 2 * i, 3 + 2 * i, "I led it. I owned it. I led it again.")
        for i in range(5)
    ]
    (ownership,) = report(turns, rubric=rubric)["competencies"]
    assert ownership["matches"] == 10  # two indicators in each of five turns; repeats count once
    assert ownership["score"] == 5
    assert len(ownership["evidence"]) == 3


# --- risk flags ----------------------------------------------------------------------------


def test_a_balanced_interview_raises_no_risk_flag() -> None:
    segments = [seg("s1", 0, 10, [0.9] * 30)]
    result = report(interview_en(), segments)
    assert result["risk_flags"] == []
    assert result["risk_flags_evidence"] == []


def test_a_quiet_candidate_is_flagged_with_the_longest_turns_as_evidence() -> None:
    turns = [
        turn("Interviewer", 0, 90, "Let me tell you about the company at length. Any questions?"),
        turn("Candidate", 91, 96, "What is the team size?"),
    ]
    wording, evidence = sole_flag(report(turns), "candidate_talk_share_low")
    assert wording == "The candidate spoke only 5% of the speech time (below 20%)."
    assert [q["speaker"] for q in evidence] == ["Interviewer", "Candidate"]


def test_a_dominating_candidate_and_a_long_monologue_are_flagged() -> None:
    turns = [
        turn("Interviewer", 0, 5, "Tell me about yourself?"),
        turn("Candidate", 6, 156, "I will talk for a very long time about everything."),
        turn("Interviewer", 157, 159, "Thanks. Any questions for us?"),
        turn("Candidate", 160, 165, "Is the role remote?"),
    ]
    result = report(turns, audio_sec=170)
    assert flag_codes(result) == ["candidate_talk_share_high", "long_monologue"]
    monologue = result["risk_flags_evidence"][1][0]
    assert (monologue["speaker"], monologue["start_sec"], monologue["end_sec"]) == (
        "Candidate",
        6.0,
        156.0,
    )
    assert "2.5 min" in result["risk_flags"][1]


def test_poor_transcript_quality_is_flagged_citing_the_least_certain_segments() -> None:
    segments = [seg("good", 0, 10, [0.95] * 20), seg("bad", 12, 20, [0.2] * 10)]
    turns = interview_en()
    turns[1]["segment_ids"] = ["bad"]
    result = report(turns, segments)
    _, evidence = sole_flag(result, "poor_transcript_quality")
    assert evidence[0] == {
        "speaker": "Candidate",
        "start_sec": 12.0,
        "end_sec": 20.0,
        "quote": "text of bad",
    }
    assert "Transcript quality is poor" in result["recommendation"]


def test_few_recognised_words_are_not_enough_to_call_quality_poor() -> None:
    assert flag_codes(report(interview_en(), [seg("bad", 0, 1, [0.1] * 5)])) == []


def test_a_high_filler_rate_is_flagged_citing_the_raw_text() -> None:
    raw = "um so I uh built the, um, the service and uh erm it was, like, fast " * 3
    turns = [
        turn("Interviewer", 0, 20, "How did it go?"),
        turn("Candidate", 21, 60, "I built a fast service. Why?", raw),
    ]
    _, evidence = sole_flag(report(turns), "high_filler_rate")
    assert evidence[0]["quote"].startswith("um so I uh built")


NO_QUESTIONS = [turn("Interviewer", 0, 10, "Why this job?"), turn("Candidate", 11, 40, "Yes.")]


@pytest.mark.parametrize(
    ("turns", "code", "cited_from", "wording"),
    [
        (
            [turn("Interviewer", 0, 30, "Why did you leave?"), turn("Candidate", 45, 60, "Why?")],
            "long_response_latency",
            45.0,
            "15 s",
        ),
        (NO_QUESTIONS, "no_candidate_questions", 11.0, "The candidate asked no questions."),
    ],
    ids=["a slow answer", "no candidate questions"],
)
def test_the_answer_is_flagged_citing_the_candidates_turn(
    turns: list[dict[str, Any]], code: str, cited_from: float, wording: str
) -> None:
    flag, evidence = sole_flag(report(turns), code)
    assert evidence[0]["start_sec"] == cited_from
    assert wording in flag


def test_no_candidate_questions_is_flagged_in_the_final_report_only() -> None:
    assert flag_codes(report(NO_QUESTIONS)) == ["no_candidate_questions"]
    assert flag_codes(report(NO_QUESTIONS, final=False)) == []


def test_a_single_speaker_is_flagged_instead_of_a_talk_share() -> None:
    result = report([turn("SPEAKER_00", 0, 30, "Everything in one voice.")])
    assert flag_codes(result) == ["single_speaker"]


def test_every_bullet_and_flag_has_short_evidence_with_timestamps() -> None:
    for result in (
        report(interview_en(), [seg("bad", 12, 20, [0.1] * 30)]),
        report(interview_ru(), language="ru"),
    ):
        assert result["bullets"]
        assert len(result["bullets_evidence"]) == len(result["bullets"])
        assert (
            len(result["risk_flags_evidence"])
            == len(result["risk_flags"])
            == len(result["risk_flag_codes"])
        )
        for evidence in [*result["bullets_evidence"], *result["risk_flags_evidence"]]:
            assert evidence
            for quote in evidence:
                assert set(quote) == {"speaker", "start_sec", "end_sec", "quote"}
                assert 0 <= quote["start_sec"] <= quote["end_sec"]
                assert 0 < len(quote["quote"]) <= 200


def test_a_long_quote_is_cut_to_200_characters_around_the_evidence() -> None:
    text = (
        "Filler words here. " * 20
        + "I was responsible for the payments platform. "
        + "More text. " * 20
    )
    turns = [turn("Interviewer", 0, 5, "Why?"), turn("Candidate", 6, 100, text)]
    ownership = next(c for c in report(turns)["competencies"] if c["key"] == "ownership")
    quote = ownership["evidence"][0]["quote"]
    assert len(quote) <= 200
    assert "I was responsible for the payments platform." in quote
    assert quote.startswith("…")
    assert quote.endswith("…")


# --- wording, empty meetings, determinism --------------------------------------------------


def test_the_english_summary_says_who_spoke_how_much_and_about_what() -> None:
    result = report(interview_en())
    assert result["summary"].startswith(
        "Interview of 1.7 min with 1.2 min of speech; speakers: 2, turns: 4."
    )
    assert (
        "The candidate spoke 79% of the speech time (59 s, 53 words per minute)"
        in result["summary"]
    )
    assert "Interviewer spoke 21% (16 s, 75 words per minute)" in result["summary"]
    assert "Main topics: kafka" in result["summary"]
    assert result["language"] == "en"
    assert result["final"] is True
    assert result["schema_version"] == "1"


def test_the_russian_report_is_worded_in_russian() -> None:
    result = report(interview_ru(), language="ru-RU")
    assert result["language"] == "ru"
    assert result["summary"].startswith(
        "Интервью: 1,7 мин, из них речь — 1,2 мин; участников: 2, реплик: 4."
    )
    assert "Кандидат: 84% времени речи (1,1 мин, 30 слов в минуту)" in result["summary"]
    assert "Основные темы: платёжный сервис, задержки." in result["summary"]
    assert (
        result["bullets"][0] == "Кандидат: 84% времени речи, реплик: 2; самый длинный ответ — 40 с."
    )
    assert result["risk_flags"] == [
        "Много слов-паразитов у кандидата: 9,7 на 100 слов (всего 3).",
        "Кандидат не задал ни одного вопроса.",
    ]
    assert result["recommendation"].startswith(
        "Скорее нет: подтверждений мало (средняя оценка 2,0/5"
    )


def test_another_language_gets_english_wording() -> None:
    assert report(interview_en(), language="de")["summary"].startswith("Interview of")


@pytest.mark.parametrize(
    ("language", "says"), [("en", "No speech was recorded"), ("ru", "Речь во встрече не записана")]
)
def test_an_empty_meeting_gives_a_valid_report_that_says_there_was_no_speech(
    language: str, says: str
) -> None:
    result = report([], audio_sec=30, language=language)
    for key, kind in CONTRACT.items():
        assert isinstance(result[key], kind)
    assert result["summary"].startswith(says)
    assert result["bullets"] == []
    assert result["risk_flags"] == []
    assert result["recommendation"].startswith(("Insufficient evidence", "Недостаточно данных"))
    assert all(c["status"] == "insufficient evidence" for c in result["competencies"])
    assert result["analytics"]["silence_share"] == 1.0
    assert result["analytics"]["speakers"] == {}
    json.dumps(result)


def test_a_draft_says_so() -> None:
    result = report(interview_en(), final=False)
    assert result["final"] is False
    assert result["summary"].endswith("Draft: the meeting is still in progress.")
    assert result["recommendation"].startswith("Draft")


def test_thin_evidence_gives_an_insufficient_evidence_recommendation() -> None:
    turns = [
        turn("Interviewer", 0, 5, "Tell me about you?"),
        turn("Candidate", 6, 60, "word " * 40),
    ]
    assert report(turns)["recommendation"].startswith("Insufficient evidence: 0 of 4 competencies")


def test_enough_evidence_gives_a_recommendation_from_the_scores() -> None:
    # Scores 1, 3, 2, 2: every competency has evidence, but little of it.
    assert report(interview_en())["recommendation"] == (
        "Lean against advancing: evidence is thin (mean evidence score 2.0/5 over 4 of 4 "
        "competencies); probe Communication, Problem solving, Ownership in a follow-up."
    )
    rubric = one_competency_rubric("I led", "I owned")
    turns = [turn("Interviewer", 0, 10, "Tell me more?")]
    turns += [
        turn(
            "Candidate",
            11 + 10 * i,
            20 + 10 * i,
            f"Yes, I led and I owned project {i}, with a team of ten people.",
        )
        for i in range(3)
    ]
    turns.append(turn("Candidate", 45, 50, "What does the team work on?"))
    assert report(turns, rubric=rubric)["recommendation"] == (
        "Advance to the next stage: every competency has cited evidence "
        "(mean evidence score 4.0/5)."
    )


def test_the_same_input_gives_the_same_report_whatever_the_turn_order() -> None:
    segments = [seg("s1", 0, 10, [0.9, 0.3]), seg("s2", 12, 42, [0.8])]
    first = report(interview_en(), segments)
    assert report(interview_en(), segments) == first
    shuffled = interview_en()
    random.Random(7).shuffle(shuffled)
    assert report(shuffled, list(reversed(segments))) == first
    assert json.loads(json.dumps(first)) == first


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"speaker": "A", "start_sec": 0}, "lacks end_sec, text"),
        ({"speaker": "A", "start_sec": 5, "end_sec": 1, "text": ""}, "ends"),
        ({"speaker": "A", "start_sec": float("nan"), "end_sec": 1, "text": ""}, "finite"),
        ({"speaker": "A", "start_sec": 0, "end_sec": 1, "text": 3}, "strings"),
    ],
)
def test_a_malformed_turn_is_refused(bad: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        report([bad])
