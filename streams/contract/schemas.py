"""The Avro schemas of the meeting events, as shipped in ``schemas/avro``.

One self-contained ``.avsc`` per event type, its path mirroring the Avro full name
(``ia.meeting.Reported`` → ``ia/meeting/Reported.avsc``), so that a consumer can parse each
file on its own. Every earlier published version stays in ``history/<Name>.<n>.avsc``:
messages written with it remain on Kafka and inside dead letters, and consumers find a
message's writer schema by fingerprint among all of them.

Must not: encode or decode messages (``codec.py``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from fastavro.schema import fingerprint, parse_schema, to_parsing_canonical_form

HISTORY_DIR = "history"


class ContractError(ValueError):
    """A message or schema that does not follow the contract (unknown schema, bad framing)."""


@dataclass(frozen=True)
class Schema:
    full_name: str
    parsed: dict[str, Any]
    fingerprint: bytes
    """CRC-64-AVRO of the parsing canonical form, as the single-object header carries it."""
    path: Path


def default_schema_dir() -> Path:
    """``schemas/avro`` as installed with the package.

    Read from the namespace package's ``__path__`` rather than ``importlib.resources``:
    editable installs add a placeholder entry that ``resources.files`` trips over on 3.11.
    """
    import interview_analytics.schemas as package

    for entry in package.__path__:
        candidate = Path(entry) / "avro"
        if candidate.is_dir():
            return candidate
    raise ContractError("the Avro schemas are not installed with the package")


def load_schema(path: Path) -> Schema:
    parsed = cast(dict[str, Any], parse_schema(json.loads(path.read_text()), _write_hint=True))
    canonical = to_parsing_canonical_form(parsed)
    return Schema(
        str(parsed["name"]), parsed, bytes.fromhex(fingerprint(canonical, "CRC-64-AVRO")), path
    )


def load_schemas(schema_dir: Path | None = None) -> dict[str, Schema]:
    """The current schemas: every ``.avsc`` under ``schema_dir`` outside ``history/``, by Avro
    full name."""
    root = schema_dir or default_schema_dir()
    schemas: dict[str, Schema] = {}
    for path in sorted(root.rglob("*.avsc")):
        if HISTORY_DIR in path.relative_to(root).parts:
            continue
        schema = load_schema(path)
        if schema.full_name in schemas:
            raise ContractError(f"two current schemas for {schema.full_name}")
        schemas[schema.full_name] = schema
    return schemas


def load_schema_history(schema_dir: Path | None = None) -> list[Schema]:
    """Every earlier published version (``history/<Name>.<n>.avsc``), oldest first per name.

    Messages written with them stay on Kafka and in dead letters, so consumers must still
    find them by fingerprint.
    """
    root = schema_dir or default_schema_dir()
    paths = [p for p in root.rglob("*.avsc") if HISTORY_DIR in p.relative_to(root).parts]
    return [load_schema(path) for path in sorted(paths, key=_history_order)]


def _history_order(path: Path) -> tuple[str, int]:
    name, _, number = path.stem.rpartition(".")
    return (str(path.parent / name), int(number) if number.isdigit() else 0)
