"""The languages the text pipeline knows, one module each, behind one shape (``Language``).

| module | what |
| --- | --- |
| ``language`` | ``Language`` and its parts: fillers, questions, personal-data words, wording |
| ``en``, ``ru`` | English and Russian, each one ``LANGUAGE`` |

A meeting's language tag is read by its primary part ("ru-RU" → "ru"). ``find`` gives the
language or None; each stage says what it does without one: the enhancer removes no fillers
and adds no question marks in a language it does not know, the report is written in English
(``FALLBACK``), and personal data is masked in the formats of every language here
(``ALL``), since people dictate numbers across languages. Adding a language is adding its
module and naming it in ``ALL``.

Must not: do I/O, or import anything outside this package but the standard library.
"""

from __future__ import annotations

from interview_analytics.domain.languages import en, ru
from interview_analytics.domain.languages.language import Language, normalise

ALL: tuple[Language, ...] = (en.LANGUAGE, ru.LANGUAGE)
FALLBACK = en.LANGUAGE
_BY_CODE = {language.code: language for language in ALL}


def primary_language(tag: str) -> str:
    """``"ru-RU"`` → ``"ru"``, ``"EN"`` → ``"en"``."""
    return tag.strip().lower().replace("_", "-").split("-")[0]


def find(tag: str) -> Language | None:
    """The language of ``tag``, or None when the pipeline does not know it."""
    return _BY_CODE.get(primary_language(tag))


def or_fallback(tag: str) -> Language:
    """The language of ``tag``, or English."""
    return find(tag) or FALLBACK


def codes() -> tuple[str, ...]:
    return tuple(language.code for language in ALL)


__all__ = [
    "ALL",
    "FALLBACK",
    "Language",
    "codes",
    "find",
    "normalise",
    "or_fallback",
    "primary_language",
]
