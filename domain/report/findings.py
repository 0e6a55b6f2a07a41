"""Key points and risk flags, each with the quotes that justify it.

A flag is raised only when the figures cross a stated limit, and never without evidence:

- ``candidate_talk_share_low`` / ``_high``: candidate share < 20% or > 85% (two or more
  speakers); cites the longest turns (the dominating speaker's, then the candidate's);
- ``single_speaker``: all speech under one label; cites the longest turn;
- ``long_monologue``: a run of turns by one speaker longer than 120 s; cites up to three;
- ``poor_transcript_quality``: at least 20 recognised words, and over 20% below probability
  0.5 or a mean probability under 0.6; cites the least certain segments;
- ``high_filler_rate``: the candidate said at least 30 words and over 5 fillers per 100
  words; cites the turns with the most fillers (raw text, where the fillers are);
- ``long_response_latency``: the candidate took over 10 s to answer; cites those answers;
- ``no_candidate_questions``: final report, two or more speakers, the candidate asked none;
  cites the candidate's last turn;
- ``roles_unknown``: two or more speakers and nobody could be taken for the candidate;
  ``roles_uncertain``: the candidate was inferred with a confidence under 0.5 — both cite
  the longest turn, and the text says how to name the speakers.

Every candidate figure is the candidate's own: a response latency is the pause from the
end of an interviewer's turn to the start of the candidate's answer.

Must not: raise a flag below its limit or without a quote to cite.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from interview_analytics.domain.enhance.pii import mask_pii
from interview_analytics.domain.languages import or_fallback
from interview_analytics.domain.report.metrics import (
    Gap,
    Question,
    SpeakerStats,
    answers,
    monologues,
    sorted_segments,
)
from interview_analytics.domain.report.model import Quote, Turn, seconds
from interview_analytics.domain.report.model import quote as unmasked_quote
from interview_analytics.domain.report.phrases import Topic
from interview_analytics.domain.report.roles import Candidate
from interview_analytics.domain.report.rubric import Assessment
from interview_analytics.domain.report.text import (
    excerpt,
    filler_spans,
    find_phrase,
    phrase_pattern,
    tokens,
)
from interview_analytics.domain.report.wording import duration, listing, number, percent, say
from interview_analytics.domain.transcript import Segment

TALK_SHARE_LOW = 0.20
TALK_SHARE_HIGH = 0.85
MONOLOGUE_SEC = 120.0
LOW_CONFIDENCE_SHARE = 0.20
POOR_MEAN_PROBABILITY = 0.6
MIN_QUALITY_WORDS = 20
FILLER_RATE = 5.0
MIN_FILLER_WORDS = 30
LATENCY_SEC = 10.0
MAX_EVIDENCE = 3
TOP_TOPICS = 3


@dataclass(frozen=True)
class Facts:
    """Everything measured, handed to the writers of flags, key points and summary."""

    language: str
    final: bool
    turns: tuple[Turn, ...]
    segments: tuple[Segment, ...]
    stats: dict[str, SpeakerStats]
    candidate: Candidate
    interviewer: str | None
    questions: tuple[Question, ...]
    gaps: tuple[Gap, ...]
    topics: tuple[Topic, ...]
    quality: dict[str, float | int | None]
    assessments: tuple[Assessment, ...]

    def turns_of(self, speaker: str | None) -> list[Turn]:
        return [turn for turn in self.turns if turn.speaker == speaker]


@dataclass(frozen=True)
class Finding:
    code: str
    text: str
    evidence: tuple[Quote, ...]


def longest(turns: Sequence[Turn]) -> Turn:
    return min(turns, key=lambda t: (-t.duration_sec, t))


def risk_flags(facts: Facts) -> list[Finding]:
    found = [
        *_talk_share(facts),
        *_monologue(facts),
        *_quality(facts),
        *_fillers(facts),
        *_latency(facts),
        *_no_questions(facts),
        *_roles(facts),
    ]
    return _with_evidence(found)


def _with_evidence(findings: Sequence[Finding]) -> list[Finding]:
    """Drop repeated quotes; drop a finding left without any (it could not be justified)."""
    kept = []
    for finding in findings:
        unique: list[Quote] = []
        for item in finding.evidence:
            if item not in unique:
                unique.append(item)
        if unique:
            kept.append(Finding(finding.code, finding.text, tuple(unique)))
    return kept


def candidate_label(facts: Facts) -> str:
    """The candidate's label in brackets (" (SPEAKER_01)"), or "" when the label says it."""
    if facts.candidate.speaker is None or facts.candidate.says_it:
        return ""
    return f" ({facts.candidate.speaker})"


def _talk_share(facts: Facts) -> list[Finding]:
    lang, speaking = facts.language, [s for s, st in facts.stats.items() if st.talk_sec > 0]
    if len(facts.stats) == 1 and speaking:
        text = say(lang, "flag_single_speaker")
        return [Finding("single_speaker", text, (quote(longest(facts.turns)),))]
    own = facts.turns_of(facts.candidate.speaker)
    if facts.candidate.speaker is None or len(speaking) < 2 or not own:
        return []
    talk_share = facts.stats[facts.candidate.speaker].talk_share
    if talk_share < TALK_SHARE_LOW:
        others = [t for t in facts.turns if t.speaker != facts.candidate.speaker]
        text = say(lang, "flag_share_low", share=percent(talk_share), limit=percent(TALK_SHARE_LOW))
        return [
            Finding("candidate_talk_share_low", text, (quote(longest(others)), quote(longest(own))))
        ]
    if talk_share > TALK_SHARE_HIGH:
        text = say(
            lang, "flag_share_high", share=percent(talk_share), limit=percent(TALK_SHARE_HIGH)
        )
        return [Finding("candidate_talk_share_high", text, (quote(longest(own)),))]
    return []


def _monologue(facts: Facts) -> list[Finding]:
    long_runs = [run for run in monologues(facts.turns) if run.duration_sec > MONOLOGUE_SEC]
    if not long_runs:
        return []
    worst = min(long_runs, key=lambda run: (-run.duration_sec, run.start_sec))
    text = say(
        facts.language,
        "flag_monologue",
        speaker=worst.speaker,
        length=duration(worst.duration_sec, facts.language),
        limit=duration(MONOLOGUE_SEC, facts.language),
    )
    ranked = sorted(long_runs, key=lambda run: (-run.duration_sec, run.start_sec))[:MAX_EVIDENCE]
    evidence = tuple(
        Quote(
            speaker=run.speaker,
            start_sec=seconds(run.start_sec),
            end_sec=seconds(run.end_sec),
            quote=excerpt(_masked(" ".join(turn.text for turn in run.turns))),
        )
        for run in ranked
    )
    return [Finding("long_monologue", text, evidence)]


def _quality(facts: Facts) -> list[Finding]:
    words, low, mean = (
        facts.quality.get(k) for k in ("words", "low_confidence_share", "mean_word_probability")
    )
    if not isinstance(words, int) or words < MIN_QUALITY_WORDS or low is None or mean is None:
        return []
    if low <= LOW_CONFIDENCE_SHARE and mean >= POOR_MEAN_PROBABILITY:
        return []
    text = say(
        facts.language,
        "flag_quality",
        low=percent(low),
        words=words,
        mean=number(mean, facts.language, 2),
    )
    heard = [s for s in sorted_segments(facts.segments) if s["words"]]
    worst = sorted(heard, key=lambda s: (_mean_probability(s), s["start_sec"], s["segment_id"]))
    evidence = tuple(_segment_quote(facts, segment) for segment in worst[:MAX_EVIDENCE])
    return [Finding("poor_transcript_quality", text, evidence)]


def _mean_probability(segment: Segment) -> float:
    return sum(w["probability"] for w in segment["words"]) / len(segment["words"])


def _segment_quote(facts: Facts, segment: Segment) -> Quote:
    owner = next((t for t in facts.turns if segment["segment_id"] in t.segment_ids), None)
    speaker = owner.speaker if owner else segment["speaker"] or "unknown"
    text = segment["text"] or " ".join(w["word"] for w in segment["words"])
    return {
        "speaker": speaker,
        "start_sec": seconds(segment["start_sec"]),
        "end_sec": seconds(segment["end_sec"]),
        "quote": excerpt(_masked(text)),
    }


def _fillers(facts: Facts) -> list[Finding]:
    speaker = facts.candidate.speaker
    if speaker is None:
        return []
    stats = facts.stats[speaker]
    if stats.words < MIN_FILLER_WORDS or stats.filler_rate <= FILLER_RATE:
        return []
    language = or_fallback(facts.language)
    counted = [(len(filler_spans(t.raw_text, language)), t) for t in facts.turns_of(speaker)]
    ranked = sorted((item for item in counted if item[0]), key=lambda item: (-item[0], item[1]))
    evidence = tuple(
        quote(turn, filler_spans(turn.raw_text, language)[0], raw=True)
        for _, turn in ranked[:MAX_EVIDENCE]
    )
    text = say(
        facts.language,
        "flag_fillers",
        rate=number(stats.filler_rate, facts.language),
        count=stats.filler_count,
    )
    return [Finding("high_filler_rate", text, evidence)]


def _latency(facts: Facts) -> list[Finding]:
    own = answers(facts.gaps, facts.candidate.speaker, facts.interviewer)
    slow = [gap for gap in own if gap.sec > LATENCY_SEC]
    if not slow:
        return []
    worst = sorted(slow, key=lambda gap: (-gap.sec, gap.turn))
    text = say(
        facts.language,
        "flag_latency",
        gap=duration(worst[0].sec, facts.language),
        limit=duration(LATENCY_SEC, facts.language),
    )
    return [
        Finding("long_response_latency", text, tuple(quote(g.turn) for g in worst[:MAX_EVIDENCE]))
    ]


def _no_questions(facts: Facts) -> list[Finding]:
    speaker = facts.candidate.speaker
    own = facts.turns_of(speaker)
    if not facts.final or speaker is None or len(facts.stats) < 2 or not own:
        return []
    if facts.stats[speaker].questions:
        return []
    return [
        Finding(
            "no_candidate_questions", say(facts.language, "flag_no_questions"), (quote(own[-1]),)
        )
    ]


def _roles(facts: Facts) -> list[Finding]:
    if len(facts.stats) < 2 or not facts.turns or facts.candidate.known:
        return []
    if facts.candidate.speaker is None:
        text = say(facts.language, "flag_roles_unknown")
        return [Finding("roles_unknown", text, (quote(longest(facts.turns)),))]
    text = say(
        facts.language,
        "flag_roles_uncertain",
        candidate=facts.candidate.speaker,
        confidence=percent(facts.candidate.confidence),
    )
    return [Finding("roles_uncertain", text, (quote(longest(facts.turns)),))]


def key_points(facts: Facts) -> list[Finding]:
    found = [*_talk_point(facts), *_question_point(facts), *_topic_point(facts)]
    scored = [a for a in facts.assessments if a.score is not None]
    for assessment in sorted(scored, key=lambda a: -(a.score or 0)):
        text = say(
            facts.language,
            "bullet_competency",
            title=assessment.competency.title_in(facts.language),
            score=assessment.score,
            matches=assessment.matches,
        )
        found.append(Finding(f"competency:{assessment.competency.key}", text, assessment.evidence))
    return _with_evidence(found)


def _talk_point(facts: Facts) -> list[Finding]:
    if not facts.turns:
        return []
    lang, speaker = facts.language, facts.candidate.speaker
    if speaker is not None:
        own = facts.turns_of(speaker)
        stats = facts.stats[speaker]
        answer = longest(own)
        text = say(
            lang,
            "bullet_candidate",
            who=candidate_label(facts),
            share=percent(stats.talk_share),
            turns=stats.turns,
            longest=duration(answer.duration_sec, lang),
        )
        return [Finding("talk_time", text, (quote(answer),))]
    top = min(facts.stats, key=lambda s: (-facts.stats[s].talk_sec, s))
    stats = facts.stats[top]
    text = say(
        lang, "bullet_top_speaker", speaker=top, share=percent(stats.talk_share), turns=stats.turns
    )
    return [Finding("talk_time", text, (quote(longest(facts.turns_of(top))),))]


def questions_by_speaker(facts: Facts) -> str:
    counts = {s: st.questions for s, st in facts.stats.items() if st.questions}
    return listing([f"{speaker}: {count}" for speaker, count in counts.items()])


def _question_point(facts: Facts) -> list[Finding]:
    if not facts.questions:
        return []
    text = say(
        facts.language,
        "bullet_questions",
        count=len(facts.questions),
        by=questions_by_speaker(facts),
    )
    evidence = tuple(
        Quote(
            speaker=q.speaker,
            start_sec=seconds(q.at_sec),
            end_sec=seconds(q.turn.end_sec),
            quote=q.text,
        )
        for q in facts.questions[:MAX_EVIDENCE]
    )
    return [Finding("questions", text, evidence)]


def _topic_point(facts: Facts) -> list[Finding]:
    chosen = facts.topics[:TOP_TOPICS]
    evidence: list[Quote] = []
    for topic in chosen:
        pattern = phrase_pattern(topic.label)
        for turn in facts.turns:
            span = find_phrase(tokens(turn.text), pattern)
            if span is not None:
                evidence.append(quote(turn, span))
                break
    if not chosen:
        return []
    text = say(facts.language, "bullet_topics", topics=listing([t.label for t in chosen]))
    return [Finding("topics", text, tuple(evidence))]


def quote(turn: Turn, span: tuple[int, int] | None = None, *, raw: bool = False) -> Quote:
    """``model.quote`` of the turn with personal data masked (``enhance.pii``) before the
    excerpt is cut, so the report itself holds no e-mail, phone or document number, nor a
    piece of one left at a cut; ``span`` is found again in the masked text."""
    shown = _shown(turn)
    if span is not None:
        source, target = (turn.raw_text, shown.raw_text) if raw else (turn.text, shown.text)
        piece = source[span[0] : span[1]]
        at = target.find(piece, max(0, span[0] - max(0, len(source) - len(target))))
        at = at if at >= 0 else target.find(piece)
        span = (at, at + len(piece)) if at >= 0 and piece else None
    return unmasked_quote(shown, span, raw=raw)


def _masked(text: str) -> str:
    return mask_pii(text).text


def _shown(turn: Turn) -> Turn:
    return dataclasses.replace(turn, text=_masked(turn.text), raw_text=_masked(turn.raw_text))
