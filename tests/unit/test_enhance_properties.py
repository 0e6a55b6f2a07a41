"""Properties of the enhancement step over generated text, phones, cards, INN, SNILS, dates."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from interview_analytics.domain.enhance import enhance, mask_pii, remove_fillers, tidy
from interview_analytics.domain.enhance.checksums import luhn_valid
from interview_analytics.domain.languages import ru
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
    *("восемь", "девятьсот", "шестнадцать", "сорок", "пять", "ноль", "плюс", "собака", "точка"),
    *("родилась", "рождения", "марта", "1990", "года", "05.03.1990", "пятого", "born", "May"),
    *("ivan", "mail", "ru", "серия", "№"),
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


# --- Russian numbers: any valid INN, SNILS or phone in any layout -----------------------------

SEPARATORS_OF_DIGITS = st.sampled_from([" ", "-", " - ", "\u00a0", "(", ")", ") ", "  "])


def _inn_check(digits: str, weights: tuple[int, ...]) -> str:
    return str(sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10)


@st.composite
def inns(draw: st.DrawFn) -> str:
    """A valid INN: 10 digits (organisation) or 12 (person), check digits computed."""
    if draw(st.booleans()):
        body = _digits(draw, 9)
        return body + _inn_check(body, (2, 4, 10, 3, 5, 9, 4, 6, 8))
    body = _digits(draw, 10)
    body += _inn_check(body, (7, 2, 4, 10, 3, 5, 9, 4, 6, 8))
    return body + _inn_check(body, (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8))


@st.composite
def snilses(draw: st.DrawFn) -> str:
    """A valid SNILS: 9 digits above 001-001-998 and their check number."""
    body = f"{draw(st.integers(1_001_999, 999_999_999)):09d}"
    total = sum(int(d) * w for d, w in zip(body, range(9, 0, -1), strict=True))
    return body + f"{total % 101 % 100:02d}"


def _cut(draw: st.DrawFn, digits: str) -> str:
    """``digits`` cut into groups of 1-4, each pair joined by any separator of digits."""
    out, i = "", 0
    while i < len(digits):
        size = draw(st.integers(1, 4))
        out += (draw(SEPARATORS_OF_DIGITS) if out else "") + digits[i : i + size]
        i += size
    return out


@settings(max_examples=150)
@given(data=st.data(), kind=st.sampled_from(["inn", "snils"]))
def test_a_valid_inn_or_snils_is_masked_after_its_name_in_any_layout_and_alone(
    data: st.DataObject, kind: str
) -> None:
    number = data.draw(inns() if kind == "inn" else snilses(), label=kind)
    named = f"Мой {kind.upper() if kind == 'inn' else 'СНИЛС'}: {_cut(data.draw, number)}."
    alone = f"Запишите {number}, пожалуйста."
    for said, kinds in ((named, {kind}), (alone, {kind, "phone"})):
        masked = mask_pii(said)
        assert not re.search(r"\d", masked.text), (said, masked.text)
        assert set(masked.found) <= kinds, said
        assert sum(masked.found.values()) == 1, said
    if kind == "snils":  # the usual layout, without its name
        layout = f"{number[:3]}-{number[3:6]}-{number[6:9]} {number[9:]}"
        assert mask_pii(f"Номер {layout}.").found == {"snils": 1}


@given(data=st.data())
def test_an_inn_or_snils_failing_its_check_digits_is_not_masked_unnamed(
    data: st.DataObject,
) -> None:
    number = data.draw(inns() | snilses())
    wrong = number[:-1] + str((int(number[-1]) + data.draw(st.integers(1, 9))) % 10)
    found = mask_pii(f"Код {wrong} в системе").found
    assert "inn" not in found
    assert "snils" not in found


ONES = ["ноль", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять"]
TEENS = ["десять", "одиннадцать", "двенадцать", "тринадцать", "четырнадцать", "пятнадцать"]
TEENS += ["шестнадцать", "семнадцать", "восемнадцать", "девятнадцать"]
TENS = ["", "", "двадцать", "тридцать", "сорок", "пятьдесят", "шестьдесят", "семьдесят"]
TENS += ["восемьдесят", "девяносто"]
HUNDREDS = ["", "сто", "двести", "триста", "четыреста", "пятьсот", "шестьсот", "семьсот"]
HUNDREDS += ["восемьсот", "девятьсот"]


def said_in_words(group: str) -> str:
    """A digit group as a Russian speaker says it: "916" девятьсот шестнадцать, "07" ноль семь."""
    if not group:
        return ""
    if group.startswith("0") or len(group) == 1:
        return " ".join([ONES[int(group[0])], said_in_words(group[1:])]).strip()
    value = int(group)
    words = [HUNDREDS[value // 100]] if value >= 100 else []
    rest = value % 100
    if 10 <= rest <= 19:
        words.append(TEENS[rest - 10])
    else:
        words += [TENS[rest // 10], ONES[rest % 10] if rest % 10 else ""]
    return " ".join(word for word in words if word)


@settings(max_examples=150)
@given(
    digits=st.text("0123456789", min_size=10, max_size=10),
    prefix=st.sampled_from(["восемь", "плюс семь", "8", "+7"]),
    spoken=st.lists(st.booleans(), min_size=4, max_size=4),
    separator=st.sampled_from([" ", ", ", " - "]),
    template=st.sampled_from(TEMPLATES["ru"]),
)
def test_a_phone_said_in_words_or_mixed_with_digits_is_masked_whole(
    digits: str, prefix: str, spoken: list[bool], separator: str, template: str
) -> None:
    groups = [digits[:3], digits[3:6], digits[6:8], digits[8:]]
    assume(prefix.isalpha() or any(spoken))
    # "сто десять" is 110 or 100 10: only a pause (a comma, a dash) tells them apart.
    assume(
        separator != " "
        or not any(
            said and said_next and group.endswith("0")
            for group, said, said_next in zip(groups, spoken, spoken[1:], strict=False)
        )
    )
    pieces = [said_in_words(g) if say else g for g, say in zip(groups, spoken, strict=True)]
    said = template.format(separator.join([prefix, *pieces]))
    masked = mask_pii(said)
    assert masked.found == {"phone": 1}, (said, masked.text)
    assert masked.text == template.format("[PHONE]"), (said, masked.text)


MONTHS = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа"]
MONTHS += ["сентября", "октября", "ноября", "декабря"]


@given(
    day=st.integers(1, 28),
    month=st.integers(1, 12),
    year=st.integers(1940, 2010),
    layout=st.sampled_from(["{d:02d}.{m:02d}.{y}", "{d} {month} {y} года", "{d} {month} {y}"]),
    template=st.sampled_from(
        ["Я родилась {}.", "Дата рождения: {}, город Тверь.", "Родился {} в Казани", "ДР {}"]
    ),
)
def test_a_date_of_birth_is_masked_in_any_layout(
    day: int, month: int, year: int, layout: str, template: str
) -> None:
    date = layout.format(d=day, m=month, y=year, month=MONTHS[month - 1])
    masked = mask_pii(template.format(date))
    assert masked.text == template.format("[BIRTHDATE]"), masked.text
    assert masked.found == {"birthdate": 1}


FILLER_PARTS = ["ну", "вот", "типа", "значит", "короче", "эм", "хм", "ммм", "э", "как", "бы"]


@st.composite
def words_holding_fillers(draw: st.DrawFn) -> str:
    """A word that contains a filler but is not one: "нужно", "вотум", "прототипа"."""
    letters = st.text("абвгдежзийклмнопрстуфхцчшщыьэюя", min_size=1, max_size=4)
    filler = draw(st.sampled_from(FILLER_PARTS))
    before, after = draw(st.sampled_from([(True, False), (False, True), (True, True)]))
    word = (draw(letters) if before else "") + filler + (draw(letters) if after else "")
    assume(not re.fullmatch(ru.HESITATION, word) and word not in ru.FILLERS.phrases)
    return draw(st.sampled_from([word, word.capitalize(), word.upper()]))


@given(st.lists(st.tuples(words_holding_fillers(), st.sampled_from(["", ",", "."])), min_size=1))
def test_words_that_contain_fillers_survive(parts: list[tuple[str, str]]) -> None:
    text = " ".join(word + mark for word, mark in parts)
    kept = remove_fillers(text, "ru")
    assert [w for w, _ in parts] == re.findall(r"[^\s,.]+", kept), (text, kept)
