"""Text helpers for the report: tokens with their places, sentences, questions, fillers.

Tokens are words (letters, digits, inner apostrophes and hyphens), lower case, with the
Russian "yo" written as "ye" and typographic apostrophes as ASCII ones, so English and
Russian indicators, fillers and stopwords match however the recogniser spelled them.
Pure functions; no state.

Must not: change the text it reads; quotes are cut from it, never rewritten.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from interview_analytics.domain.report.lexicon import (
    FILLER_PHRASES,
    FILLER_TOKENS,
    KAK_BY_PRONOUNS,
    NOT_FILLER_BEFORE_YOU_KNOW,
    PUNCTUATED_FILLERS,
    QUESTION_STARTS,
)

MAX_QUOTE_CHARS = 200
ELLIPSIS = "…"

_WORD = re.compile(r"\w+(?:['\u2019\-]\w+)*")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_HESITATION = re.compile(r"э+м*|м{2,}")
_PAUSE_AFTER = re.compile(r"\s*(?:[,;:!?…]|\.|$)")


@dataclass(frozen=True)
class Token:
    """One word: its normal form and where it sits in the original text."""

    norm: str
    start: int
    end: int
    pause_after: bool
    """A comma, a sentence end or the end of the text follows it."""


def normalise(word: str) -> str:
    return word.lower().replace("\u0451", "\u0435").replace("\u2019", "'")


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


def is_question(sentence: str) -> bool:
    """Ends with ``?``, or starts with a question word and has no other final punctuation.

    "When I joined, we had a monolith." is an answer, so a question word only counts in a
    sentence the recogniser left unpunctuated.
    """
    stripped = sentence.rstrip(" \"'»”)")
    if stripped.endswith("?"):
        return True
    if stripped.endswith((".", "!", "…")):
        return False
    words = [t.norm for t in tokens(sentence)[:2]]
    return any(tuple(words[:n]) in QUESTION_STARTS for n in (1, 2))


def filler_spans(text: str) -> list[tuple[int, int]]:
    """Where the fillers are in ``text`` (character spans, in order)."""
    toks = tokens(text)
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(toks):
        length = _filler_length(toks, i)
        if length:
            spans.append((toks[i].start, toks[i + length - 1].end))
            i += length
        else:
            i += 1
    return spans


def _filler_length(toks: Sequence[Token], i: int) -> int:
    word = toks[i].norm
    if word in FILLER_TOKENS or _HESITATION.fullmatch(word):
        return 1
    if word == "как" and i + 1 < len(toks) and toks[i + 1].norm == "бы":
        following = toks[i + 2].norm if i + 2 < len(toks) else ""
        return 0 if following in KAK_BY_PRONOUNS else 2
    for phrase in FILLER_PHRASES:
        if _starts_with(toks, i, phrase):
            return len(phrase)
    for phrase in PUNCTUATED_FILLERS:
        if _starts_with(toks, i, phrase) and toks[i + len(phrase) - 1].pause_after:
            before = toks[i - 1].norm if i else ""
            if phrase == ("you", "know") and before in NOT_FILLER_BEFORE_YOU_KNOW:
                continue
            return len(phrase)
    return 0


def _starts_with(toks: Sequence[Token], i: int, phrase: Sequence[str]) -> bool:
    return tuple(t.norm for t in toks[i : i + len(phrase)]) == tuple(phrase)


def phrase_pattern(phrase: str) -> tuple[str, ...]:
    """An indicator as normal-form words; a trailing ``*`` on a word matches any ending."""
    return tuple(normalise(word) for word in re.findall(r"[\w'\u2019\-]+\*?", phrase))


def find_phrase(toks: Sequence[Token], pattern: Sequence[str]) -> tuple[int, int] | None:
    """The character span of the first place ``pattern`` occurs in ``toks``, or None."""
    if not pattern:
        return None
    for i in range(len(toks) - len(pattern) + 1):
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
