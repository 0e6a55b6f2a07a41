"""The identity provider's signing keys (JWKS), and which key type verifies which algorithm.

:class:`JwksCache` fetches the JWK set from ``OIDC_JWKS_URL``, or finds it by OIDC
discovery (``{OIDC_ISSUER_URL}/.well-known/openid-configuration`` → ``jwks_uri``, whose
``issuer`` must be the one asked for), with httpx; documents over 1 MiB are refused
rather than buffered. Keys are cached for ``ttl_sec`` and fetched again when a token
names an unknown ``kid``, but never twice within ``min_refresh_interval_sec`` (one fetch
at a time), so tokens with made-up ``kid`` values cannot make us hammer the provider.
When it is unreachable the keys fetched before stay in use; with none at all a request
gets 503 ``auth_unavailable``. A key is offered only for the algorithm family it belongs
to (:data:`ASYMMETRIC_ALGORITHMS`: ``kty`` and, for EC, the curve).

Must not: use a JWKS key as an HMAC secret, or follow redirects.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from interview_analytics.http.identity import AuthError

log = logging.getLogger(__name__)

HMAC_ALGORITHMS = frozenset({"HS256", "HS384", "HS512"})
# Algorithm → the JWK key type (and, for EC, the curve) its verification key must have.
ASYMMETRIC_ALGORITHMS: Mapping[str, tuple[str, str | None]] = {
    "RS256": ("RSA", None),
    "RS384": ("RSA", None),
    "RS512": ("RSA", None),
    "ES256": ("EC", "P-256"),
    "ES384": ("EC", "P-384"),
    "ES512": ("EC", "P-521"),
}
SIGNING_ALGORITHMS = HMAC_ALGORITHMS | frozenset(ASYMMETRIC_ALGORITHMS)

# A JWKS or discovery document is small; a larger body is refused rather than buffered.
MAX_DOCUMENT_BYTES = 1024 * 1024
DISCOVERY_PATH = "/.well-known/openid-configuration"


class JwksError(Exception):
    """The JWKS or discovery document could not be fetched or read."""


@dataclass(eq=False, kw_only=True)
class JwksCache:
    """The identity provider's signing keys, fetched with httpx and cached.

    Keys are fetched on first use, again after ``ttl_sec``, and again when a token names
    a ``kid`` the cache lacks — but never twice within ``min_refresh_interval_sec``, and
    one fetch at a time (concurrent requests share it). A failed fetch keeps the keys
    from before; with none at all the request gets 503 ``auth_unavailable``.
    """

    jwks_url: str = ""
    issuer_url: str = ""
    ttl_sec: float = 300.0
    min_refresh_interval_sec: float = 30.0
    timeout_sec: float = 5.0
    clock: Callable[[], float] = time.monotonic
    fetches: int = field(default=0, init=False)
    """Fetch attempts so far (JWKS documents, not counting discovery)."""
    _keys: list[dict[str, Any]] | None = field(default=None, init=False)
    _fetched_at: float = field(default=-math.inf, init=False)
    _attempted_at: float = field(default=-math.inf, init=False)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)

    def __post_init__(self) -> None:
        if not (self.jwks_url or self.issuer_url):
            raise ValueError("a JWKS URL or an issuer URL is needed")

    async def signing_keys(self, algorithm: str, kid: str | None) -> list[dict[str, Any]]:
        """The JWKs that may verify a token of ``algorithm`` with ``kid``."""
        if self._keys is None or self.clock() - self._fetched_at >= self.ttl_sec:
            await self._refresh()
        found = self._select(algorithm, kid)
        if not found and kid is not None:
            # Key rotation: the provider may have published a key we have not seen yet.
            await self._refresh()
            found = self._select(algorithm, kid)
        return found

    def _select(self, algorithm: str, kid: str | None) -> list[dict[str, Any]]:
        kty, curve = ASYMMETRIC_ALGORITHMS[algorithm]
        return [
            key
            for key in self._keys or []
            if key.get("kty") == kty
            and (curve is None or key.get("crv") == curve)
            and key.get("use", "sig") == "sig"
            and key.get("alg", algorithm) == algorithm
            and (kid is None or key.get("kid", kid) == kid)
        ]

    async def _refresh(self) -> None:
        attempted = self._attempted_at
        async with self._lock:
            if self._attempted_at != attempted:
                return  # another request fetched while this one waited
            if self.clock() - self._attempted_at < self.min_refresh_interval_sec:
                if self._keys is None:
                    raise AuthError(
                        503, "auth_unavailable", "the identity provider's keys are unavailable"
                    )
                return
            self._attempted_at = self.clock()
            self.fetches += 1
            try:
                self._keys = await self._fetch_keys()
                self._fetched_at = self.clock()
            except JwksError as error:
                log.warning("cannot fetch the identity provider's JWKS: %s", error)
                if self._keys is None:
                    raise AuthError(
                        503, "auth_unavailable", "the identity provider's keys are unavailable"
                    ) from None

    async def _fetch_keys(self) -> list[dict[str, Any]]:
        async with httpx.AsyncClient(timeout=self.timeout_sec, follow_redirects=False) as client:
            if not self.jwks_url:
                self.jwks_url = await self._discover(client)
            document = await _get_json(client, self.jwks_url)
        keys = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(keys, list):
            raise JwksError(f"{self.jwks_url} is not a JWK set")
        return [key for key in keys if isinstance(key, dict)]

    async def _discover(self, client: httpx.AsyncClient) -> str:
        issuer = self.issuer_url.rstrip("/")
        document = await _get_json(client, issuer + DISCOVERY_PATH)
        if not isinstance(document, dict):
            raise JwksError("the OIDC discovery document is not an object")
        # OpenID Connect Discovery 1.0 §4.3: the document must name the issuer we asked.
        if str(document.get("issuer", "")).rstrip("/") != issuer:
            raise JwksError(
                f"the discovery document names issuer {document.get('issuer')!r}, "
                f"not {self.issuer_url!r}"
            )
        jwks_uri = document.get("jwks_uri")
        if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
            raise JwksError("the discovery document has no jwks_uri")
        return jwks_uri


async def _get_json(client: httpx.AsyncClient, url: str) -> Any:
    try:
        async with client.stream("GET", url, headers={"Accept": "application/json"}) as reply:
            if reply.status_code != 200:
                raise JwksError(f"GET {url}: HTTP {reply.status_code}")
            body = bytearray()
            async for chunk in reply.aiter_bytes():
                body += chunk
                if len(body) > MAX_DOCUMENT_BYTES:
                    raise JwksError(f"GET {url}: larger than {MAX_DOCUMENT_BYTES} bytes")
    except httpx.HTTPError as error:
        raise JwksError(f"GET {url}: {type(error).__name__}: {error}") from error
    try:
        return json.loads(bytes(body))
    except ValueError as error:
        raise JwksError(f"GET {url}: not JSON") from error
