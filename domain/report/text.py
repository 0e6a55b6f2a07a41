"""Text helpers for the report: tokens with their places, sentences, questions, fillers.

Tokens are words (letters, digits, inner apostrophes and hyphens), lower case, with the
Russian "yo" written as "ye" and typographic apostrophes as ASCII ones, so English and
Russian indicators, fillers and stopwords match however the recogniser spelled them. What
is a question or a filler is the meeting language's (``languages/``). Pure functions; no
state.

Must not: change the text it reads; quotes are cut from it, never rewritten.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from interview_analytics.domain.languages import Language, normalise
from interview_analytics.domain.languages.language import FillerCount

MAX_QUOTE_CHARS = 200
ELLIPSIS = "…"

_WORD = re.compile(r"\w+(?:['\u2019\-]\w+)*")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_PAUSE_AFTER = re.compile(r"\s*(?:[,;:!?…]|\.|$)")


@dataclass(frozen=True)
class Token:
    """One word: its normal form and where it sits in the original text."""

    norm: str
    start: int
    end: int
    pause_after: bool
    """A comma, a sentence end or the end of the text follows it."""


def tokens(text: str) -> list[Token]:
    return [
        Token(
            normalise(m.group()),
            m.start(),
            m.end(),
            _PAUSE_AFTER.match(text, m.end()) is not None,
        )
        for m in _WORD.finditer(text)
    ]


def word_count(text: str) -> int:
    return sum(1 for _ in _WORD.finditer(text))


def sentences(text: str) -> list[tuple[int, str]]:
    """Sentences with their start offset, split after ``.``, ``!``, ``?`` or ``…``."""
    found: list[tuple[int, str]] = []
    position = 0
    for part in _SENTENCE_END.split(text):
        offset = text.find(part, position)
        position = offset + len(part)
        if part.strip():
            found.append((offset + len(part) - len(part.lstrip()), part.strip()))
    return found


def is_question(sentence: str, language: Language) -> bool:
    """Ends with ``?``; or opens with a request ("Расскажите о себе."); or has no other
    final punctuation and opens like a question (see ``Questions``).

    "When I joined, we had a monolith." is an answer, so a question word only counts in a
    sentence the recogniser left unpunctuated.
    """
    stripped = sentence.rstrip(" \"'»”)")
    if stripped.endswith("?"):
        return True
    toks = tokens(sentence)
    questions = language.questions
    clauses = _clauses(toks)
    if questions.requested(clauses):
        return True
    if stripped.endswith((".", "!", "…")):
        return False
    if questions.report_openers:
        return questions.report_asks([t.norm for t in toks[:2]])
    return questions.asks(clauses)


def _clauses(toks: Sequence[Token]) -> list[list[str]]:
    """The words of a sentence, cut after each word a pause follows."""
    clauses: list[list[str]] = [[]]
    for token in toks:
        clauses[-1].append(token.norm)
        if token.pause_after:
            clauses.append([])
    return [clause for clause in clauses if clause]


def filler_spans(text: str, language: Language) -> list[tuple[int, int]]:
    """Where the fillers of ``language`` are in ``text`` (character spans, in order)."""
    toks = tokens(text)
    rules = language.filler_count
    hesitation = _hesitation(rules.hesitation)
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(toks):
        length = 1 if hesitation and hesitation.fullmatch(toks[i].norm) else 0
        length = length or _filler_length(toks, i, rules)
        if length:
            spans.append((toks[i].start, toks[i + length - 1].end))
            i += length
        else:
            i += 1
    return spans


@cache
def _hesitation(pattern: str) -> re.Pattern[str] | None:
    return re.compile(pattern) if pattern else None


def _filler_length(toks: Sequence[Token], i: int, rules: FillerCount) -> int:
    pause_before = i == 0 or toks[i - 1].pause_after
    for phrases, needs_pause_before, needs_pause_after in (
        (rules.anywhere, False, False),
        (rules.set_off, True, True),
        (rules.before_pause, False, True),
    ):
        for phrase in phrases:
            if not _starts_with(toks, i, phrase):
                continue
            end = i + len(phrase) - 1
            if (needs_pause_after and not toks[end].pause_after) or (
                needs_pause_before and not pause_before
            ):
                continue
            before = toks[i - 1].norm if i else ""
            after = toks[end + 1].norm if end + 1 < len(toks) else ""
            if _any_matches(before, rules.not_after.get(phrase)) or _any_matches(
                after, rules.not_before.get(phrase)
            ):
                continue
            return len(phrase)
    return 0


def _any_matches(word: str, entries: frozenset[str] | None) -> bool:
    """Whether ``word`` is one of ``entries``; an entry ``*ого`` matches a word's ending."""
    if not word or not entries:
        return False
    return word in entries or any(e[0] == "*" and word.endswith(e[1:]) for e in entries)


def _starts_with(toks: Sequence[Token], i: int, phrase: Sequence[str]) -> bool:
    return tuple(t.norm for t in toks[i : i + len(phrase)]) == tuple(phrase)


def phrase_pattern(phrase: str) -> tuple[str, ...]:
    """An indicator as normal-form words; a trailing ``*`` on a word matches any ending."""
    return tuple(normalise(word) for word in re.findall(r"[\w'\u2019\-]+\*?", phrase))


def find_phrase(
    toks: Sequence[Token], pattern: Sequence[str], negations: frozenset[str] = frozenset()
) -> tuple[int, int] | None:
    """The character span of the first place ``pattern`` occurs in ``toks`` not right after
    one of ``negations`` ("не отвечал за"), or None."""
    if not pattern:
        return None
    for i in range(len(toks) - len(pattern) + 1):
        if i and toks[i - 1].norm in negations:
            continue
        if all(_word_matches(toks[i + k].norm, part) for k, part in enumerate(pattern)):
            return toks[i].start, toks[i + len(pattern) - 1].end
    return None


def _word_matches(word: str, part: str) -> bool:
    if part.endswith("*"):
        return word.startswith(part[:-1])
    return word == part


def excerpt(text: str, span: tuple[int, int] | None = None, limit: int = MAX_QUOTE_CHARS) -> str:
    """At most ``limit`` characters of ``text`` around ``span``, cut between words."""
    clean = " ".join(text.split())
    if len(clean) <= limit:
        return clean
    if span is None:
        start = 0
    else:
        # The span was measured on ``text``; map it onto the whitespace-collapsed copy.
        start = len(" ".join(text[: span[0]].split()))
        start = max(0, start - limit // 3)
    window = limit - 2 * len(ELLIPSIS)
    start = min(start, len(clean) - window)
    if start > 0:
        space = clean.rfind(" ", 0, start + 1)
        start = space + 1 if space >= 0 else start
    end = start + window
    if end < len(clean):
        space = clean.rfind(" ", start, end)
        end = space if space > start else end
    quote = clean[start:end].strip()
    prefix = ELLIPSIS if start > 0 else ""
    suffix = ELLIPSIS if end < len(clean) else ""
    return f"{prefix}{quote}{suffix}"
