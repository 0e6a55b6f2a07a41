"""The interview rubric and how a competency is scored from the candidate's own words.

A competency has a title and indicator phrases per language ("I was responsible", "я
отвечал*"; a trailing ``*`` on a word matches any ending, for Russian inflection — gender,
number, case — after a stem of three letters or more). Scoring only counts what can be
cited:

- a *match* is a distinct (candidate turn, indicator) pair — an indicator repeated inside
  one turn counts once — found in the turn's enhanced text, in the meeting's language,
  words compared case-insensitively with "ё" as "е"; an indicator right after one of the
  language's negations ("не отвечал за") is not a match;
- no match: score ``None``, status "insufficient evidence";
- otherwise the score is how many of the rubric's ``score_thresholds`` (default
  ``1, 2, 4, 6, 9``) the match count reaches: 1 match → 1, 2 or 3 → 2, 4 or 5 → 3, 6 to 8 → 4,
  9 or more → 5.

The score measures how much evidence the candidate gave, not how good it was; the
recommendation says so. The rubric is data (``ops/config/rubric.json``); this module never
reads files.

Must not: read files, or score what it cannot cite.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from interview_analytics.domain.languages import FALLBACK, or_fallback
from interview_analytics.domain.report.model import Quote, Turn, quote
from interview_analytics.domain.report.text import find_phrase, phrase_pattern, tokens

DEFAULT_SCORE_THRESHOLDS = (1, 2, 4, 6, 9)
MAX_EVIDENCE = 3
MIN_STEM_CHARS = 3
"""A shorter stem ("я*") would match almost any word."""
SCORED = "scored"
INSUFFICIENT = "insufficient evidence"
_KEY = re.compile(r"[a-z][a-z0-9_]*")
_TOP_LEVEL_KEYS = frozenset({"competencies", "score_thresholds", "version", "description"})
_COMPETENCY_KEYS = frozenset({"key", "title", "indicators", "description"})


@dataclass(frozen=True)
class Competency:
    key: str
    title: dict[str, str]
    """Per language code ("en", "ru")."""
    indicators: dict[str, list[str]]
    """Per language code: phrases that count as evidence."""
    description: dict[str, str] = field(default_factory=dict)

    def title_in(self, language: str) -> str:
        return self.title.get(language) or self.title.get(FALLBACK.code) or self.key

    def indicators_in(self, language: str) -> list[str]:
        return self.indicators.get(language, [])


@dataclass(frozen=True)
class Rubric:
    competencies: tuple[Competency, ...]
    score_thresholds: tuple[int, ...] = DEFAULT_SCORE_THRESHOLDS

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Rubric:
        """Build from the JSON form; a ValueError names the first thing that is wrong."""
        if not isinstance(data, Mapping):
            raise ValueError("rubric must be an object")
        unknown = sorted(set(data) - _TOP_LEVEL_KEYS)
        if unknown:
            raise ValueError(f"rubric has unknown keys {unknown}")
        items = data.get("competencies")
        if not isinstance(items, list) or not items:
            raise ValueError("rubric.competencies must be a non-empty list")
        competencies = tuple(_competency(i, item) for i, item in enumerate(items))
        keys = [c.key for c in competencies]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        if repeated:
            raise ValueError(f"rubric repeats competency keys {repeated}")
        thresholds = data.get("score_thresholds", list(DEFAULT_SCORE_THRESHOLDS))
        if (
            not isinstance(thresholds, list)
            or len(thresholds) != 5
            or not all(isinstance(t, int) and not isinstance(t, bool) for t in thresholds)
            or thresholds[0] < 1
            or any(a >= b for a, b in itertools.pairwise(thresholds))
        ):
            raise ValueError(
                "rubric.score_thresholds must be 5 strictly increasing integers from 1 up"
            )
        return cls(competencies, tuple(thresholds))

    def score(self, matches: int) -> int | None:
        return sum(1 for t in self.score_thresholds if matches >= t) or None


def _competency(index: int, item: Any) -> Competency:
    where = f"rubric.competencies[{index}]"
    if not isinstance(item, Mapping):
        raise ValueError(f"{where} must be an object")
    unknown = sorted(set(item) - _COMPETENCY_KEYS)
    if unknown:
        raise ValueError(f"{where} has unknown keys {unknown}")
    key = item.get("key")
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise ValueError(f"{where}.key must be snake_case text, not {key!r}")
    where = f"competency {key!r}"
    title = _texts(item.get("title"), f"{where}.title")
    if FALLBACK.code not in title:
        raise ValueError(f"{where}.title needs an '{FALLBACK.code}' entry")
    description = _texts(item.get("description", {}), f"{where}.description")
    indicators = item.get("indicators")
    if not isinstance(indicators, Mapping) or not indicators:
        raise ValueError(f"{where}.indicators must map language codes to lists of phrases")
    checked: dict[str, list[str]] = {}
    for language, phrases in sorted(indicators.items()):
        if (
            not isinstance(phrases, list)
            or not phrases
            or not all(isinstance(p, str) and phrase_pattern(p) for p in phrases)
        ):
            raise ValueError(f"{where}.indicators.{language} must be a non-empty list of phrases")
        short = [p for p in phrases if any(_short_stem(word) for word in phrase_pattern(p))]
        if short:
            raise ValueError(
                f"{where}.indicators.{language}: a stem before * needs {MIN_STEM_CHARS} letters "
                f"or more, not {short}"
            )
        checked[str(language)] = list(phrases)
    return Competency(key, title, checked, description)


def _short_stem(word: str) -> bool:
    return word.endswith("*") and len(word) - 1 < MIN_STEM_CHARS


def _texts(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in value.items()
    ):
        raise ValueError(f"{where} must map language codes to non-empty text")
    return {k: value[k] for k in sorted(value)}


@dataclass(frozen=True)
class Assessment:
    competency: Competency
    score: int | None
    matches: int
    matched_indicators: tuple[str, ...]
    evidence: tuple[Quote, ...]

    def as_json(self, language: str) -> dict[str, Any]:
        return {
            "key": self.competency.key,
            "title": self.competency.title_in(language),
            "score": self.score,
            "status": SCORED if self.score is not None else INSUFFICIENT,
            "matches": self.matches,
            "matched_indicators": list(self.matched_indicators),
            "evidence": [dict(q) for q in self.evidence],
        }


def assess(rubric: Rubric, candidate_turns: Sequence[Turn], language: str) -> list[Assessment]:
    """Score every competency on the candidate's turns (in rubric order)."""
    tokenised = [(turn, tokens(turn.text)) for turn in candidate_turns]
    negations = or_fallback(language).negations
    assessments = []
    for competency in rubric.competencies:
        patterns = [(p, phrase_pattern(p)) for p in competency.indicators_in(language)]
        matches = 0
        matched: set[str] = set()
        evidence: list[Quote] = []
        for turn, toks in tokenised:
            first_span: tuple[int, int] | None = None
            for phrase, pattern in patterns:
                span = find_phrase(toks, pattern, negations)
                if span is not None:
                    matches += 1
                    matched.add(phrase)
                    first_span = span if first_span is None else min(first_span, span)
            if first_span is not None and len(evidence) < MAX_EVIDENCE:
                evidence.append(quote(turn, first_span))
        assessments.append(
            Assessment(
                competency, rubric.score(matches), matches, tuple(sorted(matched)), tuple(evidence)
            )
        )
    return assessments
