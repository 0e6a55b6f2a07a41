"""The summary paragraph and the recommendation, in the meeting's language.

The recommendation follows from the competency scores and the flags, nothing else:

- nobody is known to be the candidate (one voice) → insufficient evidence, saying why;
- no candidate speech → insufficient evidence;
- the candidate said fewer than 30 words, or fewer than half the competencies have cited
  evidence → insufficient evidence, naming what is missing;
- otherwise on the mean score of the scored competencies: every competency scored and mean
  ≥ 3.5 → advance; mean ≥ 2.5 → lean towards advancing; below → lean against. The last two
  name what to probe: unscored competencies and those scored 2 or less (else the lowest);
- any risk flag adds "check the risk flags", poor transcript quality adds "check the
  recording", roles guessed with low confidence add "check who the candidate is"; a draft
  (meeting not finished) says so first.

Must not: recommend from anything but the competency scores and the flags.
"""

from __future__ import annotations

import statistics

from interview_analytics.domain.report.findings import (
    Facts,
    Finding,
    candidate_label,
    questions_by_speaker,
)
from interview_analytics.domain.report.wording import duration, listing, number, percent, say

MIN_CANDIDATE_WORDS = 30
STRONG_MEAN = 3.5
POSITIVE_MEAN = 2.5
WEAK_SCORE = 2
SUMMARY_TOPICS = 3


def summary(facts: Facts, duration_sec: float, speech_sec: float) -> str:
    lang = facts.language
    if not facts.turns:
        parts = [say(lang, "no_speech", audio=duration(duration_sec, lang))]
    else:
        parts = [
            say(
                lang,
                "overview",
                duration=duration(duration_sec, lang),
                speech=duration(speech_sec, lang),
                speakers=len(facts.stats),
                turns=len(facts.turns),
            ),
            _roles_sentence(facts),
            _talk_sentence(facts),
        ]
        if facts.questions:
            by = questions_by_speaker(facts)
            parts.append(say(lang, "questions_count", count=len(facts.questions), by=by))
        if facts.topics:
            labels = [topic.label for topic in facts.topics[:SUMMARY_TOPICS]]
            parts.append(say(lang, "topics", topics=listing(labels)))
    if not facts.final:
        parts.append(say(lang, "draft"))
    return " ".join(parts)


def _roles_sentence(facts: Facts) -> str:
    """Who is who, and how it is known; or that nobody knows."""
    lang, candidate = facts.language, facts.candidate
    if candidate.speaker is None:
        return say(lang, "roles_unknown")
    key = "roles_known" if candidate.known else "roles_uncertain"
    return say(
        lang,
        key,
        candidate=candidate.speaker,
        interviewer=facts.interviewer or "—",
        basis=say(lang, f"basis_{candidate.basis}"),
        confidence=percent(candidate.confidence),
    )


def _talk_sentence(facts: Facts) -> str:
    lang, candidate = facts.language, facts.candidate.speaker
    order = sorted(facts.stats, key=lambda s: (s != candidate, -facts.stats[s].talk_sec, s))
    clauses = []
    for speaker in order:
        stats = facts.stats[speaker]
        clauses.append(
            say(
                lang,
                "candidate_talk" if speaker == candidate else "speaker_talk",
                speaker=speaker,
                who=candidate_label(facts),
                share=percent(stats.talk_share),
                talk=duration(stats.talk_sec, lang),
                wpm=round(stats.wpm),
            )
        )
    return "; ".join(clauses) + "."


def recommendation(facts: Facts, flags: list[Finding]) -> str:
    lang = facts.language
    text = _verdict(facts)
    extras = []
    if flags:
        extras.append(say(lang, "rec_flags", count=len(flags)))
    if any(flag.code == "poor_transcript_quality" for flag in flags):
        extras.append(say(lang, "rec_quality"))
    prefix = "" if facts.final else say(lang, "rec_draft")
    if facts.candidate.speaker is not None and not facts.candidate.known:
        extras.append(say(lang, "rec_roles_uncertain", candidate=facts.candidate.speaker))
    return prefix + " ".join([text, *extras])


def _verdict(facts: Facts) -> str:
    lang, speaker = facts.language, facts.candidate.speaker
    if speaker is None:
        return say(lang, "rec_roles_unknown" if facts.turns else "rec_no_speech")
    words = facts.stats[speaker].words
    if words == 0:
        return say(lang, "rec_no_speech")
    if words < MIN_CANDIDATE_WORDS:
        return say(lang, "rec_few_words", words=words)
    total = len(facts.assessments)
    scored = [a for a in facts.assessments if a.score is not None]
    missing = [a.competency.title_in(lang) for a in facts.assessments if a.score is None]
    if len(scored) * 2 < total:
        return say(
            lang, "rec_insufficient", scored=len(scored), total=total, missing=listing(missing)
        )
    mean = statistics.fmean(a.score or 0 for a in scored)
    shown = number(mean, lang)
    if mean >= STRONG_MEAN and not missing:
        return say(lang, "rec_strong", mean=shown)
    weak = missing + [
        a.competency.title_in(lang) for a in scored if a.score is not None and a.score <= WEAK_SCORE
    ]
    if not weak:
        lowest = min(scored, key=lambda a: a.score or 0)
        weak = [lowest.competency.title_in(lang)]
    key = "rec_lean_yes" if mean >= POSITIVE_MEAN else "rec_lean_no"
    return say(lang, key, mean=shown, scored=len(scored), total=total, weakest=listing(weak))
