"""SberJazz error taxonomy: every platform failure becomes one of these, and it says whether
a retry may help.

Must not: carry secrets (tokens, keys) in messages.
"""

from __future__ import annotations

from enum import StrEnum

import httpx


class ErrorKind(StrEnum):
    AUTH = "auth"
    TIMEOUT = "timeout"
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"
    BAD_REQUEST = "bad_request"
    INVALID_RESPONSE = "invalid_response"
    CIRCUIT_OPEN = "circuit_open"


RETRYABLE = frozenset({ErrorKind.TIMEOUT, ErrorKind.RATE_LIMITED, ErrorKind.UNAVAILABLE})


class SberJazzError(Exception):
    """A refused or failed platform call, classified."""

    def __init__(self, kind: ErrorKind, message: str, status: int | None = None) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message
        self.status = status

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE


def classify_response(response: httpx.Response) -> SberJazzError | None:
    """None for a 2xx answer, else the error it means."""
    status = response.status_code
    if 200 <= status < 300:
        return None
    text = response.text[:200]
    if status in (401, 403):
        kind = ErrorKind.AUTH
    elif status == 429:
        kind = ErrorKind.RATE_LIMITED
    elif status in (408, 504):
        kind = ErrorKind.TIMEOUT
    elif status >= 500:
        kind = ErrorKind.UNAVAILABLE
    else:
        kind = ErrorKind.BAD_REQUEST
    return SberJazzError(kind, f"HTTP {status}: {text}", status)


def classify_exception(exc: Exception) -> SberJazzError:
    """The error a transport exception from httpx means."""
    if isinstance(exc, SberJazzError):
        return exc
    if isinstance(exc, httpx.TimeoutException):
        return SberJazzError(ErrorKind.TIMEOUT, str(exc) or type(exc).__name__)
    if isinstance(exc, httpx.TransportError):
        return SberJazzError(ErrorKind.UNAVAILABLE, str(exc) or type(exc).__name__)
    return SberJazzError(ErrorKind.INVALID_RESPONSE, str(exc) or type(exc).__name__)
