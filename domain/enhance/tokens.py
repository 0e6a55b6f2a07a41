"""Words and punctuation marks: the one reading of text that the enhancement step shares.

Filler removal, tidying and paragraph splitting all tokenize the same way, so they agree
on what a word, a pause (``,`` ``;`` ``:`` ``...``) and a sentence end (``.`` ``!`` ``?``)
are. Tokenizing collapses whitespace and detaches punctuation from the word before it;
rendering writes words separated by one space with punctuation attached. A word is what
lies between whitespace, so ``umbrella``, ``нужно`` or ``mail.ru`` are never split.

Must not: change a word's letters (only :func:`capitalised` does, when asked), or use
patterns whose running time grows faster than the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from enum import Enum
from typing import NamedTuple

from interview_analytics.domain.languages import ALL


class Kind(Enum):
    WORD = 0
    PAUSE = 1  # , ; : and an ellipsis: a break inside a sentence
    STOP = 2  # . ! ? : the sentence ends


class Token(NamedTuple):
    kind: Kind
    text: str


# How strong a break is: no break between two words, a pause, or a sentence boundary
# (the start and the end of the text count as sentence boundaries).
NO_BREAK, PAUSE_BREAK, SENTENCE_BREAK = 0, 1, 2


PUNCTUATION = ",;:.!?…"
OPENERS = "([«“„"
CLOSERS = ")]»”"
# Marks inside a chunk are followed by a space (``Hello,world`` → ``Hello, world``), except
# one ``.`` ``:`` ``!`` ``?`` (``mail.ru``, ``3.5``, ``10:30``) or one ``,`` between digits.
_INNER_MARKS = re.compile(r"(?<=[^\s,;:.!?…])[,;:.!?…]+(?=[^\s,;:.!?…])")
# ``e.g.``, ``т.е.``, ``U.S.``: short letter groups joined by dots.
_DOTTED_ABBREVIATION = re.compile(r"(?:[^\W\d_]{1,2}\.)+[^\W\d_]{1,2}")
# A dot after one of these does not end the sentence, whatever the meeting's language.
_ABBREVIATIONS = frozenset[str]().union(*(language.abbreviations for language in ALL))


def is_abbreviation(word: str) -> bool:
    word = word.lstrip(OPENERS + "\"'")
    return word.lower() in _ABBREVIATIONS or bool(_DOTTED_ABBREVIATION.fullmatch(word))


def punctuation_kind(mark: str) -> Kind:
    if "?" in mark or "!" in mark:
        return Kind.STOP
    if "…" in mark or mark.count(".") >= 2:
        return Kind.PAUSE
    return Kind.STOP if "." in mark else Kind.PAUSE


_STRENGTH = {Kind.WORD: NO_BREAK, Kind.PAUSE: PAUSE_BREAK, Kind.STOP: SENTENCE_BREAK}


def strength(token: Token) -> int:
    return _STRENGTH[token.kind]


def _chunks(text: str) -> Iterator[str]:
    """Whitespace-separated chunks, a lone closing bracket or quote glued to its word."""
    previous: str | None = None
    for chunk in _INNER_MARKS.sub(_spaced, text).split():
        if (
            previous is not None
            and all(ch in CLOSERS for ch in chunk)
            and not previous.endswith(tuple(PUNCTUATION))
        ):
            previous += chunk
            continue
        if previous is not None:
            yield previous
        previous = chunk
    if previous is not None:
        yield previous


def _spaced(match: re.Match[str]) -> str:
    mark, text = match.group(), match.string
    if mark in ".:!?" or (
        mark == "," and text[match.start() - 1].isdigit() and text[match.end()].isdigit()
    ):
        return mark
    return mark + " "


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []

    def punctuation(mark: str) -> None:
        if tokens and tokens[-1].kind is not Kind.WORD:
            mark = tokens.pop().text + mark
        elif tokens and mark[0] in ".…" and tokens[-1].text.endswith("."):
            # ``e.g.`` then ``...``: the abbreviation's dot joins the ellipsis
            mark = "." + mark
            tokens[-1] = Token(Kind.WORD, tokens[-1].text[:-1])
        tokens.append(Token(punctuation_kind(mark), mark))

    opening = ""  # brackets and quotes waiting for the word they open
    for chunk in _chunks(text):
        body = chunk.lstrip(PUNCTUATION)
        if len(chunk) - len(body) == 1 and chunk[0] in ".:!?":
            body = chunk  # ``.NET``, ``:)``
        if body != chunk:
            punctuation(chunk[: len(chunk) - len(body)])
        word = body.rstrip(PUNCTUATION)
        trail = body[len(word) :]
        if word and all(ch in OPENERS for ch in word) and not trail:
            opening += word
            continue
        if word and trail[:1] == "." and trail[1:2] != "." and is_abbreviation(word):
            word, trail = word + ".", trail[1:]
        if word:
            tokens.append(Token(Kind.WORD, opening + word))
            opening = ""
        if trail:
            punctuation(trail)
    if opening:
        tokens.append(Token(Kind.WORD, opening))
    return tokens


def render(tokens: Sequence[Token]) -> str:
    parts: list[str] = []
    for index, token in enumerate(tokens):
        previous = tokens[index - 1] if index else None
        closes_word = (
            previous is not None
            and previous.kind is Kind.WORD
            and not previous.text.endswith(tuple(PUNCTUATION))
            and _closes(token.text)
        )
        if token.kind is Kind.WORD and parts and not closes_word:
            parts.append(" ")
        parts.append(token.text)
    return "".join(parts)


def _closes(word: str) -> bool:
    return all(ch in CLOSERS for ch in word)


def capitalised(word: str) -> str:
    """Upper-case the first letter, unless the word has capitals of its own (``iPhone``)."""
    for index, char in enumerate(word):
        if char.isalnum():
            rest = word[index + 1 :]
            if char.islower() and not any(c.isupper() for c in rest):
                return word[:index] + char.upper() + rest
            return word
    return word


def sentences(tokens: Sequence[Token]) -> list[list[Token]]:
    """Split after every sentence end; a trailing sentence without one is kept."""
    result: list[list[Token]] = [[]]
    for token in tokens:
        result[-1].append(token)
        if token.kind is Kind.STOP:
            result.append([])
    return [sentence for sentence in result if sentence]
