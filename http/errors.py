"""Every error the front door answers, in the contract's one shape.

``{"detail": {"code": "...", "message": "...", "details": {...}}}``: ``code`` is stable and
machine-readable, ``message`` is for people, ``details`` names what was wrong (the field,
the limit, the conflicting seq). 401 also sends ``WWW-Authenticate: Bearer``; a 503 sends
``Retry-After``.

Where errors come from and what they become:

- :class:`ApiError`, raised by the routes for bad input (``bad_json``, ``validation_error``,
  ``payload_too_large`` …);
- the domain's ``DomainError``: ``invalid_*``/``unsupported_language`` 422, not found 404,
  already exists/finished/chunk and idempotency-key conflicts 409, ``concurrent_update``
  503;
- ``AuthError``: its own 401/403; ``DependencyUnavailableError`` and
  ``ConnectorUnavailableError`` (the meeting platform failed): 503;
- Starlette's ``HTTPException`` (routing's 404 and 405, with ``Allow``);
- anything else is a fault of the server: :class:`CatchAllMiddleware` logs it with the
  request id and answers 500 ``internal_error`` without internals. Client input must never
  get there: validation raises ``ApiError`` first.

Must not: import adapters, or put exception text from unknown errors into responses.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from interview_analytics.domain.errors import (
    ChunkConflictError,
    ConcurrentUpdateError,
    ConnectorNeverJoinedError,
    ConnectorStateError,
    ConsentDeniedError,
    DomainError,
    IdempotencyKeyConflictError,
    InvalidCommandError,
    MeetingAlreadyExistsError,
    MeetingErasedError,
    MeetingFinishedError,
    MeetingNotFoundError,
    TranscriptNotFinalError,
    WebhookLimitError,
    WebhookNotFoundError,
)
from interview_analytics.http.answers import OBJ, STR, Answer, Prop
from interview_analytics.http.credentials import challenge
from interview_analytics.http.identity import AuthError
from interview_analytics.http.ports import (
    ConnectorUnavailableError,
    DependencyUnavailableError,
    InvalidCursorError,
)

log = logging.getLogger(__name__)

RETRY_AFTER_SEC = 1

_DOMAIN_STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (MeetingNotFoundError, 404),
    (MeetingErasedError, 410),
    (ConsentDeniedError, 403),
    (ConnectorNeverJoinedError, 404),
    (ConnectorStateError, 409),
    (MeetingAlreadyExistsError, 409),
    (MeetingFinishedError, 409),
    (TranscriptNotFinalError, 409),
    (ChunkConflictError, 409),
    (IdempotencyKeyConflictError, 409),
    (WebhookNotFoundError, 404),
    (WebhookLimitError, 409),
    (ConcurrentUpdateError, 503),
    (InvalidCommandError, 422),
)

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    503: "unavailable",
}


class ApiError(Exception):
    """A refusal decided by the front door itself (bad JSON, a field out of range …)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = dict(details or {})
        self.headers = dict(headers or {})


class ErrorResponse(JSONResponse):
    """JSON that never fails to render: odd values in ``details`` become strings."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, default=str).encode("utf-8")


ERROR_DETAIL = Answer(
    "",
    (
        Prop("code", STR, "Stable, machine-readable."),
        Prop("message", STR, "For people."),
        Prop("details", OBJ, "What was wrong: field, limit, seq …"),
    ),
)
ERROR = Answer("Error", (Prop("detail", ERROR_DETAIL),), "Every error, whatever the status.")


def error_body(code: str, message: str, details: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return {"detail": {"code": code, "message": message, "details": dict(details or {})}}


def error_response(
    status: int,
    code: str,
    message: str,
    details: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    all_headers = dict(headers or {})
    if status == 401:
        all_headers.setdefault("WWW-Authenticate", "Bearer")
    if status == 503:
        all_headers.setdefault("Retry-After", str(RETRY_AFTER_SEC))
    return ErrorResponse(
        error_body(code, message, details), status_code=status, headers=all_headers
    )


def domain_status(error: DomainError) -> int:
    for cls, status in _DOMAIN_STATUS:
        if isinstance(error, cls):
            return status
    return 422


def as_api_error(error: Exception) -> ApiError | None:
    """The error as the front door answers it, or None for a fault of the server."""
    if isinstance(error, ApiError):
        return error
    if isinstance(error, DomainError):
        return ApiError(domain_status(error), error.code, error.message, error.details)
    if isinstance(error, AuthError):
        return ApiError(error.status, error.code, error.message, headers=challenge(error))
    if isinstance(error, ConnectorUnavailableError):
        return ApiError(503, error.code, error.message, error.details)
    if isinstance(error, DependencyUnavailableError):
        return ApiError(
            503, "dependency_unavailable", error.message, {"dependency": error.dependency}
        )
    if isinstance(error, InvalidCursorError):
        return ApiError(400, "bad_cursor", str(error) or "bad cursor", {"field": "cursor"})
    if isinstance(error, HTTPException):
        status = error.status_code
        return ApiError(
            status,
            HTTP_CODES.get(status, "http_error"),
            error.detail if isinstance(error.detail, str) else _phrase(status),
            headers=error.headers,
        )
    return None


async def handle_known_error(request: Request, error: Exception) -> Response:
    """Starlette exception handler for every error class that :func:`as_api_error` knows."""
    api_error = as_api_error(error)
    if api_error is None:  # registered only for known classes; keep the contract anyway
        raise error
    return error_response(
        api_error.status, api_error.code, api_error.message, api_error.details, api_error.headers
    )


KNOWN_ERRORS: tuple[type[Exception], ...] = (
    ApiError,
    DomainError,
    AuthError,
    ConnectorUnavailableError,
    DependencyUnavailableError,
    InvalidCursorError,
    HTTPException,
)


class CatchAllMiddleware:
    """The last line: an unexpected exception is logged and answered 500 (once)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            request_id = scope.get("state", {}).get("request_id")
            log.exception(
                "unhandled error in %s %s",
                scope.get("method"),
                scope.get("path"),
                extra={"request_id": request_id},
            )
            if started:
                raise  # half a response went out; the server closes the connection
            response = error_response(
                500,
                "internal_error",
                "the server failed to handle this request; it has been logged",
                {"request_id": request_id} if request_id else None,
            )
            await response(scope, receive, send)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "error"
