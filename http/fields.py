"""Request fields declared once: validated from JSON or the query string, and documented.

A :class:`Spec` lists :class:`Field`\\ s (name, type, limits, default, meaning).
``Spec.validate(body)`` checks a decoded JSON object and returns the values with defaults
filled in, or raises one 422 ``ApiError`` that lists every bad field (``details.field`` is
the first, ``details.errors`` all of them); ``Spec.validate_query`` does the same for query
parameters (text converted first). ``Spec.json_schema()`` is the same rules as JSON Schema
for the OpenAPI document, so the documentation cannot drift from the checks.

:func:`filter_spec` is the Spec of a read filter (``domain.read_filters``): its fields,
kinds, defaults, meanings and limits come from the filter's dataclass fields. What a
route answers is declared the same way, in ``answers``.

Unknown body fields are ignored (clients of the older service send ``api_version`` and
others); a field sent as ``null`` counts as absent.

Must not: know about routes or the domain beyond plain values.
"""

from __future__ import annotations

import math
import re
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from interview_analytics.domain.read_filters import criteria
from interview_analytics.http.answers import object_schema
from interview_analytics.http.errors import ApiError

Kind = Literal["string", "integer", "number", "boolean", "object", "string_list", "datetime"]

VALIDATION_ERROR = "validation_error"

_JSON_TYPES: dict[str, str] = {
    "string": "string",
    "integer": "integer",
    "number": "number",
    "boolean": "boolean",
    "object": "object",
    "string_list": "array",
    "datetime": "string",
}


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    description: str
    required: bool = False
    default: Any = None
    """The value used when the field is absent (documented as the schema's default)."""
    minimum: float | None = None
    maximum: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    enum: tuple[str, ...] | None = None
    max_items: int | None = None
    code: str = VALIDATION_ERROR
    """The error code when this field is the (first) bad one."""
    example: Any = None

    def check(self, value: Any) -> tuple[Any, str | None]:
        """The accepted value (normalised) or an error message."""
        checker = _CHECKS[self.kind]
        return checker(self, value)

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": _JSON_TYPES[self.kind], "description": self.description}
        if self.kind == "datetime":
            schema["format"] = "date-time"
        if self.kind == "string_list":
            items: dict[str, Any] = {"type": "string"}
            if self.max_length is not None:
                items["maxLength"] = self.max_length
            schema["items"] = items
            if self.max_items is not None:
                schema["maxItems"] = self.max_items
        elif self.kind == "string":
            _put(schema, "minLength", self.min_length)
            _put(schema, "maxLength", self.max_length)
            _put(schema, "pattern", self.pattern and f"^(?:{self.pattern})$")
        if self.kind in ("integer", "number"):
            _put(schema, "minimum", self.minimum)
            _put(schema, "maximum", self.maximum)
        if self.enum is not None:
            schema["enum"] = list(self.enum)
        if self.kind == "object":
            schema["additionalProperties"] = True
        if self.default is not None:
            schema["default"] = self.default
        if self.example is not None:
            schema["examples"] = [self.example]
        if not self.required:
            schema["type"] = [schema["type"], "null"]
        return schema


@dataclass(frozen=True)
class Spec:
    name: str
    fields: tuple[Field, ...]
    description: str = ""

    def validate(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ApiError(
                422,
                VALIDATION_ERROR,
                "the request body must be a JSON object",
                {"field": "(body)", "errors": [{"field": "(body)", "message": "not an object"}]},
            )
        return self._check(body.get)

    def validate_query(self, params: Mapping[str, str]) -> dict[str, Any]:
        converted: dict[str, Any] = {}
        errors: list[tuple[Field, str]] = []
        for field in self.fields:
            raw = params.get(field.name)
            if raw is None:
                continue
            value, problem = _from_text(field, raw)
            if problem is not None:
                errors.append((field, problem))
            else:
                converted[field.name] = value
        if errors:
            raise _validation_error(errors)
        return self._check(converted.get)

    def _check(self, get: Any) -> dict[str, Any]:
        values: dict[str, Any] = {}
        errors: list[tuple[Field, str]] = []
        for field in self.fields:
            raw = get(field.name)
            if raw is None:
                if field.required:
                    errors.append((field, "is required"))
                values[field.name] = field.default
                continue
            value, problem = field.check(raw)
            if problem is not None:
                errors.append((field, problem))
            values[field.name] = value
        if errors:
            raise _validation_error(errors)
        return values

    def json_schema(self) -> dict[str, Any]:
        # Unknown fields are ignored, so they are allowed.
        return object_schema(
            {field.name: field.json_schema() for field in self.fields},
            [field.name for field in self.fields if field.required],
            self.description,
            open=True,
        )

    def parameters(self) -> list[dict[str, Any]]:
        """The fields as OpenAPI query parameters."""
        return [
            {
                "name": field.name,
                "in": "query",
                "required": field.required,
                "description": field.description,
                "schema": {k: v for k, v in field.json_schema().items() if k != "description"},
            }
            for field in self.fields
        ]


_KINDS: dict[Any, Kind] = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    datetime: "datetime",
}


def filter_spec(name: str, filter_type: type[Any], *, replace: Sequence[Field] = ()) -> Spec:
    """The query parameters of a read filter (``domain.read_filters``): one field per
    criterion that is not ``internal``, with the filter's default, meaning and limits;
    ``replace`` swaps in fields of the front door's own (the meeting id, with its error
    code). ``filter_type(**spec.validate_query(params), **internal)`` is the filter."""
    hints = typing.get_type_hints(filter_type)
    own = {field.name: field for field in replace}
    fields = tuple(
        own.get(criterion.name)
        or Field(
            criterion.name,
            _kind_of(hints[criterion.name]),
            about.description,
            default=criterion.default,
            minimum=about.minimum,
            maximum=about.maximum,
            max_length=about.max_length,
            pattern=about.pattern,
            enum=about.choices,
        )
        for criterion, about in criteria(filter_type)
        if not about.internal
    )
    return Spec(name, fields)


def _kind_of(hint: Any) -> Kind:
    """The field kind of a criterion's type (``str | None`` is a string)."""
    if isinstance(hint, types.UnionType):
        hint = next(arg for arg in typing.get_args(hint) if arg is not type(None))
    return _KINDS[hint]


def _validation_error(errors: Sequence[tuple[Field, str]]) -> ApiError:
    first = errors[0][0]
    listed = [{"field": field.name, "message": f"{field.name} {text}"} for field, text in errors]
    return ApiError(
        422,
        first.code,
        listed[0]["message"] if len(listed) == 1 else f"{len(listed)} invalid fields",
        {"field": first.name, "errors": listed},
    )


def _put(schema: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        schema[key] = value


# ---------------------------------------------------------------------- checks by kind


def _check_string(field: Field, value: Any) -> tuple[Any, str | None]:
    if not isinstance(value, str):
        return None, "must be a string"
    if field.min_length is not None and len(value) < field.min_length:
        return None, f"must be at least {field.min_length} characters"
    if field.max_length is not None and len(value) > field.max_length:
        return None, f"must be at most {field.max_length} characters"
    if field.pattern is not None and not re.fullmatch(field.pattern, value):
        return None, "has characters or a form that is not allowed"
    if field.enum is not None and value not in field.enum:
        return None, f"must be one of {', '.join(field.enum)}"
    return value, None


def _check_integer(field: Field, value: Any) -> tuple[Any, str | None]:
    if isinstance(value, bool) or not isinstance(value, int):
        return None, "must be an integer"
    return _in_range(field, value)


def _check_number(field: Field, value: Any) -> tuple[Any, str | None]:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None, "must be a number"
    return _in_range(field, value)


def _in_range(field: Field, value: float) -> tuple[Any, str | None]:
    if field.minimum is not None and value < field.minimum:
        return None, f"must be >= {_plain(field.minimum)}"
    if field.maximum is not None and value > field.maximum:
        return None, f"must be <= {_plain(field.maximum)}"
    return value, None


def _check_boolean(field: Field, value: Any) -> tuple[Any, str | None]:
    if not isinstance(value, bool):
        return None, "must be true or false"
    return value, None


def _check_object(field: Field, value: Any) -> tuple[Any, str | None]:
    if not isinstance(value, dict):
        return None, "must be an object"
    return value, None


def _check_string_list(field: Field, value: Any) -> tuple[Any, str | None]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return None, "must be a list of strings"
    if field.max_items is not None and len(value) > field.max_items:
        return None, f"must have at most {field.max_items} items"
    if field.max_length is not None and any(len(item) > field.max_length for item in value):
        return None, f"items must be at most {field.max_length} characters"
    return list(value), None


def _check_datetime(field: Field, value: Any) -> tuple[Any, str | None]:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC), None
    if not isinstance(value, str):
        return None, "must be an ISO-8601 date-time"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None, "must be an ISO-8601 date-time"
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)), None


_CHECKS = {
    "string": _check_string,
    "integer": _check_integer,
    "number": _check_number,
    "boolean": _check_boolean,
    "object": _check_object,
    "string_list": _check_string_list,
    "datetime": _check_datetime,
}


def _from_text(field: Field, raw: str) -> tuple[Any, str | None]:
    """A query parameter's text as the field's kind."""
    if field.kind == "integer":
        try:
            return int(raw.strip()), None
        except ValueError:
            return None, "must be an integer"
    if field.kind == "number":
        try:
            return float(raw.strip()), None
        except ValueError:
            return None, "must be a number"
    if field.kind == "boolean":
        lowered = raw.strip().lower()
        if lowered in ("true", "1", "yes"):
            return True, None
        if lowered in ("false", "0", "no"):
            return False, None
        return None, "must be true or false"
    if field.kind == "datetime" and " " in raw.strip():
        # An unencoded "+" of a UTC offset arrives as a space.
        return raw.strip().replace(" ", "+"), None
    return raw, None


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)
