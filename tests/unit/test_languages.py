"""The languages of the text pipeline: one module each, one shape, found by language tag.

Adding a language is adding its module to ``domain/languages/``: the stages hold no words of
their own, so a test walks ``domain/enhance/`` and ``domain/report/`` for Russian or English
words and for tables keyed by language code.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from interview_analytics.domain import languages
from interview_analytics.domain.languages import ALL, FALLBACK, en, find, or_fallback, ru
from interview_analytics.domain.languages.language import FillerMode

REPO = Path(__file__).resolve().parents[2]
STAGES = sorted(
    [*(REPO / "domain" / "enhance").glob("*.py"), *(REPO / "domain" / "report").glob("*.py")]
)
CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)


@pytest.mark.parametrize(
    ("tag", "code"),
    [("ru", "ru"), ("ru-RU", "ru"), ("RU_ru", "ru"), (" en ", "en"), ("en-GB", "en"), ("de", None)],
)
def test_a_language_is_found_by_its_primary_tag(tag: str, code: str | None) -> None:
    found = find(tag)
    assert (found.code if found else None) == code
    assert or_fallback(tag).code == (code or "en")


def test_every_language_module_is_registered_once_under_its_own_code() -> None:
    modules = sorted(p.stem for p in (REPO / "domain" / "languages").glob("*.py"))
    assert [m for m in modules if m not in {"__init__", "language"}] == sorted(languages.codes())
    assert [language.code for language in ALL] == ["en", "ru"]
    assert FALLBACK is en.LANGUAGE
    assert find("ru") is ru.LANGUAGE


@pytest.mark.parametrize("language", ALL, ids=lambda language: language.code)
def test_every_language_fills_in_every_part(language: languages.Language) -> None:
    assert language.fillers.phrases
    assert language.fillers.hesitation
    assert set(language.fillers.phrases.values()) <= set(FillerMode)
    assert language.filler_count.anywhere or language.filler_count.before_pause
    assert language.questions.openers
    assert language.pii.keywords
    assert language.pii.birth
    assert language.stopwords
    assert language.candidate_labels
    assert language.interviewer_labels
    assert set(language.texts) == set(FALLBACK.texts)
    for phrase in language.fillers.phrases:  # written as they are compared
        assert phrase == languages.normalise(phrase)


def _literals(path: Path) -> list[str]:
    """The string constants of a module, docstrings (any string standing alone) left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


@pytest.mark.parametrize("path", STAGES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_stages_hold_no_words_of_a_language(path: Path) -> None:
    for literal in _literals(path):
        assert not CYRILLIC.search(literal), (path.name, literal)
        assert literal not in {"en", "ru"}, (path.name, literal)
