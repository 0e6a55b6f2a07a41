"""Properties of the enhancement step over generated text, phones and card numbers."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from interview_analytics.domain.enhance import enhance, mask_pii, remove_fillers, tidy
from interview_analytics.domain.enhance.checksums import luhn_valid
from interview_analytics.domain.transcript import Segment
from tests.factories import segment

ARTIFACTS = re.compile(r", ,|,,|,\.|  |\s[,;]|\s[.:!?…]+(?:\s|$)|^[\s,;]|\s$")
LANGUAGES = st.sampled_from(["en", "ru"])

VOCABULARY = {
    "en": "um uh erm hmm Um You you know I i mean like Like sort kind of it was umbrella "
    "what is good summary why and the e.g. etc",
    "ru": "ну Ну э ээ эм ммм как бы типа короче говоря в общем значит это самое так сказать "
    "нужно я думаю что почему могли расскажите т.д. и",
}
DIGITS_AND_PII = [
    *("8", "912", "345", "67", "89", "+7", "4111", "1111", "7707083893", "ivan@mail.ru"),
    *("ИНН", "паспорт", "серия", "номер", "123456", "45", "08", "снилс", "112-233-445", "95"),
    "phone",
]
MARKS = [",", ".", "?", "!", "...", ";", ":", ",,", ", ,", " ,", "…", ",.", "?!", "-", "—"]
MARKS += ["(", ")", "«", "»", '"', "Mr.", "т.е.", ".NET", "i'm"]
SEPARATORS = st.sampled_from([" ", " ", " ", "  ", "", "\n", "\t"])


def one_turn(text: str) -> list[Segment]:
    return [segment(0, 1, text)]


def enhanced(text: str, language: str, mask: bool = False) -> str:
    return enhance(one_turn(text), language=language, mask_pii=mask).turns[0].text


@st.composite
def speech(draw: st.DrawFn, language: str, pii: bool = False) -> str:
    other = "ru" if language == "en" else "en"
    pieces = VOCABULARY[language].split() * 3 + VOCABULARY[other].split() + MARKS
    pieces += DIGITS_AND_PII if pii else []
    parts = draw(st.lists(st.tuples(st.sampled_from(pieces), SEPARATORS), max_size=30))
    return "".join(piece + separator for piece, separator in parts)


@st.composite
def speech_in_some_language(draw: st.DrawFn, pii: bool = False) -> tuple[str, str]:
    language = draw(LANGUAGES)
    return draw(speech(language, pii)), language


ANY_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=60) | st.text(
    " ,.;:!?…-()«»abcиную1", max_size=60
)


@given(ANY_TEXT, LANGUAGES)
def test_enhanced_text_has_no_punctuation_artifacts(text: str, language: str) -> None:
    assume(text.strip())
    result = enhance(one_turn(text), language=language, mask_pii=True)
    for turn in result.turns:
        assert not ARTIFACTS.search(turn.text), turn.text
    for paragraph in result.text.split("\n\n"):
        assert not ARTIFACTS.search(paragraph), paragraph


@given(speech_in_some_language(pii=True))
def test_generated_speech_has_no_punctuation_artifacts(said: tuple[str, str]) -> None:
    text, language = said
    for mask in (False, True):
        out = enhanced(text, language, mask) if text.strip() else ""
        assert not ARTIFACTS.search(out), out


@given(speech_in_some_language())
def test_removing_fillers_twice_is_removing_them_once(said: tuple[str, str]) -> None:
    text, language = said
    once = remove_fillers(text, language)
    assert remove_fillers(once, language) == once


@given(ANY_TEXT, LANGUAGES)
def test_tidying_twice_is_tidying_once(text: str, language: str) -> None:
    once = tidy(text, language)
    assert tidy(once, language) == once


@given(speech_in_some_language(pii=True), st.booleans())
def test_enhancing_enhanced_text_changes_nothing(said: tuple[str, str], mask: bool) -> None:
    text, language = said
    assume(text.strip())
    once = enhanced(text, language, mask)
    assume(once)
    assert enhanced(once, language, mask) == once


@given(ANY_TEXT | speech(language="ru", pii=True))
def test_masking_twice_is_masking_once(text: str) -> None:
    once = mask_pii(text)
    again = mask_pii(once.text)
    assert (again.text, again.found) == (once.text, {})


def _digits(draw: st.DrawFn, count: int) -> str:
    return draw(st.text("0123456789", min_size=count, max_size=count))


@st.composite
def phones(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        d = _digits(draw, 10)
        a, b, c, e = d[:3], d[3:6], d[6:8], d[8:]
        layouts = [
            f"+7 ({a}) {b}-{c}-{e}",
            f"8 ({a}) {b}-{c}-{e}",
            f"8 {a} {b} {c} {e}",
            f"8-{a}-{b}-{c}-{e}",
            f"+7 {a} {b} {c} {e}",
            f"8{d}",
            f"+7{d}",
            f"+7-{a}-{b}-{c}{e}",
        ]
        return draw(st.sampled_from(layouts))
    country = draw(st.sampled_from(["1", "44", "49", "33", "380", "998", "86"]))
    rest = _digits(draw, draw(st.integers(8 - len(country), 15 - len(country))))
    return "+" + country + _grouped(draw, rest)


def _grouped(draw: st.DrawFn, digits: str) -> str:
    """``digits`` cut into groups of 1-4, joined by a space or a dash (or not cut at all)."""
    if draw(st.booleans()):
        return (" " if draw(st.booleans()) else "") + digits
    out, i = "", 0
    while i < len(digits):
        size = draw(st.integers(1, 4))
        out += draw(st.sampled_from([" ", "-"])) + digits[i : i + size]
        i += size
    return out


@st.composite
def luhn_cards(draw: st.DrawFn) -> str:
    """Luhn-valid 13-19 digits, grouped any way but as an amount (``1 234 567 ...``)."""
    body = draw(st.sampled_from("123456789")) + _digits(draw, draw(st.integers(11, 17)))
    check = next(d for d in "0123456789" if luhn_valid(body + d))
    card = _grouped(draw, body + check).lstrip(" -")
    sizes = [len(group) for group in re.split(r"[ -]", card)]
    assume(not (len(sizes) > 2 and sizes[0] <= 3 and set(sizes[1:]) == {3}))
    return card


TEMPLATES = {
    "en": ["Call me at {} please", "My number is {}.", "{}, that's it"],
    "ru": ["Мой номер {}, спасибо", "Звоните: {}", "Запишите {}."],
}


@pytest.mark.parametrize(
    ("numbers", "kind"), [(phones(), "phone"), (luhn_cards(), "card")], ids=["phone", "card"]
)
@settings(max_examples=200)
@given(language=LANGUAGES, data=st.data())
def test_a_phone_or_a_luhn_valid_card_is_masked_and_keeps_none_of_its_digits(
    numbers: st.SearchStrategy[str], kind: str, language: str, data: st.DataObject
) -> None:
    number = data.draw(numbers, label=kind)
    template = data.draw(st.sampled_from(TEMPLATES[language]))
    result = enhance(one_turn(template.format(number)), language=language, mask_pii=True)
    text = result.turns[0].text
    assert f"[{kind.upper()}]" in text, (number, text)
    assert not re.search(r"\d", text), (number, text)
    assert result.pii_found == {kind: 1}


@given(st.text("0123456789", min_size=16, max_size=16))
def test_a_16_digit_number_failing_luhn_is_never_a_card(digits: str) -> None:
    assume(not luhn_valid(digits))
    grouped = " ".join(digits[i : i + 4] for i in range(0, 16, 4))
    for written in (digits, grouped):
        assert "card" not in mask_pii(f"Order {written} shipped").found
