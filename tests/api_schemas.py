"""Checking real answers against the OpenAPI document's schemas."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

from interview_analytics.http.openapi import document
from interview_analytics.http.routes import routes

DOCUMENT = document(routes())


def assert_matches(component: str, instance: Any) -> None:
    """``instance`` is valid against ``#/components/schemas/<component>``."""
    schema = {
        "$ref": f"#/components/schemas/{component}",
        "components": DOCUMENT["components"],
    }
    Draft202012Validator(schema).validate(instance)


def assert_error(body: Any, code: str) -> None:
    assert_matches("Error", body)
    assert body["detail"]["code"] == code, body
