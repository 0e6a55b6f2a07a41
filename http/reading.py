"""Reading request input safely: JSON bodies under a size limit, base64 audio.

:func:`read_json` refuses a body larger than the limit from its ``Content-Length`` before
reading, and otherwise counts bytes while streaming it in, so an endless or lying body is
cut off at the limit instead of being buffered (413 ``payload_too_large``). Anything that
is not one JSON document is 400 ``bad_json``; ``NaN``/``Infinity`` and absurd nesting
included. :func:`decode_audio_b64` turns ``content_b64`` into bytes (400 ``bad_base64``)
after checking that the decoded size cannot exceed the chunk limit (413
``chunk_too_large``).

Must not: interpret the JSON (``fields.Spec`` validates it).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from starlette.requests import Request

from interview_analytics.http.errors import ApiError

_MISSING = object()


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(raw: bytes | str) -> Any:
    """One JSON document, or a 400 ``bad_json`` ``ApiError``."""
    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as error:
        raise ApiError(
            400, "bad_json", "the body is not valid JSON", {"error": str(error)[:200]}
        ) from None


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large(limit, int(declared))
    parts: list[bytes] = []
    total = 0
    async for part in request.stream():
        total += len(part)
        if total > limit:
            raise too_large(limit, None)
        parts.append(part)
    return b"".join(parts)


async def read_json(request: Request, limit: int, *, optional: bool = False) -> Any:
    """The body as JSON; an empty body is ``{}`` when ``optional``, else 400 ``bad_json``."""
    raw = await read_body(request, limit)
    if not raw.strip():
        if optional:
            return {}
        raise ApiError(400, "bad_json", "the request needs a JSON body")
    return parse_json(raw)


def too_large(limit: int, declared: int | None) -> ApiError:
    details: dict[str, Any] = {"limit_bytes": limit}
    if declared is not None:
        details["content_length"] = declared
    return ApiError(413, "payload_too_large", f"the body is larger than {limit} bytes", details)


def decode_audio_b64(text: str, max_bytes: int, field: str = "content_b64") -> bytes:
    """Standard or URL-safe base64, padding optional, line breaks ignored."""
    compact = "".join(text.split())
    if len(compact) // 4 * 3 > max_bytes + 3:
        raise chunk_too_large(max_bytes, len(compact) // 4 * 3)
    if "-" in compact or "_" in compact:
        compact = compact.replace("-", "+").replace("_", "/")
    compact += "=" * (-len(compact) % 4)
    try:
        audio = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(
            400, "bad_base64", f"{field} is not valid base64", {"field": field}
        ) from None
    if len(audio) > max_bytes:
        raise chunk_too_large(max_bytes, len(audio))
    return audio


def chunk_too_large(limit: int, size: int) -> ApiError:
    return ApiError(
        413,
        "chunk_too_large",
        f"the audio chunk is larger than {limit} bytes",
        {"limit_bytes": limit, "size_bytes": size, "field": "content_b64"},
    )
