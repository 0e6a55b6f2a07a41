"""Tidying a turn's text, and cutting a long turn into paragraphs.

Tidy collapses whitespace, attaches punctuation to the word before it (``word , next`` →
``word, next``), reduces a run of marks to one (``, ,`` → ``,``; ``,.`` → ``.``; ``?.`` →
``?``; ``....`` → ``...``), drops punctuation that opens the text, capitalises sentence
starts, writes the English pronoun ``I`` in capitals, and ends the text with ``.`` — or
``?`` when its last sentence opens with a genuine interrogative (en what, why, how, can,
do, is...; ru что, почему, как, когда, где, кто, какой, зачем, можете, могли бы...),
possibly after a conjunction ("And why", "А что потом").
Requests such as "Расскажите о себе" or "Tell me about..." are statements here.

An ellipsis is a pause, not a sentence end: nothing is capitalised after it, and no
paragraph is cut there. Neither is a dot after an abbreviation (``т.е.``, ``e.g.``).

Must not: add, drop or reorder words.
"""

from __future__ import annotations

from collections.abc import Sequence

from interview_analytics.domain.enhance.tokens import (
    CLOSERS,
    Kind,
    Token,
    capitalised,
    primary_language,
    render,
    sentences,
    tokenize,
    word_set,
)

MAX_SENTENCES_PER_PARAGRAPH = 5

QUESTION_WORDS = {
    "en": word_set(
        "what why how when where who whom whose which "
        "can could would should do does did is are was were will"
    ),
    "ru": word_set(
        "что почему как когда где кто какой какая какое какие каких каким куда откуда "
        "сколько зачем отчего чей чья чьё чьи разве неужели можете можешь"
    ),
}
QUESTION_PHRASES = {"ru": frozenset({("могли", "бы"), ("могу", "ли"), ("можно", "ли")})}
# Skipped before looking for the interrogative: "And why?", "А что потом?".
_CONJUNCTIONS = word_set("and but so и а но")
_ENGLISH_I = frozenset({"i", "i'm", "i've", "i'll", "i'd", "i’m", "i’ve", "i’ll", "i’d"})


def canonical_mark(mark: str) -> str:
    """One mark for a run of them: ``,.`` → ``.``, ``?!?`` → ``?!``, ``…`` → ``...``."""
    question, exclamation = "?" in mark, "!" in mark
    if question or exclamation:
        return ("?" if question else "") + ("!" if exclamation else "")
    if "…" in mark or mark.count(".") >= 2:
        return "..."
    if "." in mark:
        return "."
    return next((ch for ch in mark if ch in ";:"), ",")


def tidy(text: str, language: str) -> str:
    language = primary_language(language)
    tokens = _settle_abbreviation_dots(
        [
            t if t.kind is Kind.WORD else Token(t.kind, canonical_mark(t.text))
            for t in tokenize(text)
        ]
    )
    while tokens and tokens[0].kind is not Kind.WORD:
        tokens.pop(0)
    if not tokens:
        return ""
    sentence_start = True
    for index, token in enumerate(tokens):
        if token.kind is Kind.WORD:
            word = token.text
            if language == "en" and word.lower() in _ENGLISH_I:
                word = "I" + word[1:]
            if sentence_start:
                word = capitalised(word)
            tokens[index] = Token(Kind.WORD, word)
            sentence_start = False
        elif token.kind is Kind.STOP:
            sentence_start = True
    return render(_terminated(tokens, language))


def _settle_abbreviation_dots(tokens: list[Token]) -> list[Token]:
    """``e.g.`` then ``.``: one dot; ``e.g.`` then ``...``: the ellipsis takes the dot."""
    result: list[Token] = []
    for token in tokens:
        previous = result[-1] if result else None
        if previous and previous.kind is Kind.WORD and previous.text.endswith("."):
            if token.text == ".":
                continue
            if token.text == "...":
                result[-1] = Token(Kind.WORD, previous.text[:-1])
        result.append(token)
    return result


def _terminated(tokens: list[Token], language: str) -> list[Token]:
    last = tokens[-1]
    if last.kind is Kind.STOP or last.text == "...":
        return tokens
    body = tokens[:-1] if last.kind is Kind.PAUSE else tokens
    if _ends_sentence(body[-1]):
        return body
    mark = "?" if is_question(sentences(body)[-1], language) else "."
    return [*body, Token(Kind.STOP, mark)]


def _ends_sentence(token: Token) -> bool:
    return token.kind is Kind.WORD and token.text.rstrip(CLOSERS + "\"'’").endswith(
        (".", "!", "?", "…")
    )


def is_question(sentence: Sequence[Token], language: str) -> bool:
    """Whether the sentence opens with a genuine interrogative of ``language``."""
    words = [t.text.lower().strip("\"'«»“”„([") for t in sentence if t.kind is Kind.WORD][:3]
    if words and words[0] in _CONJUNCTIONS:
        words = words[1:]
    words = words[:2]
    if not words:
        return False
    language = primary_language(language)
    return words[0] in QUESTION_WORDS.get(language, ()) or tuple(words) in QUESTION_PHRASES.get(
        language, ()
    )


def paragraphs(text: str, max_sentences: int = MAX_SENTENCES_PER_PARAGRAPH) -> list[str]:
    """Tidied text as paragraphs of at most ``max_sentences`` sentences, sizes balanced."""
    split = sentences(tokenize(text))
    if not split:
        return []
    count = -(-len(split) // max_sentences)
    base, extra = divmod(len(split), count)
    result: list[str] = []
    start = 0
    for index in range(count):
        size = base + (1 if index < extra else 0)
        result.append(render([t for sentence in split[start : start + size] for t in sentence]))
        start += size
    return result
