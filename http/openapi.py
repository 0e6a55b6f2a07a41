"""The OpenAPI 3.1 document, generated from the route table.

Every ``ApiRoute`` contributes one operation: its path parameters, its query spec as
parameters, its body spec as the request schema, its answer (and the answers that one
refers to) as components, and an ``Error`` response for each status it can refuse with
(401/403 on guarded routes; 422 and 400 wherever input is read). The WebSockets are
described in ``info.description`` (OpenAPI has no WebSocket operations). The committed
copy is ``schemas/openapi.json``; a test fails when it differs from what this module
generates. Regenerate it with

    .venv/bin/python -m interview_analytics.http.openapi > schemas/openapi.json

Must not: depend on settings or dependencies (the document is the same for every app).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from typing import Any

from starlette.routing import BaseRoute

from interview_analytics.http.errors import ERROR, HTTP_CODES
from interview_analytics.http.operations import ApiRoute, Operation

TITLE = "Interview Analytics API"
VERSION = "1.0.0"
DESCRIPTION = """\
Interview transcription and analytics. Every error answers
`{"detail": {"code", "message", "details"}}`; 401 also sends `WWW-Authenticate: Bearer`.
Commands answer the meeting's stream `version`; pass it to `GET /v1/meetings/{meeting_id}`
as `min_version` to read your own writes.

Languages: the speech model is chosen per deployment with `WHISPER_MODEL` — `base` (the
default, bundled, multilingual: the 99 Whisper languages), `tiny.en` (bundled, English
only), another faster-whisper size name or a model directory. A meeting's `language` is
`ru` when absent (the default with `base`), any language the configured model supports, or
`auto` (multilingual models: detected from the first speech); a language the model cannot
do is 422 `unsupported_language`, its `details.supported` listing what it can.

WebSockets (not expressible in OpenAPI): `/v1/ws` (user identities) and `/v1/ws/internal`
(service identities), authenticated from the handshake headers; a refused handshake is
closed with 1008 (HTTP 403). Client frames: `audio.chunk`, `audio.stream` + binary frames,
`audio.stream.end`, `subscribe`, `unsubscribe`, `meeting.finish`, `ping`. Server frames:
`chunk.ack`, `transcript.update`, `transcript.enhanced`, `report.update`, `chunk.rejected`,
`meeting.status`, `error`, and the answers `stream.started`, `stream.ended`, `subscribed`,
`unsubscribed`, `meeting.finished`, `pong`. See http/README.md.
"""

SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
}

_SUCCESS = {200: "OK", 201: "Created", 204: "No Content"}
_PATH_PARAM = re.compile(r"{([^}:]+)(?::[^}]+)?}")


def document(routes: Sequence[BaseRoute]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    components: dict[str, Any] = ERROR.components()
    for route in routes:
        if not isinstance(route, ApiRoute):
            continue
        operation = route.operation
        for method in sorted(route.methods or ()):
            if method == "HEAD":
                continue
            paths.setdefault(route.path, {})[method.lower()] = _operation(route.path, operation)
        if operation.body is not None:
            components[operation.body.name] = operation.body.json_schema()
        if operation.answer is not None:
            components.update(operation.answer.components())
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION, "description": DESCRIPTION},
        "paths": paths,
        "components": {"schemas": components, "securitySchemes": SECURITY_SCHEMES},
    }


def _operation(path: str, operation: Operation) -> dict[str, Any]:
    result: dict[str, Any] = {
        "operationId": operation.operation_id,
        "summary": operation.summary,
        "tags": [operation.tag],
    }
    if operation.description:
        result["description"] = operation.description
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PATH_PARAM.findall(path)
    ]
    if operation.query is not None:
        parameters += operation.query.parameters()
    if parameters:
        result["parameters"] = parameters
    if operation.body is not None:
        result["requestBody"] = {
            "required": operation.body_required,
            "content": {"application/json": {"schema": _ref(operation.body.name)}},
        }
    result["responses"] = _responses(operation, bool(parameters) or operation.body is not None)
    if operation.access == "public":
        result["security"] = []
    else:
        result["security"] = [{"bearer": []}, {"apiKey": []}]
        if operation.access == "service":
            result["description"] = (
                result.get("description", "") + " Service identities only."
            ).strip()
    return result


def _responses(operation: Operation, reads_input: bool) -> dict[str, Any]:
    ok: dict[str, Any] = {"description": _SUCCESS.get(operation.status, "OK")}
    if operation.status == 204:
        pass  # no content
    elif operation.answer is not None:
        ok["content"] = {operation.media_type: {"schema": operation.answer.reference()}}
    elif operation.media_type != "application/json":
        ok["content"] = {operation.media_type: {"schema": {"type": "string"}}}
    else:
        ok["content"] = {"application/json": {"schema": {"type": "object"}}}
    responses: dict[str, Any] = {str(operation.status): ok}
    statuses = set(operation.errors)
    if operation.access != "public":
        statuses |= {401, 403}
    if reads_input:
        statuses |= {422}
    if operation.body is not None:
        statuses |= {400, 413}
    # /ready answers its own document, failing checks included, when it is not ready.
    refusal = operation.answer if operation.operation_id == "ready" else None
    schema = (refusal or ERROR).reference()
    for status in sorted(statuses):
        responses[str(status)] = {
            "description": HTTP_CODES.get(status, "error").replace("_", " "),
            "content": {"application/json": {"schema": schema}},
        }
    return responses


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def render(routes: Sequence[BaseRoute]) -> str:
    """The document as committed: sorted keys, two-space indent, trailing newline."""
    return json.dumps(document(routes), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> None:
    from interview_analytics.http.routes import routes

    sys.stdout.write(render(routes()))


if __name__ == "__main__":
    main()
