"""The committed OpenAPI document is the one the route table generates.

When this fails after a deliberate change to routes, bodies or answers, regenerate it:

    .venv/bin/python -m interview_analytics.http.openapi > schemas/openapi.json
"""

from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft202012Validator

from interview_analytics.http.openapi import document, render
from interview_analytics.http.routes import routes

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "schemas" / "openapi.json"
REGENERATE = ".venv/bin/python -m interview_analytics.http.openapi > schemas/openapi.json"


def test_the_committed_document_is_the_generated_one() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == render(routes()), (
        f"schemas/openapi.json is out of date; regenerate it: {REGENERATE}"
    )


def test_every_contract_path_is_documented() -> None:
    paths = document(routes())["paths"]
    assert {
        "/health",
        "/ready",
        "/metrics",
        "/v1/meetings/start",
        "/v1/meetings",
        "/v1/meetings/{meeting_id}",
        "/v1/meetings/{meeting_id}/chunks",
        "/v1/meetings/{meeting_id}/finish",
        "/v1/admin/queues/health",
        "/v1/admin/dead-letters",
    } <= set(paths)


def test_every_operation_has_real_schemas() -> None:
    doc = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert doc["openapi"].startswith("3.1")
    for schema in doc["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            # One success: 200, or 201 (created) / 204 (no content) where the route says so.
            successes = [status for status in responses if status.startswith("2")]
            assert successes in (["200"], ["201"], ["204"]), (method, path)
            for status, response in responses.items():
                if status.startswith("2"):
                    continue
                schema = next(iter(response["content"].values()))["schema"]
                assert schema["$ref"].endswith(("/Error", "/Ready")), (method, path, status)
            body = operation.get("requestBody")
            if body is not None:
                ref = body["content"]["application/json"]["schema"]["$ref"]
                assert ref.rsplit("/", 1)[1] in doc["components"]["schemas"]
