"""Masking personal data in a transcript: e-mail, phone, card, passport, INN, SNILS, birth date.

Each find is replaced whole by a token — ``[EMAIL]``, ``[PHONE]``, ``[CARD]``,
``[PASSPORT]``, ``[INN]``, ``[SNILS]``, ``[BIRTHDATE]`` — so no digit of it is left (a phone's
``+`` and country code go too). The words that name, dictate or date these come from every
language in ``languages/`` whatever the meeting's, since people dictate across languages.
Numbers said as words ("восемь девятьсот шестнадцать ...") are read as digits first
(``numbers``), so everything below applies to them too, alone or mixed with digits, and the
mask covers the words. Order:

1. e-mail addresses, written or dictated ("ivan точка petrov собака mail точка ru");
2. dates of birth: a date — "05.03.1990", "5 марта 1990 года", "пятого марта", "в 1990
   году", "March 5, 1990" — that a birth word ("родилась", "дата рождения", "born", "DOB")
   names in the same sentence, with at most three other words between when the word comes
   first, two when it follows ("1990 года рождения", "5 марта я родилась"); a date is a
   day and month, a year, or a numeric date;
3. a passport said with its words: "серия 45 08 номер 123456", "паспорт 4508 № 123456"
   (the words go with it);
4. every run of digits joined by spaces, dashes or brackets — speech recognisers write
   "8 912 345 67 89" — read left to right, the longest stretch of whole digit groups that
   is something being masked first. A stretch is, in this order: a phone if it starts with
   ``+`` (``+7`` and 10 digits, or 8-15 digits in all); an SNILS, INN or passport when the
   nearest keyword among the three words before it names it (СНИЛС, ИНН/INN, паспорт/
   серия/passport) and the length fits; an SNILS written ``123-456-789 64`` whose check
   number agrees; a card (13-19 digits passing Luhn, unless grouped in thousands like an
   amount: ``1 500 000 000 000``); a Russian phone (``8``/``7`` and 10 digits; or 10 digits
   grouped 3-3-2-2 or 3-3-4; or 10-11 digits after "телефон"/"phone"); a passport grouped
   2-2-6 or 4-6; and, only for digits written without a break, an INN (10 or 12 digits) or
   SNILS (11) whose check digits agree.

So a card is never cut into a phone and half a number, and a 16-digit number that fails
Luhn stays as it was. A dot does not join digits (``3.5``, ``10.0.1``): a dotted date is
masked only as a birth date. Every pattern runs in time linear in the text, and masking
masked text changes nothing.

Must not: mask what only looks like a number of these kinds when its check digits fail
(except after the word that names it), mask a date no birth word names, or change anything
else in the text.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from interview_analytics.domain.enhance.checksums import inn_valid, luhn_valid, snils_valid
from interview_analytics.domain.enhance.numbers import read
from interview_analytics.domain.languages import ALL, normalise
from interview_analytics.domain.languages.language import PiiWords

EMAIL, PHONE, CARD, PASSPORT, INN, SNILS = "email", "phone", "card", "passport", "inn", "snils"
BIRTHDATE = "birthdate"
KINDS = (EMAIL, PHONE, CARD, PASSPORT, INN, SNILS, BIRTHDATE)
MASKS = {kind: f"[{kind.upper()}]" for kind in KINDS}
_MASK_VALUES = frozenset(MASKS.values())

Find = tuple[int, int, str]  # start, end, kind


def _alternatives(words: Iterable[str]) -> str:
    """A regular expression for any of ``words`` (spaces as any whitespace), longest first."""
    ordered = sorted(set(words), key=lambda w: (-len(w), w))
    return "|".join(r"\s+".join(re.escape(part) for part in w.split()) for w in ordered)


def _all(field: Callable[[PiiWords], Iterable[str]]) -> set[str]:
    """What ``field`` gives for every language: "точка" and "dot"."""
    return {word for language in ALL for word in field(language.pii)}


_EMAIL = re.compile(r"(?<![\w.+\-])[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
_LABEL = r"[\w\-]+"
_DOT = rf"(?:\.|\s+(?:{_alternatives(_all(lambda p: p.email_dot))})\s+)"
_JOIN = rf"\s+(?:{_alternatives(_all(lambda p: p.email_joins))})\s+"
_AT = rf"(?:\s*@\s*|\s+(?:{_alternatives(_all(lambda p: p.email_at))})\s+)"
_EMAIL_SAID = re.compile(
    rf"(?<![\w.@\[]){_LABEL}(?:(?:{_DOT}|{_JOIN}){_LABEL})*{_AT}{_LABEL}(?:{_DOT}{_LABEL})+"
    r"(?![\w@])",
    re.IGNORECASE,
)
_PASSPORT_SAID = re.compile(
    rf"(?<!\w)(?:(?:{_alternatives(_all(lambda p: p.series))})(?!\w)"
    rf"|(?:{_alternatives(_all(lambda p: p.passport))})\w*)"
    r"\s*[:\-]?\s*\d(?:[ \u00a0\-]?\d){3}[\s,]*"
    rf"(?:{_alternatives(_all(lambda p: p.number_signs))})"
    r"\s*[:\-]?\s*\d(?:[ \u00a0\-]?\d){5}(?!\d)",
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
_KEYWORDS: dict[str, tuple[str, ...]] = {}
for _language in ALL:
    for _kind, _keys in _language.pii.keywords.items():
        _KEYWORDS[_kind] = (*_KEYWORDS.get(_kind, ()), *_keys)
_BIRTH = tuple(word for language in ALL for word in language.pii.birth)


@dataclass(frozen=True)
class Masked:
    text: str
    found: dict[str, int]  # kind -> how many were masked


def mask_pii(text: str) -> Masked:
    found: Counter[str] = Counter()
    for finder in (_emails, _birth_dates, _passports_said, _digit_runs):
        reading = read(text)
        finds = list(finder(reading.text))
        text, made = reading.put_back([(start, end, MASKS[kind]) for start, end, kind in finds])
        found.update(finds[index][2] for index in made)
    return Masked(text, dict(sorted(found.items())))


def _emails(text: str) -> Iterator[Find]:
    written = [(m.start(), m.end(), EMAIL) for m in _EMAIL.finditer(text)]
    said = [(m.start(), m.end(), EMAIL) for m in _EMAIL_SAID.finditer(text)]
    position = 0
    for start, end, kind in sorted(written + said):
        if start >= position:
            yield start, end, kind
            position = end


def _passports_said(text: str) -> Iterator[Find]:
    for match in _PASSPORT_SAID.finditer(text):
        yield match.start(), match.end(), PASSPORT


def _names(word: str, keys: Iterable[str]) -> bool:
    return any(word == key or (len(key) >= 5 and word.startswith(key)) for key in keys)


def _kind_named(word: str) -> str | None:
    for kind, keys in _KEYWORDS.items():
        if _names(word, keys):
            return kind
    return None


# --- dates of birth ------------------------------------------------------------------------

_DATE_TOKEN = re.compile(r"\w+(?:[./\-]\w+)*")
_NUMERIC_DATE = re.compile(r"\d{1,2}[./\-]\d{1,2}[./\-](?:\d{4}|\d{2})|\d{4}-\d{1,2}-\d{1,2}")
_ORDINAL = re.compile(
    "|".join(f"(?:{language.pii.ordinals})" for language in ALL if language.pii.ordinals)
)
_MONTH_STEMS = tuple(stem for language in ALL for stem in language.pii.months)
_WHOLE_MONTHS = frozenset[str]().union(*(language.pii.whole_months for language in ALL))
_DATE_WORDS = frozenset[str]().union(*(language.pii.date_words for language in ALL))
_SENTENCE_END = re.compile(r"[.!?;]")
_DATE_GAP = re.compile(r"\s*,?\s*")  # what may stand between two words of one date

# What a word is to a date: a numeric date, a number, an ordinal, a month, or a word dates
# are said with ("года", "of").
_NUMERIC, _NUMBER, _YEAR, _MONTH, _OTHER = "numeric", "number", "year", "month", "other"


def _date_part(word: str) -> str | None:
    if _NUMERIC_DATE.fullmatch(word):
        return _NUMERIC
    if word.isdigit():
        if len(word) <= 2:
            return _NUMBER  # a day, or a year said short ("в 90 году")
        if len(word) == 3:
            return _OTHER  # "тысяча 900 девяностого" (hundreds read from words)
        return _YEAR if len(word) == 4 and 1900 <= int(word) <= 2099 else None
    if _ORDINAL.fullmatch(word):
        return _NUMBER
    if word in _WHOLE_MONTHS or word.startswith(_MONTH_STEMS):
        return _MONTH
    if word in _DATE_WORDS:
        return _OTHER
    return None


def _is_date(parts: Sequence[str | None]) -> bool:
    """A numeric date, a year, or a month or year word with a number."""
    has_number = _NUMBER in parts
    return (
        _NUMERIC in parts
        or _YEAR in parts
        or (has_number and _MONTH in parts)
        or (has_number and _OTHER in parts and len(parts) >= 2 and parts[-1] == _OTHER)
    )


def _birth_dates(text: str) -> Iterator[Find]:
    tokens = list(_DATE_TOKEN.finditer(text))
    words = [normalise(m.group()) for m in tokens]
    parts = [_date_part(word) for word in words]
    # A mask ("[BIRTHDATE]") is a word like any other, never a birth word.
    births = [
        _names(word, _BIRTH) and text[max(0, m.start() - 1) : m.end() + 1] not in _MASK_VALUES
        for word, m in zip(words, tokens, strict=True)
    ]

    def gap(i: int) -> str:  # what stands between token i and token i + 1
        return text[tokens[i].end() : tokens[i + 1].start()]

    def named(first: int, last: int) -> bool:
        """A birth word in the sentence of tokens ``first`` to ``last``, with at most three
        words before them or two after them between, not counting dates."""
        for order, most in ((range(first - 1, -1, -1), 3), (range(last + 1, len(tokens)), 2)):
            between = 0
            for k in order:
                if _SENTENCE_END.search(gap(k if k < first else k - 1)):
                    break
                if births[k]:
                    return True
                between += parts[k] is None
                if between > most:
                    break
        return False

    i = 0
    while i < len(tokens):
        if parts[i] is None or parts[i] == _OTHER:
            i += 1
            continue
        last = i
        while (
            last + 1 < len(tokens)
            and parts[last + 1] is not None
            and _DATE_GAP.fullmatch(gap(last)) is not None
        ):
            last += 1
        if _is_date(parts[i : last + 1]) and named(i, last):
            yield tokens[i].start(), tokens[last].end(), BIRTHDATE
        i = last + 1


# --- digit runs ----------------------------------------------------------------------------


def _digit_runs(text: str) -> Iterator[Find]:
    words = _Words(text)
    for match in _DIGIT_RUN.finditer(text):
        for start, end, kind in _mask_run(match.group(), words.kind_named_before(match.start())):
            yield match.start() + start, match.start() + end, kind


class _Words:
    """The words of a text (mask tokens left out), to ask which kind the nearest names."""

    def __init__(self, text: str) -> None:
        self._starts: list[int] = []
        self._kinds: list[str | None] = []
        for match in _WORD.finditer(text):
            if match.start() and text[match.start() - 1 : match.end() + 1] in _MASK_VALUES:
                continue
            self._starts.append(match.start())
            self._kinds.append(_kind_named(normalise(match.group())))

    def kind_named_before(self, position: int) -> str | None:
        """The kind named by the nearest of the few words before ``position``, if any."""
        index = bisect_left(self._starts, position)
        for kind in reversed(self._kinds[max(0, index - _WORDS_LOOKED_AT) : index]):
            if kind is not None:
                return kind
        return None


def _mask_run(run: str, named: str | None) -> list[Find]:
    """The stretches of one digit run to mask, as spans in the run."""
    spans = [m.span() for m in _GROUP.finditer(run)]
    groups = [run[start:end] for start, end in spans]
    plus = run.startswith("+")
    finds: list[Find] = []
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
        finds.append((start, spans[last][1], kind))
        i = last + 1
    return finds


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
    if lengths == (3, 3, 3, 2) and snils_valid(digits):
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
