"""Behaviour of the enhancement step: turns, fillers, tidying, paragraphs and PII masking."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

import pytest

from interview_analytics.domain.enhance import (
    EnhancedTranscript,
    enhance,
    mask_pii,
    paragraphs,
    remove_fillers,
    tidy,
)
from interview_analytics.domain.enhance.checksums import inn_valid, luhn_valid, snils_valid
from interview_analytics.domain.transcript import Segment
from tests.factories import segment

ARTIFACTS = re.compile(r", ,|,,|,\.|  |\s[,;]|\s[.:!?]+(?:\s|$)|^\s*[,;.]")


def seg(
    start: float, end: float, text: str, speaker: str | None = None, segment_id: str | None = None
) -> Segment:
    result = segment(start, end, text, segment_id)
    result["speaker"] = speaker
    return result


def run(
    *segments: Segment,
    language: str = "en",
    mask_pii: bool = False,
    channel_speakers: Mapping[int, str] | None = None,
) -> EnhancedTranscript:
    return enhance(
        list(segments), language=language, mask_pii=mask_pii, channel_speakers=channel_speakers
    )


def clean(text: str, language: str = "en", mask: bool = False) -> str:
    return run(seg(0, 1, text), language=language, mask_pii=mask).turns[0].text


# --- fillers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("Um, I think it works.", "I think it works."),
        ("uh I think it works", "I think it works."),
        ("I, uh, think it works.", "I think it works."),
        (
            "So, um, I think that, uh, the main problem was, you know, the deadline.",
            "So I think that the main problem was the deadline.",
        ),
        ("It was, like, huge.", "It was huge."),
        ("I like it", "I like it."),
        ("I like it.", "I like it."),
        ("It's like a dream.", "It's like a dream."),
        ("I mean, it was fine.", "It was fine."),
        ("That's what I mean.", "That's what I mean."),
        ("Do you know the answer", "Do you know the answer?"),
        ("It was hard, you know.", "It was hard."),
        ("It was, sort of, a mess.", "It was a mess."),
        ("What kind of person are you", "What kind of person are you?"),
        ("Hmm. Okay.", "Okay."),
        ("Hello. Um. World.", "Hello. World."),
        ("What? Um. Okay.", "What? Okay."),
        ("Yes, um.", "Yes."),
        ("I think, um...", "I think..."),
        ("The umbrella is, um, red.", "The umbrella is red."),
        ("Erm, hmm, the summary is short.", "The summary is short."),
        ("Well, um, you know, I mean, like, it works", "Well it works."),
        ("UM, I THINK SO.", "I THINK SO."),
    ],
)
def test_english_fillers_are_removed_without_artifacts(said: str, expected: str) -> None:
    assert clean(said) == expected
    assert not ARTIFACTS.search(expected)


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("Ну, я думаю, что это, как бы, нормально.", "Я думаю, что это нормально."),
        ("Ну я не знаю.", "Я не знаю."),
        ("Нужно это сделать.", "Нужно это сделать."),
        ("Ээ, короче, мы пришли.", "Мы пришли."),
        ("Эм, это, типа, важно.", "Это важно."),
        ("Типа я пришёл и всё.", "Я пришёл и всё."),
        ("Какого типа данные вы храните?", "Какого типа данные вы храните?"),
        ("Это значит, что всё работает.", "Это значит, что всё работает."),
        ("Значит, мы договорились.", "Мы договорились."),
        ("В общем, всё хорошо.", "Всё хорошо."),
        ("Мы писали в общем чате.", "Мы писали в общем чате."),
        ("Это самое важное.", "Это самое важное."),
        ("Я, это самое, забыл.", "Я забыл."),
        ("Он, так сказать, эксперт.", "Он эксперт."),
        ("Нельзя так сказать.", "Нельзя так сказать."),
        ("Как бы вы решили эту задачу?", "Как бы вы решили эту задачу?"),
        ("Я... ну... не знаю.", "Я... не знаю."),
        ("Ммм, хороший вопрос.", "Хороший вопрос."),
        ("Короче говоря, всё сломалось.", "Всё сломалось."),
        ("Сделайте отчёт короче.", "Сделайте отчёт короче."),
        ("Я работал там э три года.", "Я работал там три года."),
        ("Это этап, ну, важный.", "Это этап важный."),
    ],
)
def test_russian_fillers_are_removed_without_artifacts(said: str, expected: str) -> None:
    assert clean(said, "ru") == expected
    assert not ARTIFACTS.search(expected)


def test_fillers_are_kept_in_a_language_without_rules() -> None:
    assert clean("Um, hallo", "de") == "Um, hallo."
    assert remove_fillers("um,  hallo", "de") == "um,  hallo"


def test_language_tags_are_reduced_to_their_primary_language() -> None:
    assert clean("Ну, привет", "ru-RU") == "Привет."
    assert clean("Um, hello", "EN_us") == "Hello."


def test_a_turn_of_fillers_only_keeps_its_place_but_has_no_paragraph() -> None:
    result = run(seg(0, 1, "Um, uh.", "A"), seg(1, 2, "Hello", "B"))
    assert [t.text for t in result.turns] == ["", "Hello."]
    assert result.turns[0].raw_text == "Um, uh."
    assert result.text == "B: Hello."


def test_removing_fillers_twice_changes_nothing_more() -> None:
    once = remove_fillers("So, um, I mean, like, it was, you know, fine", "en")
    assert remove_fillers(once, "en") == once == "So it was fine"


# --- tidy --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("  hello   world ,how are you", "en", "Hello world, how are you."),
        ("Hello,world", "en", "Hello, world."),
        ("well , , that is it ,.", "en", "Well, that is it."),
        ("first sentence. second one! third?", "en", "First sentence. Second one! Third?"),
        ("what is your name", "en", "What is your name?"),
        ("can you hear me", "en", "Can you hear me?"),
        ("tell me about yourself", "en", "Tell me about yourself."),
        ("i think i'm ready and i know it", "en", "I think I'm ready and I know it."),
        ("it is over:", "en", "It is over."),
        ("I think... maybe", "en", "I think... maybe."),
        ("Wait…", "en", "Wait..."),
        ("really?!?", "en", "Really?!"),
        ("It costs 1,5 or 3.5 dollars", "en", "It costs 1,5 or 3.5 dollars."),
        ("my mail is ivan.petrov@mail.ru", "en", "My mail is ivan.petrov@mail.ru."),
        ("( like this ) and «так »", "en", "(Like this) and «так»."),
        ("почему вы ушли", "ru", "Почему вы ушли?"),
        ("расскажите о себе", "ru", "Расскажите о себе."),
        ("могли бы вы рассказать подробнее", "ru", "Могли бы вы рассказать подробнее?"),
        ("можете привести пример", "ru", "Можете привести пример?"),
        ("где вы работали. и что делали", "ru", "Где вы работали. И что делали?"),
        ("и т.д. и т.п.", "ru", "И т.д. и т.п."),
        ("i", "ru", "I."),
        (", , .", "en", ""),
        ("", "en", ""),
    ],
)
def test_tidy(text: str, language: str, expected: str) -> None:
    assert tidy(text, language) == expected
    assert tidy(expected, language) == expected


def test_iphone_keeps_its_spelling_at_a_sentence_start() -> None:
    assert tidy("iPhone is great. eBay too", "en") == "iPhone is great. eBay too."


# --- turns -------------------------------------------------------------------------------


def test_consecutive_segments_of_one_speaker_form_one_turn() -> None:
    result = run(
        seg(0.0, 1.0, "Hello there.", "Alice", "a1"),
        seg(1.2, 2.0, "How are you?", "Alice", "a2"),
        seg(2.5, 3.0, "Fine, thanks.", "Bob", "b1"),
        seg(3.5, 5.0, "Good.", "Alice", "a3"),
    )
    assert [(t.speaker, t.segment_ids) for t in result.turns] == [
        ("Alice", ("a1", "a2")),
        ("Bob", ("b1",)),
        ("Alice", ("a3",)),
    ]
    first = result.turns[0]
    assert (first.start_sec, first.end_sec) == (0.0, 2.0)
    assert first.raw_text == "Hello there. How are you?"
    assert first.text == "Hello there. How are you?"


def test_segments_are_put_in_timeline_order() -> None:
    result = run(
        seg(5.0, 6.0, "Second.", "Bob", "b"),
        seg(0.0, 1.0, "First.", "Alice", "a"),
    )
    assert [t.speaker for t in result.turns] == ["Alice", "Bob"]


def test_a_labelled_speaker_keeps_the_turn_through_a_long_pause() -> None:
    result = run(seg(0, 1, "One.", "Alice"), seg(10, 11, "Two.", "Alice"))
    assert len(result.turns) == 1


def test_without_speakers_one_speaker_talks_and_pauses_start_turns() -> None:
    result = run(
        seg(0.0, 1.0, "One.", segment_id="s1"),
        seg(1.5, 2.0, "Two.", segment_id="s2"),  # 0.5 s pause: same turn
        seg(3.5, 4.0, "Three.", segment_id="s3"),  # 1.5 s pause: a new turn
        seg(4.2, 5.0, "Four.", segment_id="s4"),
    )
    assert [(t.speaker, t.segment_ids) for t in result.turns] == [
        ("Speaker 1", ("s1", "s2")),
        ("Speaker 1", ("s3", "s4")),
    ]
    assert result.text == "Speaker 1: One. Two.\n\nSpeaker 1: Three. Four."


def test_unlabelled_segments_join_the_speaker_before_or_the_first_after() -> None:
    result = run(
        seg(0, 1, "Intro.", None, "n1"),
        seg(1, 2, "Hi.", "Alice", "a1"),
        seg(2, 3, "More.", None, "n2"),
        seg(3, 4, "Hello.", "Bob", "b1"),
        seg(9, 10, "Later.", "  ", "n3"),
    )
    assert [(t.speaker, t.segment_ids) for t in result.turns] == [
        ("Alice", ("n1", "a1", "n2")),
        ("Bob", ("b1", "n3")),
    ]


def test_channel_speakers_name_the_channels() -> None:
    result = run(
        seg(0, 1, "Hi.", "channel:0"),
        seg(1, 2, "Hello.", "channel:1"),
        seg(2, 3, "Who?", "channel:2"),
        channel_speakers={0: "Interviewer", 1: "Candidate"},
    )
    assert [t.speaker for t in result.turns] == ["Interviewer", "Candidate", "channel:2"]


def test_blank_segments_are_left_out_and_no_segments_give_nothing() -> None:
    result = run(seg(0, 1, "   ", "A", "blank"), seg(1, 2, "Hi", "B", "hi"))
    assert [t.segment_ids for t in result.turns] == [("hi",)]
    empty = run()
    assert (empty.turns, empty.text, empty.pii_found) == ((), "", {})


# --- paragraphs and the readable text ----------------------------------------------------


def test_turns_are_paragraphs_separated_by_a_blank_line() -> None:
    result = run(seg(0, 1, "Hello", "Alice"), seg(1, 2, "hi", "Bob"))
    assert result.text == "Alice: Hello.\n\nBob: Hi."


@pytest.mark.parametrize(("sentences", "sizes"), [(5, [5]), (6, [3, 3]), (12, [4, 4, 4])])
def test_long_turns_are_split_into_paragraphs_of_at_most_five_sentences(
    sentences: int, sizes: list[int]
) -> None:
    said = " ".join(f"Sentence {n}." for n in range(1, sentences + 1))
    result = run(seg(0, 60, said, "Alice"))
    blocks = result.text.split("\n\n")
    assert [block.count(".") for block in blocks] == sizes
    assert blocks[0].startswith("Alice: Sentence 1.")
    assert not any(block.startswith("Alice") for block in blocks[1:])
    assert result.turns[0].text == said


def test_an_ellipsis_does_not_end_a_sentence_for_paragraphs() -> None:
    assert paragraphs("One... two... three... four... five... six... seven.") == [
        "One... two... three... four... five... six... seven."
    ]


def test_event_segments_are_json_ready() -> None:
    result = run(seg(0, 1, "Um, hello", "Alice", "a1"), seg(1, 2, "Hi", "Bob", "b1"))
    segments = result.event_segments()
    assert segments[0] == {
        "speaker": "Alice",
        "start_sec": 0,
        "end_sec": 1,
        "text": "Hello.",
        "raw_text": "Um, hello",
        "segment_ids": ["a1"],
    }
    assert json.loads(json.dumps(segments)) == segments


# --- PII ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "token", "kind", "secret"),
    [
        ("Пишите на ivan.petrov1987@mail.ru, спасибо.", "[EMAIL]", "email", "ivan"),
        ("Мой телефон +7 (912) 345-67-89.", "[PHONE]", "phone", "912"),
        ("Звоните 8 912 345 67 89.", "[PHONE]", "phone", "912"),
        ("Номер 89123456789.", "[PHONE]", "phone", "912"),
        ("Или 8-800-555-35-35.", "[PHONE]", "phone", "800"),
        ("London office +44 20 7946 0958.", "[PHONE]", "phone", "7946"),
        ("US office +1-202-555-0143.", "[PHONE]", "phone", "202"),
        ("Мобильный (912) 345-67-89.", "[PHONE]", "phone", "912"),
        ("Card 4111 1111 1111 1111 expires soon.", "[CARD]", "card", "4111"),
        ("Карта 5555-5555-5555-4444.", "[CARD]", "card", "5555"),
        ("Card 2200000000000004.", "[CARD]", "card", "2200"),
        ("Паспорт серия 45 08 номер 123456, выдан давно.", "[PASSPORT]", "passport", "123456"),
        ("Паспорт 4508 123456.", "[PASSPORT]", "passport", "123456"),
        ("Данные 45 08 123456.", "[PASSPORT]", "passport", "123456"),
        ("Passport 4508123456.", "[PASSPORT]", "passport", "123456"),
        ("ИНН 7707083893.", "[INN]", "inn", "7707"),
        ("Просто число 500100732259.", "[INN]", "inn", "5001"),
        ("ИНН 1234567890, проверьте.", "[INN]", "inn", "1234"),
        ("СНИЛС 112-233-445 95.", "[SNILS]", "snils", "112"),
        ("Номер 11223344595.", "[SNILS]", "snils", "112"),
    ],
)
def test_each_kind_of_pii_is_masked_without_leaving_a_digit(
    said: str, token: str, kind: str, secret: str
) -> None:
    result = run(seg(0, 1, said, "A"), language="ru", mask_pii=True)
    turn = result.turns[0]
    assert token in turn.text
    assert secret not in turn.text
    assert not re.search(r"\d", turn.text)
    assert turn.raw_text == said
    assert result.pii_found == {kind: 1}
    assert result.pii_masked


def test_checksums_agree_with_known_numbers() -> None:
    assert [luhn_valid(n) for n in ("4111111111111111", "4111111111111112")] == [True, False]
    assert [inn_valid(n) for n in ("7707083893", "500100732259")] == [True, True]
    assert [inn_valid(n) for n in ("7707083894", "500100732258")] == [False, False]
    assert [snils_valid(n) for n in ("11223344595", "12345678964")] == [True, True]
    assert [snils_valid(n) for n in ("11223344596", "00100100000")] == [False, False]


def test_an_amount_in_thousands_is_not_a_card() -> None:
    assert luhn_valid("1500000000008")
    assert mask_pii("Оборот 1 500 000 000 008 рублей").found == {}


def test_a_16_digit_number_failing_luhn_is_not_masked() -> None:
    said = "Order 1234 5678 9012 3456 shipped"
    assert not luhn_valid("1234567890123456")
    result = run(seg(0, 1, said), mask_pii=True)
    assert result.turns[0].text == said + "."
    assert result.pii_found == {}


def test_an_inn_with_a_wrong_check_digit_is_not_masked() -> None:
    masked = mask_pii("Число 7707083894 и 500100732258")
    assert masked.text == "Число 7707083894 и 500100732258"
    assert masked.found == {}


def test_a_card_that_starts_like_a_phone_is_masked_whole_as_a_card() -> None:
    body = "891234567890123"
    card = body + next(d for d in "0123456789" if luhn_valid(body + d))
    grouped = " ".join(card[i : i + 4] for i in range(0, 16, 4))
    masked = mask_pii(f"Карта {grouped}.")
    assert masked.text == "Карта [CARD]."
    assert masked.found == {"card": 1}


def test_a_phone_followed_by_more_digits_loses_all_of_its_own() -> None:
    masked = mask_pii("Звоните 8 912 345 67 89 2 раза")
    assert masked.text == "Звоните [PHONE] 2 раза"


def test_a_phone_said_across_two_segments_of_one_turn_is_masked() -> None:
    result = run(
        seg(0, 1, "Мой номер +7 912", "A"),
        seg(1, 2, "345 67 89, записали?", "A"),
        language="ru",
        mask_pii=True,
    )
    assert result.turns[0].text == "Мой номер [PHONE], записали?"


def test_a_phone_broken_by_a_filler_is_masked_as_one_number() -> None:
    said = "Мой телефон, ну, 8 912, эм, 345 67 89, записали?"
    result = run(seg(0, 1, said), language="ru", mask_pii=True)
    assert result.turns[0].text == "Мой телефон [PHONE], записали?"
    assert result.pii_found == {"phone": 1}


def test_counts_add_up_over_turns_and_raw_text_keeps_what_was_said() -> None:
    result = run(
        seg(0, 1, "Mail me at a.b@example.com or call +1-202-555-0143.", "A"),
        seg(1, 2, "Or 8 912 345 67 89, um, any time.", "B"),
        mask_pii=True,
    )
    assert result.pii_found == {"email": 1, "phone": 2}
    assert [t.text for t in result.turns] == [
        "Mail me at [EMAIL] or call [PHONE].",
        "Or [PHONE] any time.",
    ]
    assert "8 912 345 67 89" in result.turns[1].raw_text
    assert "[PHONE]" in result.text
    assert "912" not in result.text


def test_nothing_is_masked_unless_asked() -> None:
    said = "Call +1-202-555-0143 or mail a@b.io"
    result = run(seg(0, 1, said), mask_pii=False)
    assert result.turns[0].text == said + "."
    assert (result.pii_masked, result.pii_found) == (False, {})


def test_masking_twice_changes_nothing_more() -> None:
    once = mask_pii("Тел 8 912 345 67 89, ИНН 7707083893, a@b.ru, 4111 1111 1111 1111")
    assert mask_pii(once.text).text == once.text
    assert mask_pii(once.text).found == {}
