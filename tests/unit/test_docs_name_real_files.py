"""The READMEs and docs/ name only files that exist, and each layer says what it must not do.

Checked: the top-level README, each layer's README (and bench/README.md), docs/*.md and the
ADRs. In them, every inline code span (outside fenced blocks) is split into words, and a
word that looks like a file of this repository must resolve, relative to the page's folder
or to the repository root:

- a name with a file extension (``meeting.py``, ``0001_initial.sql``, ``alerts.yml``);
- a path whose first part is a folder or file there (``projections/migrations/``);
- a module path (``python -m tests.x``, ``ops.wiring.build_relay``): its module must exist.

Placeholders are globs: ``<what>``, ``{name}``, ``*`` and ``…`` stand for any text and
``NNNN`` for four digits, and at least one file must match. Markdown links to local files
must resolve relative to the page. Not checked: absolute paths and URLs (``/v1/…``,
``/opt/models``), and what the running system writes (``data/``, ``.env``, ``.venv/``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LAYERS = ("domain", "projections", "streams", "http", "connectors", "ops")
PAGES = sorted(
    {
        REPO / "README.md",
        REPO / "bench" / "README.md",
        *(REPO / layer / "README.md" for layer in LAYERS),
        *(REPO / "docs").glob("*.md"),
        *(REPO / "docs" / "adr").glob("*.md"),
    }
)
# Made by running or installing the system, not committed (DATA_DIR is the setting).
WRITTEN_AT_RUN_TIME = ("data/", "./data", "DATA_DIR/", ".env", ".venv/", "build/")
# Named to say that there is none.
NAMED_AS_ABSENT = {"__init__.py"}
FILE_NAME = re.compile(r"\.(py|sql|avsc|md|json|ya?ml|toml|txt|cfg|ini|sh)$")
FENCED = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)
INLINE = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"\]\(([^)\s]+)\)")
MODULE = re.compile(r"^(interview_analytics\.)?([a-z_]+)\.([a-z_][a-z0-9_]*)(\.[\w.]+)?$")
MODULE_ROOTS = (*LAYERS, "schemas", "tests", "bench", "tools")
PLACEHOLDER = re.compile(r"<[^>]*>|\{[^}]*\}|…|\.\.\.|\*")


def page_id(page: Path) -> str:
    return str(page.relative_to(REPO))


def words_in_code(text: str) -> list[str]:
    """The words of the page's inline code spans, outside fenced blocks."""
    prose = FENCED.sub("", text)
    words: list[str] = []
    for span in INLINE.findall(prose):
        tokens = re.split(r"[\s|,()\[\]=]+", span)
        for before, token in zip(["", *tokens], tokens, strict=False):
            token = token.strip("\"'").rstrip(".:;")
            if token:
                words.append(f"-m {token}" if before == "-m" else token)
    return words


def looks_like_a_file(word: str, folder: Path) -> bool:
    if word.startswith("-m "):
        return True
    if "://" in word or word.startswith(("/", "~", "$", "-")):
        return False
    if word.startswith(WRITTEN_AT_RUN_TIME) or word in NAMED_AS_ABSENT:
        return False
    if re.fullmatch(r"\.\w+", word):  # an extension: "the `.avsc` files"
        return False
    if FILE_NAME.search(word):
        return True
    if "/" in word:
        first = word.removeprefix("./").split("/")[0]
        return bool(first) and ((folder / first).exists() or (REPO / first).exists())
    module = MODULE.match(word)
    return module is not None and module.group(2) in MODULE_ROOTS


def resolves(word: str, folder: Path) -> bool:
    if word.startswith("-m "):
        module = word.removeprefix("-m ").removeprefix("interview_analytics.")
        path = REPO / module.replace(".", "/")
        return path.with_suffix(".py").is_file() or (path / "__main__.py").is_file()
    if "/" not in word and MODULE.match(word) and not FILE_NAME.search(word):
        return _module_exists(word)
    if PLACEHOLDER.search(word) or "NNNN" in word:
        pattern = PLACEHOLDER.sub("*", word).replace("NNNN", "[0-9][0-9][0-9][0-9]")
        pattern = pattern.rstrip("/")
        return any(any(base.glob(pattern)) for base in (folder, REPO))
    return (folder / word).exists() or (REPO / word).exists()


def _module_exists(word: str) -> bool:
    """``ops.wiring.build_relay``: its module (``ops/wiring.py``) or package must exist."""
    parts = word.removeprefix("interview_analytics.").split(".")
    path = REPO / parts[0] / parts[1]
    return path.with_suffix(".py").is_file() or path.is_dir()


def missing_names(page: Path) -> list[str]:
    text = page.read_text(encoding="utf-8")
    folder = page.parent
    missing = [
        word
        for word in words_in_code(text)
        if looks_like_a_file(word, folder) and not resolves(word, folder)
    ]
    for target in LINK.findall(FENCED.sub("", text)):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        if not (folder / target.split("#")[0]).exists():
            missing.append(f"link {target}")
    return sorted(set(missing))


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_the_page_names_only_files_that_exist(page: Path) -> None:
    missing = missing_names(page)
    assert not missing, f"{page_id(page)} names what is not there: {', '.join(missing)}"


@pytest.mark.parametrize("layer", LAYERS)
def test_each_layer_readme_says_what_the_layer_must_not_do(layer: str) -> None:
    text = (REPO / layer / "README.md").read_text(encoding="utf-8")
    says = re.search(r"\bmust not\b", text, re.IGNORECASE) is not None
    assert says, f"{layer}/README.md does not say what the layer must not do"


@pytest.mark.parametrize(
    ("word", "folder", "found"),
    [
        ("projections/migrations/NNNN_<what>.sql", REPO, True),
        ("schemas/avro/ia/meeting/<Event>.avsc", REPO, True),
        ("meeting.py", REPO / "domain", True),
        ("domain/no_such_module.py", REPO, False),
        ("-m tests.conformance.read_store.no_such_bench", REPO, False),
        ("ops.wiring.build_relay", REPO, True),
        ("ops.no_such_module.run", REPO, False),
    ],
)
def test_names_resolve_as_described(word: str, folder: Path, found: bool) -> None:
    assert looks_like_a_file(word, folder)
    assert resolves(word, folder) is found


@pytest.mark.parametrize(
    "word",
    ["/v1/meetings/{meeting_id}", "RS256/384/512", "http://127.0.0.1:8010", "data/runtime.json"],
)
def test_words_that_are_not_repository_files_are_left_alone(word: str) -> None:
    assert not looks_like_a_file(word, REPO)
