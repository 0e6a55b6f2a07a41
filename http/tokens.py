"""``AUTH_MODE=jwt``: bearer tokens verified against our keys, then their claims checked.

``Authorization: Bearer <token>``. The verification key is chosen by the token's
algorithm family, never by the token: HS256/384/512 only with ``JWT_SHARED_SECRET``;
RS*/ES* only with a JWKS key of the matching type (``jwks``). Accepted algorithms: the
signing algorithms of ``OIDC_ALGORITHMS`` (``none`` is never accepted), plus HS256 when a
shared secret is set. ``exp`` is required; ``exp``, ``nbf``, ``aud`` (when
``OIDC_AUDIENCE`` is set), ``iss`` (when ``OIDC_ISSUER_URL`` is set) are checked with
``JWT_CLOCK_SKEW_SEC`` of leeway; then ``claims.ClaimRules`` names the identity. With
``ALLOW_SERVICE_API_KEY_IN_JWT_MODE`` a request without a bearer token may use a
``SERVICE_API_KEYS`` key instead (never an ``API_KEYS`` one).

Must not: trust anything in a token before its signature is verified (the header's
``alg`` and ``kid`` only pick among our keys), or log a token.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from jose import jwk, jws
from jose.exceptions import JOSEError

from interview_analytics.http.credentials import KeyRing, bearer_token, header
from interview_analytics.http.identity import AuthError, Identity
from interview_analytics.http.jwks import HMAC_ALGORITHMS, JwksCache

if TYPE_CHECKING:
    from interview_analytics.http.auth import AuthConfig

log = logging.getLogger(__name__)

# Tokens from real identity providers are a few KiB; anything far larger is refused
# before any parsing work.
MAX_TOKEN_LENGTH = 16 * 1024


class JwtAuthenticator:
    """``AUTH_MODE=jwt``: bearer tokens, optionally service API keys as a fallback."""

    def __init__(
        self,
        config: AuthConfig,
        *,
        service_keys: KeyRing | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.service_keys = service_keys
        self.algorithms = config.accepted_algorithms
        self.clock = clock
        self.claims = config.claim_rules
        # A secret jose refuses (e.g. a PEM key pasted as the secret) raises JOSEError
        # here; ``auth.create_authenticator`` reports it as a configuration error.
        self.hmac_keys = {
            algorithm: jwk.construct(config.jwt_shared_secret, algorithm)
            for algorithm in self.algorithms & HMAC_ALGORITHMS
        }
        self.jwks = (
            JwksCache(
                jwks_url=config.oidc_jwks_url,
                issuer_url=config.oidc_issuer_url,
                ttl_sec=config.jwks_cache_ttl_sec,
                min_refresh_interval_sec=config.jwks_min_refresh_interval_sec,
                timeout_sec=config.http_timeout_sec,
            )
            if config.uses_jwks
            else None
        )

    async def authenticate(self, headers: Mapping[str, str]) -> Identity:
        token = bearer_token(headers)
        if token is None:
            key = header(headers, "x-api-key")
            if key is None:
                raise AuthError(
                    401, "missing_credentials", "send a token in 'Authorization: Bearer'"
                )
            if self.service_keys is None:
                raise AuthError(
                    401,
                    "api_key_not_accepted",
                    "this server takes bearer tokens, not X-API-Key",
                )
            identity = self.service_keys.match(key)
            if identity is None:
                raise AuthError(401, "invalid_api_key", "the API key is not a service key")
            return identity
        claims = await self.verify(token)
        return self.claims.identity(claims)

    async def verify(self, token: str) -> dict[str, Any]:
        """The token's claims once its signature and time/audience/issuer checks pass."""
        if len(token) > MAX_TOKEN_LENGTH:
            raise AuthError(401, "invalid_token", "the token is too long")
        try:
            head = jws.get_unverified_header(token)
        except (JOSEError, RecursionError):  # RecursionError: absurdly nested JSON
            raise AuthError(401, "invalid_token", "the token is not a signed JWT") from None
        if not isinstance(head, dict):
            raise AuthError(401, "invalid_token", "the token header is not an object")
        algorithm = head.get("alg")
        if not isinstance(algorithm, str) or algorithm not in self.algorithms:
            raise AuthError(
                401,
                "unsupported_algorithm",
                f"token algorithm {str(algorithm)[:20]!r} is not accepted "
                f"(accepted: {', '.join(sorted(self.algorithms))})",
            )
        if "crit" in head:
            # RFC 7515 §4.1.11: extensions we do not implement must make the token invalid.
            raise AuthError(401, "invalid_token", "the token has critical header extensions")
        kid = head.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise AuthError(401, "invalid_token", "the token's kid is not a string")
        payload = None
        for key in await self._keys(algorithm, kid):
            try:
                payload = jws.verify(token, key, algorithms=[algorithm])
                break
            except JOSEError:
                continue
        if payload is None:
            raise AuthError(401, "invalid_token", "the token's signature is not valid")
        try:
            claims = json.loads(payload)
        except (ValueError, RecursionError):
            raise AuthError(401, "invalid_token", "the token's claims are not JSON") from None
        if not isinstance(claims, dict):
            raise AuthError(401, "invalid_token", "the token's claims are not an object")
        self.check_claims(claims)
        return claims

    async def _keys(self, algorithm: str, kid: str | None) -> list[Any]:
        """Verification keys for ``algorithm`` — of its own family and no other."""
        if algorithm in HMAC_ALGORITHMS:
            # Only the shared secret: accepted_algorithms holds no HS* without one.
            return [self.hmac_keys[algorithm]]
        assert self.jwks is not None  # accepted_algorithms holds no RS*/ES* without JWKS
        found = await self.jwks.signing_keys(algorithm, kid)
        if not found:
            raise AuthError(
                401,
                "unknown_key",
                f"no {algorithm} key in the identity provider's JWKS"
                + (f" with kid {kid[:64]!r}" if kid else ""),
            )
        keys = []
        for data in found:
            try:
                keys.append(jwk.construct(data, algorithm))
            except JOSEError as error:
                log.warning("skipping an unusable JWKS key %s: %s", data.get("kid"), error)
        return keys

    def check_claims(self, claims: Mapping[str, Any]) -> None:
        """``exp`` (required), ``nbf``, ``iat``, ``aud``, ``iss``, with the clock skew."""
        now = self.clock()
        skew = self.config.clock_skew_sec
        if "exp" not in claims:
            raise AuthError(401, "token_missing_exp", "the token has no expiry (exp)")
        expires = _numeric_date(claims, "exp")
        if now > expires + skew:
            raise AuthError(401, "token_expired", "the token has expired")
        if "nbf" in claims and now < _numeric_date(claims, "nbf") - skew:
            raise AuthError(401, "token_not_yet_valid", "the token is not valid yet (nbf)")
        if "iat" in claims:
            _numeric_date(claims, "iat")
        if self.config.oidc_audience:
            audience = claims.get("aud")
            names = [audience] if isinstance(audience, str) else audience
            if not isinstance(names, list) or self.config.oidc_audience not in names:
                raise AuthError(
                    401, "invalid_audience", "the token is not meant for this service (aud)"
                )
        issuer = self.config.oidc_issuer_url
        if issuer and not _same_issuer(claims.get("iss"), issuer):
            raise AuthError(401, "invalid_issuer", "the token is from another issuer (iss)")


def _numeric_date(claims: Mapping[str, Any], name: str) -> float:
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise AuthError(401, "invalid_token", f"the token's {name} is not a number")
    return float(value)


def _same_issuer(claimed: Any, configured: str) -> bool:
    """Exact match, except for a trailing slash (providers differ in writing one)."""
    return isinstance(claimed, str) and claimed.rstrip("/") == configured.rstrip("/")
