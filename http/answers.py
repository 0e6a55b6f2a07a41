"""What the routes answer, declared once: the JSON Schema of an answer and its building.

An :class:`Answer` lists :class:`Prop`\\ s, each a name with its JSON Schema and where its
value comes from: a constant (the schema's ``const``, or ``value``), a function of the
source (``get``), or else the source's key or attribute of the same name.
``Answer.build(source, **values)`` makes the document (times as ISO-8601 UTC); an *open*
answer (``additionalProperties``) also keeps the source mapping's other keys, except the
``hidden`` ones. ``Answer.json_schema()`` is the component of ``#/components/schemas``, and
``components()`` that and every answer it refers to, for the OpenAPI document: the schema
a test checks an answer against is the declaration the answer was built from.

Must not: do I/O, or know about routes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.responses import JSONResponse

Schema = dict[str, Any]

STR: Schema = {"type": "string"}
INT: Schema = {"type": "integer"}
NUM: Schema = {"type": "number"}
BOOL: Schema = {"type": "boolean"}
OBJ: Schema = {"type": "object", "additionalProperties": True}
TIME: Schema = {"type": "string", "format": "date-time"}
STRINGS: Schema = {"type": "array", "items": STR}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def one_of(*words: str) -> Schema:
    return {"type": "string", "enum": list(words)}


_FROM_SOURCE = object()


@dataclass(frozen=True)
class Prop:
    name: str
    schema: Schema | Answer
    """A JSON Schema, or an answer: by ``$ref`` when it is a component, else inline."""
    description: str = ""
    get: Callable[[Any], Any] | None = None
    """The value from the source; default: the source's key (or attribute) ``name``."""
    value: Any = _FROM_SOURCE
    """A constant value (a ``const`` schema is its own value)."""
    required: bool = True
    many: bool = False
    """An array of ``schema``."""
    maybe: bool = False
    """``schema`` or null."""

    def json_schema(self) -> Schema:
        schema = self.schema.reference() if isinstance(self.schema, Answer) else self.schema
        if self.many:
            schema = {"type": "array", "items": schema}
        if self.maybe:
            schema = nullable(schema)
        if self.description:
            schema = {**schema, "description": self.description}
        return schema

    def constant(self) -> Any:
        if self.value is not _FROM_SOURCE:
            return self.value
        if isinstance(self.schema, dict):
            return self.schema.get("const", _FROM_SOURCE)
        return _FROM_SOURCE


@dataclass(frozen=True)
class Answer:
    name: str
    """The component name; empty for an object written inline where it is used."""
    props: tuple[Prop, ...]
    description: str = ""
    open: bool = False
    """Other properties are allowed, and ``build`` keeps the source's other keys."""
    hidden: frozenset[str] = field(default_factory=frozenset)
    """Keys of the source an open answer never shows (internal columns)."""

    def reference(self) -> Schema:
        if not self.name:
            return self.json_schema()
        return {"$ref": f"#/components/schemas/{self.name}"}

    def json_schema(self) -> Schema:
        return object_schema(
            {prop.name: prop.json_schema() for prop in self.props},
            [prop.name for prop in self.props if prop.required],
            self.description,
            open=self.open,
        )

    def components(self) -> dict[str, Schema]:
        """This answer's schema and those of the answers it refers to, by name."""
        found: dict[str, Schema] = {self.name: self.json_schema()} if self.name else {}
        for prop in self.props:
            if isinstance(prop.schema, Answer):
                found.update(prop.schema.components())
        return found

    def build(self, source: Any = None, /, **values: Any) -> dict[str, Any]:
        """The document: ``values`` first, then constants, ``get``, the source's own."""
        unknown = set(values) - {prop.name for prop in self.props}
        if unknown:
            raise ValueError(f"{self.name or 'answer'} has no {', '.join(sorted(unknown))}")
        is_mapping = isinstance(source, Mapping)
        document: dict[str, Any] = {}
        for prop in self.props:
            constant = prop.constant()
            if prop.name in values:
                document[prop.name] = values[prop.name]
            elif constant is not _FROM_SOURCE:
                document[prop.name] = constant
            elif prop.get is not None:
                document[prop.name] = prop.get(source)
            elif is_mapping and prop.name in source:
                document[prop.name] = source[prop.name]
            elif not is_mapping and source is not None:
                document[prop.name] = getattr(source, prop.name)
            elif prop.required:
                raise ValueError(f"{self.name or 'answer'}: nothing gives {prop.name}")
        if self.open and is_mapping:
            for key, item in source.items():
                if key not in document and key not in self.hidden:
                    document[key] = item
        return {key: jsonable(item) for key, item in document.items()}

    def response(self, source: Any = None, /, **values: Any) -> JSONResponse:
        return JSONResponse(self.build(source, **values))


def object_schema(
    properties: dict[str, Schema], required: list[str], description: str, *, open: bool
) -> Schema:
    """A JSON object's schema (requests and answers alike)."""
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    if open:
        schema["additionalProperties"] = True
    if description:
        schema["description"] = description
    return schema


def jsonable(value: Any) -> Any:
    """Values as JSON: times as ISO-8601 UTC, containers walked."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat()
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    return value
