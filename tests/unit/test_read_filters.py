"""The read filters are declared once: the HTTP parameters and the docs follow them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from interview_analytics.domain.read_filters import (
    ConnectorSessionsFilter,
    DeadLetterFilter,
    MeetingFilter,
    SecurityAuditFilter,
    criteria,
    parameters,
)
from interview_analytics.http.openapi import document
from interview_analytics.http.routes import routes

REPO = Path(__file__).resolve().parents[2]
BY_PATH: dict[str, type[Any]] = {
    "/v1/meetings": MeetingFilter,
    "/v1/admin/dead-letters": DeadLetterFilter,
    "/v1/admin/security/audit": SecurityAuditFilter,
    "/v1/admin/connectors/sberjazz/sessions": ConnectorSessionsFilter,
}
CASES = pytest.mark.parametrize(("path", "filter_type"), BY_PATH.items(), ids=list(BY_PATH))


@CASES
def test_the_query_parameters_are_the_filters_criteria(path: str, filter_type: type[Any]) -> None:
    operation = document(routes())["paths"][path]["get"]
    documented = {p["name"]: p for p in operation["parameters"] if p["in"] == "query"}
    assert list(documented) == parameters(filter_type)
    for criterion, about in criteria(filter_type):
        if about.internal:
            continue
        schema = documented[criterion.name]["schema"]
        assert schema.get("default") == criterion.default
        if about.choices is not None:
            assert schema["enum"] == list(about.choices)
        if about.maximum is not None:
            assert schema["maximum"] == about.maximum
        if criterion.name != "meeting_id":  # the front door's own field (its error code)
            assert documented[criterion.name]["description"] == about.description


@CASES
def test_the_http_readme_names_exactly_the_filters_parameters(
    path: str, filter_type: type[Any]
) -> None:
    readme = (REPO / "http" / "README.md").read_text(encoding="utf-8")
    [row] = [line for line in readme.splitlines() if line.startswith(f"| GET | `{path}` |")]
    what = row.split("|")[4]
    named = {word for word in re.findall(r"`([^`]+)`", what) if re.fullmatch(r"[a-z_]+", word)}
    assert named == set(parameters(filter_type))


def test_every_criterion_says_what_it_means() -> None:
    for filter_type in BY_PATH.values():
        for criterion, about in criteria(filter_type):
            assert about.description.endswith("."), (filter_type.__name__, criterion.name)
