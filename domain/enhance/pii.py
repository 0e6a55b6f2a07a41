"""Masking personal data in a transcript: e-mail, phone, card, passport, INN, SNILS.

Each find is replaced whole by a token — ``[EMAIL]``, ``[PHONE]``, ``[CARD]``,
``[PASSPORT]``, ``[INN]``, ``[SNILS]`` — so no digit of it is left (a phone's ``+`` and
country code go too). Order:

1. e-mail addresses;
2. a passport said with its words: "серия 45 08 номер 123456" (the words go with it);
3. every run of digits joined by spaces, dashes or brackets — speech recognisers write
   "8 912 345 67 89" — read left to right, the longest stretch of whole digit groups that
   is something being masked first. A stretch is, in this order: a phone if it starts with
   ``+`` (``+7`` and 10 digits, or 8-15 digits in all); an SNILS, INN or passport when the
   nearest keyword among the three words before it names it (СНИЛС, ИНН/INN, паспорт/
   серия/passport) and the length fits; an SNILS written ``123-456-789 64``; a card (13-19
   digits passing Luhn, unless grouped in thousands like an amount: ``1 500 000 000 000``);
   a Russian phone (``8``/``7`` and 10 digits; or 10 digits grouped 3-3-2-2 or 3-3-4; or
   10-11 digits after "телефон"/"phone"); a passport grouped 2-2-6 or 4-6; and, only for
   digits written without a break, an INN (10 or 12 digits) or SNILS (11) whose check
   digits agree.

So a card is never cut into a phone and half a number, and a 16-digit number that fails
Luhn stays as it was. Every pattern runs in time linear in the text.

Must not: mask what only looks like a number of these kinds when its check digits fail
(except after the word that names it), or change anything else in the text.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from interview_analytics.domain.enhance.checksums import inn_valid, luhn_valid, snils_valid

EMAIL, PHONE, CARD, PASSPORT, INN, SNILS = "email", "phone", "card", "passport", "inn", "snils"
MASKS = {kind: f"[{kind.upper()}]" for kind in (EMAIL, PHONE, CARD, PASSPORT, INN, SNILS)}
_MASK_VALUES = frozenset(MASKS.values())

_EMAIL = re.compile(r"(?<![\w.+\-])[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
_PASSPORT_SAID = re.compile(
    r"(?<!\w)(?:сери[яиюей]|series)\s*\d{2}[ \u00a0]?\d{2}[\s,]*"
    r"(?:номер|№|number|no\.?)\s*\d{6}(?!\d)",
    re.IGNORECASE,
)
# Digits joined by up to three separator characters; every repetition takes a digit.
_DIGIT_RUN = re.compile(r"(?<![\d+(])[+(]?\d(?:[ \u00a0\t\-()]{0,3}\d)*")
_GROUP = re.compile(r"\d+")
_WORD = re.compile(r"[^\W\d_]+")
_MIN_DIGITS, _MAX_DIGITS = 8, 19  # the shortest phone, the longest card
_WORDS_LOOKED_AT = 3

# A word names a kind when it equals a key, or, for keys of five letters or more, starts
# with it ("паспорта", "телефону"); short keys must match whole ("инн", not "инновации").
_NAMED_SIZES = {SNILS: (11,), INN: (10, 12), PASSPORT: (10,)}
_KEYWORDS = {
    SNILS: ("снилс", "snils"),
    INN: ("инн", "inn"),
    PASSPORT: ("паспорт", "passport", "серия", "серии", "серию", "серией", "series"),
    PHONE: ("телефон", "тел", "phone", "mobile", "мобильн", "сотов"),
}


@dataclass(frozen=True)
class Masked:
    text: str
    found: dict[str, int]  # kind -> how many were masked


def mask_pii(text: str) -> Masked:
    found: Counter[str] = Counter()

    def replace(kind: str) -> str:
        found[kind] += 1
        return MASKS[kind]

    text = _EMAIL.sub(lambda m: replace(EMAIL), text)
    text = _PASSPORT_SAID.sub(lambda m: replace(PASSPORT), text)
    words = _Words(text)
    text = _DIGIT_RUN.sub(lambda m: _mask_run(m, replace, words), text)
    return Masked(text, dict(sorted(found.items())))


class _Words:
    """The words of a text (mask tokens left out), to ask which kind the nearest names."""

    def __init__(self, text: str) -> None:
        self._starts: list[int] = []
        self._kinds: list[str | None] = []
        for match in _WORD.finditer(text):
            if match.start() and text[match.start() - 1 : match.end() + 1] in _MASK_VALUES:
                continue
            self._starts.append(match.start())
            self._kinds.append(_kind_named(match.group().lower()))

    def kind_named_before(self, position: int) -> str | None:
        """The kind named by the nearest of the few words before ``position``, if any."""
        index = bisect_left(self._starts, position)
        for kind in reversed(self._kinds[max(0, index - _WORDS_LOOKED_AT) : index]):
            if kind is not None:
                return kind
        return None


def _kind_named(word: str) -> str | None:
    for kind, keys in _KEYWORDS.items():
        if any(word == key or (len(key) >= 5 and word.startswith(key)) for key in keys):
            return kind
    return None


def _mask_run(match: re.Match[str], replace: Callable[[str], str], words: _Words) -> str:
    run = match.group()
    spans = [m.span() for m in _GROUP.finditer(run)]
    groups = [run[start:end] for start, end in spans]
    plus = run.startswith("+")
    named = words.kind_named_before(match.start())
    pieces: list[str] = []
    position = 0  # in run
    i = 0
    while i < len(groups):
        found = _longest_at(groups, i, plus and i == 0, named)
        if found is None:
            i += 1
            continue
        last, kind = found
        start = spans[i][0]
        if i == 0 and (plus or (run.startswith("(") and ")" in run[: spans[last][1]])):
            start = 0
        pieces += [run[position:start], replace(kind)]
        position = spans[last][1]
        i = last + 1
    return "".join([*pieces, run[position:]])


def _longest_at(
    groups: Sequence[str], first: int, plus: bool, named: str | None
) -> tuple[int, str] | None:
    """The last group and kind of the longest maskable stretch starting at ``first``."""
    stretches: list[tuple[int, str, tuple[int, ...]]] = []  # last group, digits, lengths
    digits = ""
    lengths: tuple[int, ...] = ()
    for last in range(first, len(groups)):
        digits, lengths = digits + groups[last], (*lengths, len(groups[last]))
        if len(digits) > _MAX_DIGITS:
            break
        if len(digits) >= _MIN_DIGITS:
            stretches.append((last, digits, lengths))
    for last, digits, lengths in reversed(stretches):
        kind = classify(digits, lengths, plus, named)
        if kind is not None:
            return last, kind
    return None


def classify(digits: str, lengths: tuple[int, ...], plus: bool, named: str | None) -> str | None:
    """What a stretch of digit groups is, or None; see the module docstring for the order.

    ``lengths`` are the sizes of its groups, ``plus`` whether a ``+`` opens it, ``named``
    the kind a word just before it names.
    """
    count = len(digits)
    if plus:
        if digits.startswith("7"):
            return PHONE if count == 11 else None
        return PHONE if 8 <= count <= 15 and not digits.startswith("0") else None
    if named is not None and count in _NAMED_SIZES.get(named, ()):
        return named
    if lengths == (3, 3, 3, 2):
        return SNILS
    if 13 <= count <= _MAX_DIGITS and luhn_valid(digits) and not _thousands(lengths):
        return CARD
    if _russian_phone(digits, lengths) or (named == PHONE and count in (10, 11)):
        return PHONE
    if lengths in ((2, 2, 6), (4, 6)):
        return PASSPORT
    if len(lengths) == 1 and count in (10, 12) and inn_valid(digits):
        return INN
    if len(lengths) == 1 and snils_valid(digits):
        return SNILS
    return None


def _thousands(lengths: tuple[int, ...]) -> bool:
    """``1 500 000 000 000``: an amount written with thousands separators, not a card."""
    return len(lengths) > 2 and lengths[0] <= 3 and all(size == 3 for size in lengths[1:])


def _russian_phone(digits: str, lengths: tuple[int, ...]) -> bool:
    if len(digits) == 11:
        return digits[0] == "8" or (digits[0] == "7" and (len(lengths) == 1 or lengths[0] == 1))
    return len(digits) == 10 and lengths in ((3, 3, 2, 2), (3, 3, 4)) and digits[0] != "0"
