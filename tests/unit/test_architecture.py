"""The layers stay layers: domain/ is pure, edges do not import each other or ops/."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = "interview_analytics"
EDGES = ("projections", "streams", "http", "connectors")
# The one package the edges share: topics, event types, consumer groups, schemas, codec.
CONTRACT = f"{PACKAGE}.streams.contract"


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def python_files(layer: str) -> list[Path]:
    return sorted((REPO / layer).rglob("*.py"))


@pytest.mark.parametrize("path", python_files("domain"), ids=lambda p: p.name)
def test_domain_imports_only_the_standard_library_and_eventsourcing(path: Path) -> None:
    allowed_eventsourcing = {"eventsourcing.domain"}
    if path.name == "application.py":
        allowed_eventsourcing |= {"eventsourcing.application", "eventsourcing.persistence"}
    for name in imports_of(path):
        top = name.split(".")[0]
        if top in sys.stdlib_module_names or name == "__future__":
            continue
        if name.startswith(f"{PACKAGE}.domain"):
            continue
        assert name in allowed_eventsourcing, f"{path.name} imports {name}"
    source = path.read_text()
    assert "os.environ" not in source, f"{path.name} reads the environment"


@pytest.mark.parametrize("layer", EDGES)
def test_edges_do_not_import_ops_or_each_other(layer: str) -> None:
    for path in python_files(layer):
        for name in imports_of(path):
            if not name.startswith(f"{PACKAGE}."):
                continue
            target = name.split(".")[1]
            shared_contract = name == CONTRACT or name.startswith(f"{CONTRACT}.")
            assert target in {"domain", "schemas", layer} or shared_contract, (
                f"{layer}/{path.name} imports {name}"
            )


@pytest.mark.parametrize("path", python_files("streams/contract"), ids=lambda p: p.name)
def test_the_contract_needs_no_adapter(path: Path) -> None:
    """What other edges share holds no client: no broker, store or other streams module."""
    allowed = {"fastavro", "aiokafka.partitioner", f"{PACKAGE}.domain", f"{PACKAGE}.schemas"}
    for name in imports_of(path):
        if name.split(".")[0] in sys.stdlib_module_names or name == "__future__":
            continue
        assert name.startswith(CONTRACT) or any(
            name == prefix or name.startswith(f"{prefix}.") for prefix in allowed
        ), f"streams/contract/{path.name} imports {name}"


KAFKA_CLIENTS = {"aiokafka", "kafka", "confluent_kafka", "faust", "mode"}


@pytest.mark.parametrize("path", python_files("http"), ids=lambda p: p.name)
def test_the_front_door_imports_no_kafka_client(path: Path) -> None:
    """Kafka adapters live in streams/ (the live feed, the audit sink); http/ has ports."""
    for name in imports_of(path):
        assert name.split(".")[0] not in KAFKA_CLIENTS, f"http/{path.name} imports {name}"


def test_only_ops_reads_the_environment() -> None:
    for layer in ("domain", *EDGES):
        for path in python_files(layer):
            assert "os.environ" not in path.read_text(), f"{layer}/{path.name}"


def test_layer_folders_do_not_shadow_the_standard_library() -> None:
    for layer in ("domain", *EDGES, "ops"):
        assert not (REPO / layer / "__init__.py").exists()
    result = subprocess.run(
        [sys.executable, "-c", "import http.client, http.server; print(http.client.__file__)"],
        cwd=REPO, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert str(REPO) not in result.stdout
