"""Credentials as requests carry them: header parsing, API keys, the no-auth mode.

- :func:`header`, :func:`bearer_token`: ``X-API-Key`` and ``Authorization: Bearer <token>``
  from a case-insensitive or plain mapping; :func:`attempted_auth_type` names what a refused
  request tried (for its audit record); :func:`challenge` is the ``WWW-Authenticate``
  header a 401 answers with.
- :class:`KeyRing`: ``API_KEYS`` (user) and ``SERVICE_API_KEYS`` (service), matched in
  constant time — the SHA-256 digests are compared with ``hmac.compare_digest`` and the
  loop never stops early, so neither the key's length nor which list it is in shows in the
  timing. The subject is ``key:`` plus a short SHA-256 fingerprint, never the key.
- :class:`ApiKeyAuthenticator` (``AUTH_MODE=api_key``) and :class:`NoAuthenticator`
  (``AUTH_MODE=none``: everyone is the anonymous user, whom the guards let through).

Must not: log or keep a key in clear, or stop comparing keys at the first match.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping

from interview_analytics.http.identity import AuthError, Identity

ANONYMOUS = "anonymous"


def challenge(error: AuthError) -> dict[str, str]:
    """Response headers for a refusal: 401 carries ``WWW-Authenticate: Bearer``.

    RFC 6750: a request without credentials gets the bare challenge; a bad token gets
    ``error="invalid_token"`` so that clients know to fetch a new one.
    """
    if error.status != 401:
        return {}
    if error.code in ("missing_credentials", "api_key_not_accepted"):
        return {"WWW-Authenticate": "Bearer"}
    return {"WWW-Authenticate": 'Bearer error="invalid_token"'}


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by case-insensitive name; Starlette's ``Headers`` already is, dicts not."""
    value = headers.get(name)
    if value is None:
        wanted = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == wanted), None)
    value = value.strip() if value is not None else None
    return value or None


def bearer_token(headers: Mapping[str, str]) -> str | None:
    """The token of ``Authorization: Bearer <token>``; None without the header."""
    value = header(headers, "authorization")
    if value is None:
        return None
    scheme, _, token = value.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise AuthError(401, "invalid_authorization", "Authorization must be 'Bearer <token>'")
    return token


def attempted_auth_type(headers: Mapping[str, str]) -> str:
    """What a refused request tried, for its audit record: ``jwt``, ``api_key`` or ``none``."""
    if header(headers, "authorization") is not None:
        return "jwt"
    if header(headers, "x-api-key") is not None:
        return "api_key"
    return "none"


class NoAuthenticator:
    """``AUTH_MODE=none``: everyone is the anonymous user (guards let it through)."""

    async def authenticate(self, headers: Mapping[str, str]) -> Identity:
        return Identity(ANONYMOUS, "user", "none")


def key_fingerprint(key: str) -> str:
    """The subject of an API key: 12 hex digits of its SHA-256, never the key itself."""
    return "key:" + hashlib.sha256(key.encode()).hexdigest()[:12]


class KeyRing:
    """User and service API keys, matched in constant time."""

    def __init__(self, user_keys: Iterable[str], service_keys: Iterable[str]) -> None:
        # Digests, so that every comparison is between 32-byte values: compare_digest is
        # constant-time only for equal lengths, and the key length must not leak.
        self._keys = [(_digest(k), "user") for k in user_keys if k] + [
            (_digest(k), "service") for k in service_keys if k
        ]

    def match(self, candidate: str) -> Identity | None:
        presented = _digest(candidate)
        found: str | None = None
        for digest, kind in self._keys:
            # No early exit: every key is compared, whichever matches.
            if hmac.compare_digest(presented, digest):
                found = kind
        if found is None:
            return None
        if found == "service":
            return Identity(key_fingerprint(candidate), "service", "service_api_key")
        return Identity(key_fingerprint(candidate), "user", "api_key")


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


class ApiKeyAuthenticator:
    """``AUTH_MODE=api_key``: ``X-API-Key`` names a user or a service."""

    def __init__(self, keys: KeyRing) -> None:
        self.keys = keys

    async def authenticate(self, headers: Mapping[str, str]) -> Identity:
        key = header(headers, "x-api-key")
        if key is None:
            raise AuthError(401, "missing_credentials", "send an API key in X-API-Key")
        identity = self.keys.match(key)
        if identity is None:
            raise AuthError(401, "invalid_api_key", "the API key is not valid")
        return identity
