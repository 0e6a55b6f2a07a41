"""Schema evolution: every committed version of a schema and the current one must read
each other's data (full transitive compatibility).

Data written with an old version must stay readable by new consumers (Kafka keeps old
messages; replays read old events), and data written now must stay readable by consumers
that have not upgraded yet. The check generates records from the writer schema and reads
them with the other one; a test of the check itself proves it fails on a breaking change.
"""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path
from typing import Any

import fastavro
import pytest
from fastavro.utils import generate_many

from interview_analytics.streams.contract import default_schema_dir

REPO = Path(__file__).resolve().parents[2]
SCHEMA_DIR = default_schema_dir()


class IncompatibleSchemaError(AssertionError):
    pass


def check_readable(writer: dict[str, Any], reader: dict[str, Any], samples: int = 25) -> None:
    """Raise IncompatibleSchemaError when data written with ``writer`` cannot be read."""
    writer_parsed = fastavro.parse_schema(writer)
    reader_parsed = fastavro.parse_schema(reader)
    for record in generate_many(writer_parsed, samples):
        buffer = io.BytesIO()
        fastavro.schemaless_writer(buffer, writer_parsed, record)
        buffer.seek(0)
        try:
            fastavro.schemaless_reader(buffer, writer_parsed, reader_parsed)
        except Exception as error:  # fastavro raises several types for resolution errors
            raise IncompatibleSchemaError(f"{type(error).__name__}: {error}") from error


def check_compatible(a: dict[str, Any], b: dict[str, Any]) -> None:
    """Full compatibility: each schema reads the other's data."""
    check_readable(a, b)
    check_readable(b, a)


def committed_versions(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """(commit, schema) for every commit that changed ``path``."""
    relative = path.relative_to(REPO)
    try:
        commits = subprocess.run(
            ["git", "log", "--format=%H", "--", str(relative)],
            cwd=REPO, capture_output=True, text=True, check=True,
        ).stdout.split()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return []
    versions = []
    for commit in commits:
        shown = subprocess.run(
            ["git", "show", f"{commit}:{relative}"], cwd=REPO, capture_output=True, text=True
        )
        if shown.returncode == 0:
            versions.append((commit[:10], json.loads(shown.stdout)))
    return versions


def _in_git_checkout() -> bool:
    return (REPO / ".git").exists()


SCHEMA_FILES = sorted(SCHEMA_DIR.rglob("*.avsc"))


@pytest.mark.skipif(not _in_git_checkout(), reason="needs the git history of schemas/avro")
@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.stem)
def test_current_schema_is_compatible_with_every_committed_version(path: Path) -> None:
    current = json.loads(path.read_text())
    for commit, old in committed_versions(path):
        try:
            check_compatible(old, current)
        except IncompatibleSchemaError as error:
            pytest.fail(f"{path.name} is incompatible with the version in {commit}: {error}")


BASE = {
    "type": "record",
    "name": "Thing",
    "fields": [{"name": "a", "type": "string"}],
}


@pytest.mark.parametrize(
    "changed_fields",
    [
        # a new field without a default: old data cannot fill it
        [{"name": "a", "type": "string"}, {"name": "b", "type": "long"}],
        # a removed field without a default: old readers cannot fill it
        [],
        # a type changed incompatibly
        [{"name": "a", "type": "long"}],
    ],
)
def test_the_check_catches_breaking_changes(changed_fields: list[dict[str, Any]]) -> None:
    changed = {**BASE, "fields": changed_fields}
    with pytest.raises(IncompatibleSchemaError):
        check_compatible(BASE, changed)


def test_the_check_allows_a_field_added_with_a_default() -> None:
    changed = {
        **BASE,
        "fields": [*BASE["fields"], {"name": "b", "type": ["null", "long"], "default": None}],
    }
    check_compatible(BASE, changed)
