"""The Russian text pipeline of the enhancer: fillers, questions and Russian personal data.

Each case here is one the pipeline once got wrong; ``test_enhance.py`` keeps the rest.
"""

from __future__ import annotations

import re

import pytest

from interview_analytics.domain.enhance import enhance, mask_pii, numbers, remove_fillers, tidy
from tests.factories import segment

ARTIFACTS = re.compile(r", ,|,,|,\.|  |\s[,;]|\s[.:!?]+(?:\s|$)|^\s*[,;.]")


def clean(text: str) -> str:
    """What the enhancer makes of one Russian turn, PII masked."""
    return enhance([segment(0, 1, text)], language="ru", mask_pii=True).turns[0].text


# --- fillers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("Э-э, я думаю, да.", "Я думаю, да."),
        ("М-м, хороший вопрос.", "Хороший вопрос."),
        ("Я, э-э-э, не помню.", "Я не помню."),
        ("Хм, интересно.", "Интересно."),
        ("Ааа, понял.", "Понял."),
        ("Вот, я думаю, так и есть.", "Я думаю, так и есть."),
        ("Это, вот, важно.", "Это важно."),
        ("Мы закончили, вот.", "Мы закончили."),
        ("Так вот, мы решили переписать.", "Мы решили переписать."),
        ("В общем-то, да.", "Да."),
        ("Ну, типа того, устал.", "Устал."),
        ("Как-бы, да.", "Да."),
        ("Мы, скажем так, не успели.", "Мы не успели."),
        ("Собственно, всё.", "Всё."),
        ("ЗНАЧИТ, ТАК.", "ТАК."),
        ("Ёлки, ЭЭ, палки.", "Ёлки палки."),
    ],
)
def test_russian_fillers_the_enhancer_once_kept_are_removed(said: str, expected: str) -> None:
    assert remove_fillers(said, "ru") == expected
    assert not ARTIFACTS.search(expected)


@pytest.mark.parametrize(
    "said",
    [
        "Вот пример.",  # "вот" not set off: "here is"
        "Вотум недоверия.",
        "Нужно это сделать.",
        "Прототипа ещё нет.",
        "Какого типа данные?",
        "Это значит, что всё работает.",  # "значит" the verb: no pause before it
        "Что это значит?",
        "Вот-вот закончим.",
        "Мы работали в общем чате.",
        "Это самое важное.",
        "Ничего не скажем так сразу.",
        "Devotion, devotee.",
    ],
)
def test_words_that_only_contain_or_look_like_fillers_are_kept(said: str) -> None:
    assert remove_fillers(said, "ru") == said


# --- questions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("работали ли вы с кафкой", "Работали ли вы с кафкой?"),
        ("а есть ли у вас вопросы", "А есть ли у вас вопросы?"),
        ("на каком языке вы пишете", "На каком языке вы пишете?"),
        ("с какими базами вы работали", "С какими базами вы работали?"),
        ("какую базу вы выбрали", "Какую базу вы выбрали?"),
        ("не могли бы вы рассказать подробнее", "Не могли бы вы рассказать подробнее?"),
        ("чем вы занимались", "Чем вы занимались?"),
        ("вряд ли это поможет", "Вряд ли это поможет."),
        ("не знаю работали ли они", "Не знаю работали ли они."),
        ("приведите пример", "Приведите пример."),  # a request: a statement here
    ],
)
def test_russian_questions_get_a_question_mark(said: str, expected: str) -> None:
    assert tidy(said, "ru") == expected


def test_a_language_without_a_module_gets_no_question_mark() -> None:
    assert tidy("почему вы ушли", "de") == "Почему вы ушли."
    assert tidy("why did you leave", "de") == "Why did you leave."


# --- personal data -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "expected", "found"),
    [
        (
            "Мой номер восемь девятьсот шестнадцать сто двадцать три сорок пять шестьдесят "
            "семь, записали?",
            "Мой номер [PHONE], записали?",
            {"phone": 1},
        ),
        (
            "Телефон плюс семь девятьсот шестнадцать 123 сорок пять 67.",
            "Телефон [PHONE].",
            {"phone": 1},
        ),
        (
            "Звоните: восемь, девять один шесть, один два три, четыре пять, шесть семь.",
            "Звоните: [PHONE].",
            {"phone": 1},
        ),
        ("Это восемь 916 123 45 67.", "Это [PHONE].", {"phone": 1}),
        (
            "ИНН семь семь ноль семь ноль восемь три восемь девять три.",
            "ИНН [INN].",
            {"inn": 1},
        ),
        (
            "Пишите на ivan точка petrov собака mail точка ru, отвечу.",
            "Пишите на [EMAIL], отвечу.",
            {"email": 1},
        ),
        (
            "Почта иван тире петров собака яндекс точка ру.",
            "Почта [EMAIL].",
            {"email": 1},
        ),
        ("Паспорт 45 06 номер 123456.", "[PASSPORT].", {"passport": 1}),
        ("Серия 4506, № 123456.", "[PASSPORT].", {"passport": 1}),
        (
            "Паспорт серия сорок пять ноль шесть номер сто двадцать три четыреста пятьдесят шесть.",
            "Паспорт [PASSPORT].",
            {"passport": 1},
        ),
        ("Я родилась 5 марта 1990 года в Твери.", "Я родилась [BIRTHDATE] в Твери.", None),
        ("Дата рождения: 05.03.1990.", "Дата рождения: [BIRTHDATE].", None),
        ("Дата рождения 1990-03-05.", "Дата рождения [BIRTHDATE].", None),
        ("Родился в Казани в 1990 году.", "Родился в Казани в [BIRTHDATE].", None),
        ("Я 1990 года рождения.", "Я [BIRTHDATE] рождения.", None),
        (
            "Пятого марта тысяча девятьсот девяностого года я родилась.",
            "[BIRTHDATE] я родилась.",
            None,
        ),
        ("День рождения у меня двадцать пятого мая.", "День рождения у меня [BIRTHDATE].", None),
        ("I was born on March 5, 1990 in Paris.", "I was born on [BIRTHDATE] in Paris.", None),
    ],
)
def test_russian_personal_data_is_masked_whole(
    said: str, expected: str, found: dict[str, int] | None
) -> None:
    masked = mask_pii(said)
    assert masked.text == expected
    assert masked.found == (found or {"birthdate": 1})
    assert mask_pii(masked.text).text == masked.text


def test_a_dictated_phone_is_masked_in_the_enhanced_turn() -> None:
    said = (
        "ну мой телефон э восемь девятьсот шестнадцать сто двадцать три сорок пять шестьдесят семь"
    )
    assert clean(said) == "Мой телефон [PHONE]."


@pytest.mark.parametrize(
    "said",
    [
        "Релиз был 5 марта 2021 года.",  # no birth word: a date is not personal data
        "Я родилась в Твери. В 2010 году переехала.",  # the birth word is in another sentence
        "Я родился и вырос в Казани, в 2010 переехал.",  # too far from the birth word
        "У нас два сервиса и пять разработчиков, сто тысяч пользователей.",
        "Было три, потом восемь, потом сорок пять человек.",
        "Моя собака любит гулять.",
        "Номер заказа 123-456-789 00.",  # an SNILS layout whose check number fails
    ],
)
def test_dates_and_numbers_that_are_not_personal_data_are_left_alone(said: str) -> None:
    assert mask_pii(said).text == said


def test_an_snils_layout_with_a_wrong_check_number_is_not_masked_as_snils() -> None:
    assert mask_pii("Номер 112-233-445 95.").found == {"snils": 1}
    assert mask_pii("Номер 112-233-445 96.").found == {}
    assert mask_pii("СНИЛС 112-233-445 96.").found == {"snils": 1}  # named: masked anyway


@pytest.mark.parametrize(
    ("said", "reading"),
    [
        ("восемь девятьсот шестнадцать сто три", "8 916 103"),
        ("сорок пять шестьдесят семь", "45 67"),
        ("ноль семь, сто, десять", "0 7 100 10"),  # a comma ends a group
        ("сто десять", "110"),
        ("плюс семь 916 двести", "+7 916 200"),
        ("Восьмой раз опять пятница", "Восьмой раз опять пятница"),  # not number words
        ("два плюс два", "2 +2"),
    ],
)
def test_numbers_said_as_words_are_read_as_digit_groups(said: str, reading: str) -> None:
    read = numbers.read(said)
    assert read.text == reading
    assert read.put_back([])[0] == said
