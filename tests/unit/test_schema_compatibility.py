"""Schema evolution: every committed version of a schema and the current one must read
each other's data (full transitive compatibility).

Data written with an old version must stay readable by new consumers (Kafka keeps old
messages; replays read old events), and data written now must stay readable by consumers
that have not upgraded yet. The check generates records from the writer schema and reads
them with the other one; a test of the check itself proves it fails on a breaking change.

Consumers find the writer schema by fingerprint, so every version ever published must also
stay in the repo (``history/<Name>.<n>.avsc``, shipped with the package and read by
``EventCodec``): whoever changes an ``.avsc`` copies its previous version there, and a test
here fails when that copy is missing.
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

from interview_analytics.streams.contract import (
    Schema,
    default_schema_dir,
    load_schema_history,
    load_schemas,
)

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


SCHEMA_FILES = sorted(s.path for s in load_schemas(SCHEMA_DIR).values())
HISTORY = load_schema_history(SCHEMA_DIR)


def fingerprint_of(schema: dict[str, Any]) -> str:
    canonical = fastavro.schema.to_parsing_canonical_form(fastavro.parse_schema(schema))
    return str(fastavro.schema.fingerprint(canonical, "CRC-64-AVRO"))


def missing_history(
    versions: list[tuple[str, dict[str, Any]]],
    current: dict[str, Any],
    history: list[dict[str, Any]],
) -> list[str]:
    """The commits whose version of a schema is neither the current one nor kept in history."""
    kept = {fingerprint_of(schema) for schema in [current, *history]}
    return [commit for commit, schema in versions if fingerprint_of(schema) not in kept]


def history_of(path: Path) -> list[Schema]:
    name = json.loads(path.read_text())["name"]
    return [old for old in HISTORY if old.full_name.rpartition(".")[2] == name]


@pytest.mark.skipif(not _in_git_checkout(), reason="needs the git history of schemas/avro")
@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.stem)
def test_current_schema_is_compatible_with_every_committed_version(path: Path) -> None:
    current = json.loads(path.read_text())
    for commit, old in committed_versions(path):
        try:
            check_compatible(old, current)
        except IncompatibleSchemaError as error:
            pytest.fail(f"{path.name} is incompatible with the version in {commit}: {error}")


@pytest.mark.parametrize("old", HISTORY, ids=lambda s: s.path.stem)
def test_every_historical_version_is_compatible_with_the_current_one(old: Schema) -> None:
    """Works without git (an installed package): old messages resolve to the current schema."""
    assert old.path.parent.name == "history"
    name, _, number = old.path.stem.rpartition(".")
    assert number.isdigit(), f"{old.path.name}: expected <Name>.<n>.avsc"
    assert old.full_name.rpartition(".")[2] == name, f"{old.path.name} holds {old.full_name}"
    [current] = [p for p in SCHEMA_FILES if p.stem == name]
    check_compatible(json.loads(old.path.read_text()), json.loads(current.read_text()))


@pytest.mark.skipif(not _in_git_checkout(), reason="needs the git history of schemas/avro")
@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.stem)
def test_every_committed_version_is_kept_in_history(path: Path) -> None:
    """Changing an .avsc without copying its previous version to history/ fails here."""
    versions = committed_versions(path)
    history = [json.loads(old.path.read_text()) for old in history_of(path)]
    missing = missing_history(versions, json.loads(path.read_text()), history)
    assert not missing, (
        f"{path.name} as committed in {missing} is not in history/: copy it to "
        f"history/{path.stem}.<n>.avsc (consumers must decode messages written with it)"
    )
    committed = {fingerprint_of(schema) for _, schema in versions}
    for old, schema in zip(history_of(path), history, strict=True):
        assert fingerprint_of(schema) in committed, (
            f"{old.path.name} is no version of {path.name} in the git history"
        )


def test_the_history_guard_reports_a_missing_version() -> None:
    old = {**BASE}
    new = {**BASE, "fields": [*BASE["fields"], {"name": "b", "type": "long", "default": 0}]}
    versions = [("new", new), ("old", old)]
    assert missing_history(versions, new, history=[]) == ["old"]
    assert missing_history(versions, new, history=[old]) == []
    # a doc-only change keeps the fingerprint: nothing to keep
    assert missing_history([("doc", {**new, "doc": "x"})], new, history=[]) == []


@pytest.mark.skipif(not _in_git_checkout(), reason="needs the git history of schemas/avro")
def test_the_history_guard_fails_without_the_previous_started() -> None:
    path = next(p for p in SCHEMA_FILES if p.stem == "Started")
    current = json.loads(path.read_text())
    assert missing_history(committed_versions(path), current, history=[])


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


def _fields(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {field["name"]: field for field in schema["fields"]}


REPORTED_PATH = next(p for p in SCHEMA_FILES if p.stem == "Reported")


def _first_version(path: Path) -> Schema:
    """The oldest version kept in history/ (``<Name>.1.avsc``)."""
    return min(history_of(path), key=lambda old: int(old.path.stem.rpartition(".")[2]))


def test_the_typed_report_is_added_beside_report_json_not_instead() -> None:
    """docs/adr/0005: ``report`` (a record, default null) joins ``report_json``, which stays
    while consumers move; readers of the first schema keep reading every new message."""
    current = json.loads(REPORTED_PATH.read_text())
    first = json.loads(_first_version(REPORTED_PATH).path.read_text())
    report = _fields(current)["report"]
    assert report["type"][0] == "null"
    assert report["default"] is None
    assert report["type"][1]["name"] == "Report"
    assert _fields(current)["report_json"] == {
        **_fields(first)["report_json"],
        "doc": _fields(current)["report_json"]["doc"],
    }
    check_compatible(first, current)


def test_the_check_refuses_dropping_report_json() -> None:
    """Removing the JSON field would break readers of the first schema: that step is a new
    major version (``meeting-events.v2``), and this check is what stops it here."""
    current = json.loads(REPORTED_PATH.read_text())
    first = json.loads(_first_version(REPORTED_PATH).path.read_text())
    without = {**current, "fields": [f for f in current["fields"] if f["name"] != "report_json"]}
    with pytest.raises(IncompatibleSchemaError):
        check_readable(without, first)
