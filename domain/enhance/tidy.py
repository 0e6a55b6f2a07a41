"""Tidying a turn's text, and cutting a long turn into paragraphs.

Tidy collapses whitespace, attaches punctuation to the word before it (``word , next`` →
``word, next``), reduces a run of marks to one (``, ,`` → ``,``; ``,.`` → ``.``; ``?.`` →
``?``; ``....`` → ``...``), drops punctuation that opens the text, capitalises sentence
starts, writes the words its language always capitalises (English ``I``) with a capital,
and ends the text with ``.`` — or ``?`` when its last sentence opens like a question of
the meeting's language (``languages/``): a genuine interrogative (en what, why, how, can,
do, is...; ru что, почему, как, когда, где, кто, какой, сколько, зачем, можете, могли
бы...), possibly after a conjunction ("And why", "А что потом") and, in Russian, one
preposition ("На каком языке"); or, in Russian, "ли" as its second or third word
("Работали ли вы", but not "Вряд ли"). Requests such as "Расскажите о себе" or "Tell me
about..." are statements here. In a language it does not know, it always ends with ``.``.

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
    render,
    sentences,
    tokenize,
)
from interview_analytics.domain.languages import Language, find, normalise

MAX_SENTENCES_PER_PARAGRAPH = 5
_QUOTES = "\"'«»“”„(["


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
    known = find(language)
    capitals = known.always_capitalised if known else frozenset()
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
            if normalise(word) in capitals:
                word = word[0].upper() + word[1:]
            if sentence_start:
                word = capitalised(word)
            tokens[index] = Token(Kind.WORD, word)
            sentence_start = False
        elif token.kind is Kind.STOP:
            sentence_start = True
    return render(_terminated(tokens, known))


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


def _terminated(tokens: list[Token], language: Language | None) -> list[Token]:
    last = tokens[-1]
    if last.kind is Kind.STOP or last.text == "...":
        return tokens
    body = tokens[:-1] if last.kind is Kind.PAUSE else tokens
    if _ends_sentence(body[-1]):
        return body
    mark = "?" if language and is_question(sentences(body)[-1], language) else "."
    return [*body, Token(Kind.STOP, mark)]


def _ends_sentence(token: Token) -> bool:
    return token.kind is Kind.WORD and token.text.rstrip(CLOSERS + "\"'’").endswith(
        (".", "!", "?", "…")
    )


def is_question(sentence: Sequence[Token], language: Language) -> bool:
    """Whether the sentence opens like a question of ``language`` (see ``Questions.asks``)."""
    clauses: list[list[str]] = [[]]
    for token in sentence:
        if token.kind is Kind.WORD:
            word = normalise(token.text).strip(_QUOTES)
            if word:
                clauses[-1].append(word)
        elif clauses[-1]:
            clauses.append([])
    return language.questions.asks([clause for clause in clauses if clause])


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
