"""``build_report``: speaker turns and recognised segments in, the report dict out.

Pure and deterministic: the same turns (in any order), segments and rubric give an equal
dict, and the dict holds only JSON types. Duration is the longer of ``audio_sec`` and the
last turn's end (a draft's audio may lag its transcript); silence is the part of it that no
turn covers.

Must not: depend on the order turns are handed in, or put anything but JSON types in the
report.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from interview_analytics.domain.languages import or_fallback
from interview_analytics.domain.report.findings import Facts, Finding, key_points, risk_flags
from interview_analytics.domain.report.metrics import (
    answers,
    find_questions,
    latency_summary,
    response_gaps,
    speaker_stats,
    speech_sec,
    transcript_quality,
)
from interview_analytics.domain.report.model import read_turns, seconds, share
from interview_analytics.domain.report.phrases import key_phrases, topics
from interview_analytics.domain.report.roles import candidate_of, roles_of
from interview_analytics.domain.report.rubric import Rubric, assess
from interview_analytics.domain.report.summary import recommendation, summary
from interview_analytics.domain.report.wording import wording_language
from interview_analytics.domain.transcript import Segment

SCHEMA_VERSION = "1"


def build_report(
    turns: Sequence[Mapping[str, Any]],
    segments: Sequence[Segment],
    *,
    language: str,
    audio_sec: float,
    rubric: Rubric,
    final: bool,
) -> dict[str, Any]:
    """The interview report: the contract's four keys, their evidence, analytics, scores.

    Raises ValueError for a malformed turn or a negative or non-finite ``audio_sec``.
    """
    if isinstance(audio_sec, bool) or not math.isfinite(audio_sec) or audio_sec < 0:
        raise ValueError(f"audio_sec must be a finite number >= 0, not {audio_sec!r}")
    lang = wording_language(language)
    rules = or_fallback(language)  # the words of the meeting's language
    ordered = read_turns(turns)
    questions = find_questions(ordered, rules)
    gaps = response_gaps(ordered)
    stats = speaker_stats(ordered, questions, gaps, rules)
    roles = roles_of(turns, ordered, rules)
    candidate = candidate_of(roles)
    interviewer = roles.interviewer
    phrases = key_phrases(ordered, rules)
    quality = transcript_quality(segments)
    facts = Facts(
        language=lang,
        final=final,
        turns=tuple(ordered),
        segments=tuple(segments),
        stats=stats,
        candidate=candidate,
        interviewer=interviewer.name if interviewer is not None else None,
        questions=tuple(questions),
        gaps=tuple(gaps),
        topics=tuple(topics(phrases)),
        quality=quality,
        assessments=tuple(
            assess(rubric, [t for t in ordered if t.speaker == candidate.speaker], lang)
        ),
    )
    duration = max([float(audio_sec), *(turn.end_sec for turn in ordered)])
    speech = speech_sec(ordered)
    flags = risk_flags(facts)
    bullets = key_points(facts)
    return {
        "schema_version": SCHEMA_VERSION,
        "language": lang,
        "final": final,
        "summary": summary(facts, duration, speech),
        "bullets": [finding.text for finding in bullets],
        "bullets_evidence": _evidence(bullets),
        "risk_flags": [finding.text for finding in flags],
        "risk_flags_evidence": _evidence(flags),
        "risk_flag_codes": [finding.code for finding in flags],
        "recommendation": recommendation(facts, flags),
        "competencies": [a.as_json(lang) for a in facts.assessments],
        "roles": roles.as_json(),
        "analytics": {
            "duration_sec": seconds(duration),
            "speech_sec": seconds(speech),
            "silence_share": share(min(1.0, max(0.0, 1 - speech / duration)))
            if duration > 0
            else 0.0,
            "speakers": {speaker: s.as_json() for speaker, s in stats.items()},
            "turns_total": len(ordered),
            "candidate": candidate.as_json(),
            "response_latency_sec": latency_summary(ordered, gaps),
            "candidate_response_latency_sec": latency_summary(
                ordered, answers(gaps, candidate.speaker, facts.interviewer)
            ),
            "questions": [question.as_json() for question in questions],
            "key_phrases": [phrase.as_json() for phrase in phrases],
            "topics": [topic.as_json() for topic in facts.topics],
            "transcript_quality": quality,
        },
    }


def _evidence(findings: Sequence[Finding]) -> list[list[dict[str, Any]]]:
    return [[dict(quote) for quote in finding.evidence] for finding in findings]
