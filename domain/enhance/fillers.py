"""Filler words: removing what each language declares a filler, and mending the sentence.

The words come from the meeting's language (``languages/``), in three kinds, from least to
most context-dependent:

- *hesitations* go wherever they stand as a whole word: en um, uh, erm, hmm; ru э, ээ, э-э,
  эм, м-м, ммм, хм;
- *openers* go at the start of a sentence, or when set off by commas: ru ну, типа, короче
  (``Ну я думаю`` → ``Я думаю``; ``какого типа`` stays);
- *parentheticals* go only when set off on both sides by a comma, a pause or a sentence
  boundary: en "you know", "I mean", "like", "sort of", "kind of"; ru "как бы", "в общем",
  "значит", "вот", "это самое", "так сказать" (``It was, like, huge`` loses it, ``I like
  it``, ``what kind of person``, ``Как бы вы решили?`` and ``Это значит, что`` keep theirs).

Words are compared whole, case-insensitively and with "ё" as "е", so ``umbrella``, ``нужно``,
``прототипа`` and ``вотум`` survive. The punctuation around what was removed is mended: a
filler set off by commas takes both with it (``It was, um, hard`` → ``It was hard``), a
sentence end is kept, and a sentence that lost its first word starts with a capital again.
Removing twice changes nothing more.

Must not: remove anything in a language it does not know, or touch a word's spelling
other than that capital.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from interview_analytics.domain.enhance.tokens import (
    NO_BREAK,
    PAUSE_BREAK,
    SENTENCE_BREAK,
    Kind,
    Token,
    capitalised,
    render,
    strength,
    tokenize,
)
from interview_analytics.domain.languages import Language, find, normalise
from interview_analytics.domain.languages.language import FillerMode as Mode


@dataclass(frozen=True)
class Rules:
    hesitation: re.Pattern[str]
    phrases: tuple[tuple[tuple[str, ...], Mode], ...]  # longest first


@cache
def _rules(language: Language) -> Rules:
    fillers = language.fillers
    split = sorted(
        ((tuple(normalise(p).split()), m) for p, m in fillers.phrases.items()),
        key=lambda pm: -len(pm[0]),
    )
    return Rules(re.compile(fillers.hesitation), tuple(split))


def remove_fillers(text: str, language: str) -> str:
    """``text`` without fillers, whitespace collapsed; unchanged in an unknown language."""
    known = find(language)
    if known is None:
        return text
    rules = _rules(known)
    tokens = tokenize(text)
    removed = [
        t.kind is Kind.WORD and bool(rules.hesitation.fullmatch(normalise(t.text))) for t in tokens
    ]
    _mark_phrases(tokens, removed, rules)
    return render(_mend(tokens, removed))


def _breaks_after(tokens: Sequence[Token], removed: Sequence[bool]) -> list[int]:
    """For each position, the strongest break before the next word that stays."""
    result = [SENTENCE_BREAK] * (len(tokens) + 1)
    for i in range(len(tokens) - 1, -1, -1):
        token = tokens[i]
        if removed[i]:
            result[i] = result[i + 1]
        elif token.kind is Kind.WORD:
            result[i] = NO_BREAK
        else:
            result[i] = max(strength(token), result[i + 1])
    return result


def _mark_phrases(tokens: Sequence[Token], removed: list[bool], rules: Rules) -> None:
    right = _breaks_after(tokens, removed)
    left = SENTENCE_BREAK  # strongest break since the last word that stays
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if removed[i]:
            i += 1
            continue
        if token.kind is not Kind.WORD:
            left = max(left, strength(token))
            i += 1
            continue
        span = _phrase_at(tokens, removed, i, left, right, rules)
        if span:
            for j in span:
                removed[j] = True
            i = span[-1] + 1
        else:
            left = NO_BREAK
            i += 1


def _phrase_at(
    tokens: Sequence[Token],
    removed: Sequence[bool],
    i: int,
    left: int,
    right: Sequence[int],
    rules: Rules,
) -> list[int]:
    """The positions of a filler phrase starting at ``i`` that may go here, or none.

    Hesitations already marked may sit between its words ("в, э, общем" does not, "в э
    общем" does); punctuation may not.
    """
    for words, mode in rules.phrases:
        span = _words_at(tokens, removed, i, words)
        if not span:
            continue
        set_off = left >= PAUSE_BREAK and right[span[-1] + 1] >= PAUSE_BREAK
        if set_off or (mode is Mode.OPENER and left == SENTENCE_BREAK):
            return span
    return []


def _words_at(
    tokens: Sequence[Token], removed: Sequence[bool], i: int, words: Sequence[str]
) -> list[int]:
    span: list[int] = []
    j = i
    for word in words:
        while span and j < len(tokens) and removed[j]:
            j += 1
        if j >= len(tokens) or tokens[j].kind is not Kind.WORD or normalise(tokens[j].text) != word:
            return []
        span.append(j)
        j += 1
    return span


def _mend(tokens: Sequence[Token], removed: Sequence[bool]) -> list[Token]:
    """Drop removed words and settle the punctuation of each gap they leave."""
    out: list[Token] = []
    capitalise_next = False
    i = 0
    while i < len(tokens):
        if tokens[i].kind is Kind.WORD and not removed[i]:
            text = capitalised(tokens[i].text) if capitalise_next else tokens[i].text
            out.append(Token(Kind.WORD, text))
            capitalise_next = False
            i += 1
            continue
        end = i
        while end < len(tokens) and (tokens[end].kind is not Kind.WORD or removed[end]):
            end += 1
        gap = tokens[i:end]
        if not any(removed[i:end]):
            out.extend(gap)
        else:
            kept = _kept_punctuation(
                gap, removed[i:end], at_start=not out, at_end=end == len(tokens)
            )
            out.extend(kept)
            capitalise_next = not out or any(t.kind is Kind.STOP for t in kept)
        i = end
    return out


def _kept_punctuation(
    gap: Sequence[Token], removed: Sequence[bool], *, at_start: bool, at_end: bool
) -> list[Token]:
    if at_start:
        return []
    marks = [t for t, gone in zip(gap, removed, strict=True) if not gone]
    stops = [t for t in marks if t.kind is Kind.STOP]
    if stops:
        return stops[:1]
    stronger = [t for t in marks if t.text.strip(",")]  # ; : ...
    if stronger:
        return stronger[:1]
    if not at_end and marks and not removed[0] and removed[-1]:
        return marks[:1]  # "I, um think": the comma was not the filler's
    return []
