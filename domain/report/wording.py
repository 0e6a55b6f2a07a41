"""How the report words what it found, in the meeting's language, and shows numbers.

The sentences are each language's ``texts`` (``languages/en.py``, ``languages/ru.py``):
``str.format`` templates keyed by purpose; the logic elsewhere picks a key and passes
figures, so every language says the same thing. A meeting in a language without its own
module gets English wording. Russian text avoids gendered verb forms (the speaker's gender
is unknown) and writes decimals with a comma.

Must not: compute figures; it only words what it is given.
"""

from __future__ import annotations

from typing import Any

from interview_analytics.domain.languages import or_fallback


def wording_language(language: str) -> str:
    """The language the report is written in: "ru" for "ru", "ru-RU" or "ru_RU", and so
    for every language with a module; "en" for the rest."""
    return or_fallback(language).code


def say(language: str, key: str, **values: Any) -> str:
    return or_fallback(language).texts[key].format(**values)


def number(value: float, language: str, digits: int = 1) -> str:
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if or_fallback(language).decimal_comma else text


def percent(share: float) -> str:
    return f"{round(share * 100)}%"


def duration(sec: float, language: str) -> str:
    """Under a minute in whole seconds, else minutes with one decimal."""
    if sec < 60:
        return say(language, "seconds", value=round(sec))
    return say(language, "minutes", value=number(sec / 60, language))


def listing(items: list[str]) -> str:
    return ", ".join(items)
