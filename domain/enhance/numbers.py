"""Numbers said as words, read as digits, so that personal data dictated in words is masked.

A *reading* of a text is the text with every run of spoken numbers written as digit groups
("восемь девятьсот шестнадцать сто двадцать три" → "8 916 123"), and, for each of its
characters, the span of the original text it stands for; what is found in the reading is put
back over what was said.

A run is number words and digit groups separated only by spaces, commas, dashes or
brackets, holding at least one word; the word for "+" ("плюс") may open it. Words join into
one group as they are said — hundreds, then tens, then units ("девятьсот шестнадцать" 916,
"сорок пять" 45, "сто три" 103) — when only spaces part them; a zero, a unit or a teen ends
a group ("ноль семь" is 0 7), and so does a comma or a dash ("сто, десять" is 100 10).
The words are those of every language in ``languages/``.

Must not: change anything in the text but the runs it reads, or read a word that is not
wholly a number word ("восьмой", "пятница", "опять").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from interview_analytics.domain.languages import ALL, normalise

NUMBER_WORDS: Mapping[str, int] = {
    word: value for language in ALL for word, value in language.pii.numbers.items()
}
PLUS_WORDS = frozenset[str]().union(*(language.pii.plus for language in ALL))

_TOKEN = re.compile(r"\d+|[^\W\d_]+")
_BETWEEN = re.compile(r"[\s,()\-\u2013\u2014]*")  # what may separate two tokens of a run


@dataclass(frozen=True)
class Reading:
    original: str
    text: str
    origin: tuple[tuple[int, int], ...] | None
    """For each character of ``text``, the span of ``original`` it stands for; None when
    the text has no spoken numbers and the reading is the original itself."""

    def source(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original that ``text[start:end]`` stands for."""
        if self.origin is None or start >= end:
            return start, end
        return self.origin[start][0], self.origin[end - 1][1]

    def put_back(self, found: Sequence[tuple[int, int, str]]) -> tuple[str, list[int]]:
        """The original with each span of the reading replaced (spans in order), and the
        indexes of the replacements made (one that overlaps the one before is not)."""
        pieces: list[str] = []
        made: list[int] = []
        position = 0
        for index, (start, end, replacement) in enumerate(found):
            begin, finish = self.source(start, end)
            if begin < position:
                continue
            pieces += [self.original[position:begin], replacement]
            position = finish
            made.append(index)
        pieces.append(self.original[position:])
        return "".join(pieces), made


@dataclass(frozen=True)
class _Token:
    start: int
    end: int
    digits: str | None  # a digit group as written
    value: int | None  # a number word's value
    plus: bool


def read(text: str) -> Reading:
    """The reading of ``text``: its spoken numbers as digit groups."""
    runs = _runs(text)
    if not runs:
        return Reading(text, text, None)
    pieces: list[str] = []
    origin: list[tuple[int, int]] = []
    position = 0
    for run in runs:
        pieces.append(text[position : run[0].start])
        origin += [(i, i + 1) for i in range(position, run[0].start)]
        rendered, spans = _render(run, text)
        pieces.append(rendered)
        origin += spans
        position = run[-1].end
    pieces.append(text[position:])
    origin += [(i, i + 1) for i in range(position, len(text))]
    return Reading(text, "".join(pieces), tuple(origin))


def _classify(match: re.Match[str]) -> _Token | None:
    word = match.group()
    if word.isdigit():
        return _Token(match.start(), match.end(), word, None, plus=False)
    norm = normalise(word)
    if norm in NUMBER_WORDS:
        return _Token(match.start(), match.end(), None, NUMBER_WORDS[norm], plus=False)
    if norm in PLUS_WORDS:
        return _Token(match.start(), match.end(), None, None, plus=True)
    return None


def _runs(text: str) -> list[list[_Token]]:
    runs: list[list[_Token]] = []
    current: list[_Token] = []

    def close() -> None:
        if current and current[-1].plus:
            current.pop()
        if any(token.value is not None for token in current):
            runs.append(list(current))
        current.clear()

    for match in _TOKEN.finditer(text):
        token = _classify(match)
        joined = (
            token is not None
            and bool(current)
            and not token.plus
            and _BETWEEN.fullmatch(text, current[-1].end, token.start) is not None
        )
        if not joined:
            close()
        if token is not None:
            current.append(token)
    close()
    return runs


def _render(run: Sequence[_Token], text: str) -> tuple[str, list[tuple[int, int]]]:
    """A run as digit groups joined by spaces, and each character's original span."""
    groups: list[tuple[str, int, int]] = []
    value: tuple[int, int, int] | None = None  # total, start, end of the group being said
    for token in run:
        if token.value is not None:
            spaced = value is not None and text[value[2] : token.start].isspace()
            if value is not None and spaced and _joins(value[0], token.value):
                value = (value[0] + token.value, value[1], token.end)
                continue
            if value is not None:
                groups.append((str(value[0]), value[1], value[2]))
            value = (token.value, token.start, token.end)
            continue
        if value is not None:
            groups.append((str(value[0]), value[1], value[2]))
            value = None
        if token.digits is not None:
            groups.append((token.digits, token.start, token.end))
    if value is not None:
        groups.append((str(value[0]), value[1], value[2]))
    rendered = "+" if run[0].plus else ""
    spans = [(run[0].start, run[0].end)] if run[0].plus else []
    for index, (digits, start, end) in enumerate(groups):
        if index:
            rendered += " "
            spans.append((groups[index - 1][2], start))
        rendered += digits
        spans += [(start, end)] * len(digits)
    return rendered, spans


def _joins(total: int, value: int) -> bool:
    """Whether ``value`` said after ``total`` adds to it: "девятьсот" + "шестнадцать"."""
    if value == 0:
        return False
    if total >= 100 and total % 100 == 0:
        return value < 100
    return total % 10 == 0 and total % 100 >= 20 and value < 10
