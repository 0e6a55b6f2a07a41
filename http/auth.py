"""Authentication of the front door: ``AUTH_MODE`` none, api_key or jwt, and the route guards.

``create_authenticator(AuthConfig)`` gives the :class:`~.identity.Authenticator` for the
configured mode; ``ops/auth.py`` builds the config from the settings. The routes call
``authenticate(headers)``, then :func:`authorize` (user / service / any) and
:func:`can_see_meeting` (tenant rule), and audit every outcome.

Modes:

- ``none`` (local development only): every request is ``Identity("anonymous", "user",
  "none")``, and the guards let ``auth_type == "none"`` through everywhere — so the admin
  API (``/v1/admin/...``) and ``/v1/ws/internal`` are usable locally without credentials.
  ``ops`` refuses ``AUTH_MODE=none`` when ``APP_ENV`` is prod/production.
- ``api_key``: ``X-API-Key`` is compared with every key of ``API_KEYS`` (user) and
  ``SERVICE_API_KEYS`` (service) in constant time — the SHA-256 digests are compared with
  ``hmac.compare_digest`` and the loop never stops early, so neither the key's length nor
  which list it is in shows in the timing. The identity's subject is ``key:`` plus a short
  SHA-256 fingerprint of the key, never the key.
- ``jwt``: ``Authorization: Bearer <token>``. The verification key is chosen by the
  token's algorithm family, never by the token: HS256/384/512 only with
  ``JWT_SHARED_SECRET``; RS*/ES* only with a JWKS key of the matching type (``kty`` RSA/EC,
  and the EC curve of the algorithm) from ``OIDC_JWKS_URL`` or OIDC discovery
  (``{OIDC_ISSUER_URL}/.well-known/openid-configuration`` → ``jwks_uri``). A JWKS key is
  never used as an HMAC secret, so an HS256 token "signed" with the RSA public key fails.
  Accepted algorithms: the signing algorithms of ``OIDC_ALGORITHMS`` (``none`` is never
  accepted), plus HS256 when a shared secret is set. ``exp`` is required; ``exp``, ``nbf``,
  ``aud`` (when ``OIDC_AUDIENCE`` is set), ``iss`` (when ``OIDC_ISSUER_URL`` is set) are
  checked with ``JWT_CLOCK_SKEW_SEC`` of leeway. The JWKS is cached for
  ``jwks_cache_ttl_sec`` and fetched again when a token names an unknown ``kid``; every
  fetch, refresh or not, waits ``jwks_min_refresh_interval_sec`` after the previous one,
  so tokens with made-up ``kid`` values cannot make us hammer the identity provider. When
  the provider is unreachable, the keys fetched before stay in use.
  With ``ALLOW_SERVICE_API_KEY_IN_JWT_MODE`` a request without a bearer token may use a
  ``SERVICE_API_KEYS`` key instead (never an ``API_KEYS`` one).

Identities: a token is a service when ``claims[service_claim_key]`` is one of
``service_claim_values`` or ``claims[service_role_claim]`` (a list, or a space/comma
separated string; a dotted name such as ``realm_access.roles`` reaches into objects)
shares a role with ``service_allowed_roles``; otherwise a user. The subject is ``sub``
(else ``azp``, else ``client_id``). With ``tenant_claim`` set, a user token must carry that
claim (``tenant_required`` otherwise) and the identity is confined to its tenant's
meetings; services see every meeting. ``auth_type`` is ``none``, ``api_key`` (a user
key), ``service_api_key`` or ``jwt``.

Error codes (``AuthError.code``; 401 = not authenticated, 403 = authenticated but not
allowed, 503 = the identity provider cannot be reached and no keys are cached):

=============================  ======  ==============================================
``missing_credentials``        401     no ``X-API-Key`` / bearer token for this mode
``invalid_authorization``      401     ``Authorization`` is not ``Bearer <token>``
``invalid_api_key``            401     the key is not one of the configured keys
``api_key_not_accepted``       401     a key sent in jwt mode without the service-key
                                       fallback
``invalid_token``              401     not a JWS, bad signature, malformed claims, no
                                       subject
``unsupported_algorithm``      401     ``alg`` is none, not configured, or has no key
                                       of its family (e.g. HS256 without a secret)
``unknown_key``                401     no JWKS key for the token's ``kid`` (after a
                                       refetch)
``token_expired``              401     ``exp`` + skew is past
``token_not_yet_valid``        401     ``nbf`` - skew is in the future
``token_missing_exp``          401     the token has no ``exp``
``invalid_audience``           401     ``aud`` does not name ``OIDC_AUDIENCE``
``invalid_issuer``             401     ``iss`` is not ``OIDC_ISSUER_URL``
``tenant_required``            403     a user token without the tenant claim
``forbidden_identity_kind``    403     a user on a service route or the reverse
``forbidden_tenant``           403     a meeting of another tenant
``auth_unavailable``           503     JWKS/discovery unreachable, no cached keys
=============================  ======  ==============================================

Must not: read the environment, log tokens or keys, or trust anything in a token before
its signature is verified (the header's ``alg`` and ``kid`` only pick among our keys).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
from jose import jwk, jws
from jose.exceptions import JOSEError

from interview_analytics.http.identity import Authenticator, AuthError, Identity

log = logging.getLogger(__name__)

AuthMode = Literal["none", "api_key", "jwt"]
Need = Literal["any", "user", "service"]

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

ANONYMOUS = "anonymous"
# Tokens from real identity providers are a few KiB; anything far larger is refused
# before any parsing work.
MAX_TOKEN_LENGTH = 16 * 1024
# A JWKS or discovery document is small; a larger body is refused rather than buffered.
MAX_DOCUMENT_BYTES = 1024 * 1024
DISCOVERY_PATH = "/.well-known/openid-configuration"


@dataclass(frozen=True)
class AuthConfig:
    """How requests are authenticated; built by ``ops/auth.py`` from the settings."""

    mode: AuthMode = "none"
    api_keys: tuple[str, ...] = field(default=(), repr=False)
    service_api_keys: tuple[str, ...] = field(default=(), repr=False)
    jwt_shared_secret: str = field(default="", repr=False)
    oidc_jwks_url: str = ""
    oidc_issuer_url: str = ""
    oidc_audience: str = ""
    oidc_algorithms: tuple[str, ...] = ("RS256",)
    clock_skew_sec: float = 30.0
    service_claim_key: str = "token_type"
    service_claim_values: tuple[str, ...] = ("service", "client_credentials", "m2m")
    service_role_claim: str = "roles"
    service_allowed_roles: tuple[str, ...] = ("service", "admin")
    tenant_claim: str = ""
    allow_service_api_key_in_jwt_mode: bool = False
    jwks_cache_ttl_sec: float = 300.0
    jwks_min_refresh_interval_sec: float = 30.0
    http_timeout_sec: float = 5.0

    @property
    def uses_jwks(self) -> bool:
        return bool(self.oidc_jwks_url or self.oidc_issuer_url)

    @property
    def accepted_algorithms(self) -> frozenset[str]:
        """Algorithms a token may use: configured ones that have a key source."""
        chosen = {a for a in self.oidc_algorithms if a in SIGNING_ALGORITHMS}
        if self.jwt_shared_secret:
            chosen.add("HS256")
        else:
            chosen -= HMAC_ALGORITHMS
        if not self.uses_jwks:
            chosen -= set(ASYMMETRIC_ALGORITHMS)
        return frozenset(chosen)

    def problems(self) -> list[str]:
        """What makes this configuration unusable, in the settings' words."""
        problems: list[str] = []
        for algorithm in self.oidc_algorithms:
            if algorithm not in SIGNING_ALGORITHMS:
                problems.append(
                    f"OIDC_ALGORITHMS: {algorithm!r} is not a signing algorithm "
                    f"({', '.join(sorted(SIGNING_ALGORITHMS))})"
                )
        both = set(self.api_keys) & set(self.service_api_keys)
        if both:
            problems.append(f"{len(both)} key(s) are in both API_KEYS and SERVICE_API_KEYS")
        if self.mode == "api_key" and not (self.api_keys or self.service_api_keys):
            problems.append("AUTH_MODE=api_key needs API_KEYS or SERVICE_API_KEYS")
        if self.mode == "jwt":
            if not (self.jwt_shared_secret or self.uses_jwks):
                problems.append(
                    "AUTH_MODE=jwt needs JWT_SHARED_SECRET or OIDC_JWKS_URL / OIDC_ISSUER_URL"
                )
            elif not self.accepted_algorithms:
                problems.append(
                    "AUTH_MODE=jwt: no algorithm of OIDC_ALGORITHMS has a key source "
                    "(HS* needs JWT_SHARED_SECRET, RS*/ES* need OIDC_JWKS_URL or "
                    "OIDC_ISSUER_URL)"
                )
            if self.allow_service_api_key_in_jwt_mode and not self.service_api_keys:
                problems.append("ALLOW_SERVICE_API_KEY_IN_JWT_MODE needs SERVICE_API_KEYS")
        return problems


class AuthConfigError(ValueError):
    """The auth configuration cannot work; the message lists every problem."""


def create_authenticator(config: AuthConfig) -> Authenticator:
    """The authenticator for ``config.mode``; refuses a configuration with problems."""
    problems = config.problems()
    if problems:
        raise AuthConfigError("; ".join(problems))
    if config.mode == "none":
        return NoAuthenticator()
    keys = KeyRing(config.api_keys, config.service_api_keys)
    if config.mode == "api_key":
        return ApiKeyAuthenticator(keys)
    fallback = KeyRing((), config.service_api_keys)
    return JwtAuthenticator(
        config, service_keys=fallback if config.allow_service_api_key_in_jwt_mode else None
    )


# ---------------------------------------------------------------------- guards


def authorize(identity: Identity, need: Need) -> None:
    """Refuse (403 ``forbidden_identity_kind``) an identity of the wrong kind.

    ``need`` is ``any`` (user or service), ``user`` (``/v1/ws``) or ``service`` (admin
    routes, ``/v1/ws/internal``). ``AUTH_MODE=none`` identities pass every guard: that is
    how the admin API stays usable locally without credentials.
    """
    if need == "any" or identity.auth_type == "none" or identity.kind == need:
        return
    raise AuthError(
        403,
        "forbidden_identity_kind",
        f"this endpoint needs a {need} identity; the caller is a {identity.kind}",
    )


def can_see_meeting(identity: Identity, meeting_tenant: str | None) -> bool:
    """The tenant rule: a user with a tenant sees only that tenant's meetings.

    Services, users without a tenant (no tenant claim configured, API keys) and
    ``AUTH_MODE=none`` see every meeting. A meeting without a tenant is not a tenant's.
    """
    if identity.auth_type == "none" or identity.is_service or identity.tenant is None:
        return True
    return meeting_tenant == identity.tenant


def ensure_can_see_meeting(identity: Identity, meeting_tenant: str | None) -> None:
    """:func:`can_see_meeting`, as a 403 ``forbidden_tenant``."""
    if not can_see_meeting(identity, meeting_tenant):
        raise AuthError(403, "forbidden_tenant", "this meeting belongs to another tenant")


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


# ---------------------------------------------------------------------- headers


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


# ---------------------------------------------------------------------- none


class NoAuthenticator:
    """``AUTH_MODE=none``: everyone is the anonymous user (guards let it through)."""

    async def authenticate(self, headers: Mapping[str, str]) -> Identity:
        return Identity(ANONYMOUS, "user", "none")


# ---------------------------------------------------------------------- API keys


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


# ---------------------------------------------------------------------- JWT


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
        try:
            self.hmac_keys = {
                algorithm: jwk.construct(config.jwt_shared_secret, algorithm)
                for algorithm in self.algorithms & HMAC_ALGORITHMS
            }
        except JOSEError as error:  # e.g. a PEM key pasted as the secret: jose refuses it
            raise AuthConfigError(f"JWT_SHARED_SECRET is not usable: {error}") from None
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
        return self.identity(claims)

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

    def identity(self, claims: Mapping[str, Any]) -> Identity:
        subject = next(
            (
                claims[name]
                for name in ("sub", "azp", "client_id")
                if isinstance(claims.get(name), str) and claims[name]
            ),
            None,
        )
        if subject is None:
            raise AuthError(401, "invalid_token", "the token names no subject (sub)")
        config = self.config
        is_service = bool(
            _strings(claims.get(config.service_claim_key)) & set(config.service_claim_values)
        ) or bool(
            _strings(_claim_path(claims, config.service_role_claim))
            & set(config.service_allowed_roles)
        )
        tenant: str | None = None
        if config.tenant_claim:
            value = _claim_path(claims, config.tenant_claim)
            if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
                tenant = str(value)
            elif not is_service:
                raise AuthError(
                    403,
                    "tenant_required",
                    f"the token has no {config.tenant_claim!r} claim naming its tenant",
                )
        return Identity(subject, "service" if is_service else "user", "jwt", tenant)


def _numeric_date(claims: Mapping[str, Any], name: str) -> float:
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise AuthError(401, "invalid_token", f"the token's {name} is not a number")
    return float(value)


def _same_issuer(claimed: Any, configured: str) -> bool:
    """Exact match, except for a trailing slash (providers differ in writing one)."""
    return isinstance(claimed, str) and claimed.rstrip("/") == configured.rstrip("/")


def _claim_path(claims: Mapping[str, Any], path: str) -> Any:
    """``claims[path]``, or for a dotted path (``realm_access.roles``) the nested value."""
    if not path:
        return None
    if path in claims:
        return claims[path]
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _strings(value: Any) -> set[str]:
    """A claim as a set of words: a list of strings, or a space/comma separated string."""
    if isinstance(value, str):
        return {word for word in re.split(r"[\s,]+", value) if word}
    if isinstance(value, list | tuple):
        return {item for item in value if isinstance(item, str)}
    return set()


# ---------------------------------------------------------------------- JWKS


class JwksError(Exception):
    """The JWKS or discovery document could not be fetched or read."""


class JwksCache:
    """The identity provider's signing keys, fetched with httpx and cached.

    Keys are fetched on first use, again after ``ttl_sec``, and again when a token names
    a ``kid`` the cache lacks — but never twice within ``min_refresh_interval_sec``, and
    one fetch at a time (concurrent requests share it). A failed fetch keeps the keys
    from before; with none at all the request gets 503 ``auth_unavailable``.
    """

    def __init__(
        self,
        *,
        jwks_url: str = "",
        issuer_url: str = "",
        ttl_sec: float = 300.0,
        min_refresh_interval_sec: float = 30.0,
        timeout_sec: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not (jwks_url or issuer_url):
            raise ValueError("a JWKS URL or an issuer URL is needed")
        self.jwks_url = jwks_url
        self.issuer_url = issuer_url
        self.ttl_sec = ttl_sec
        self.min_refresh_interval_sec = min_refresh_interval_sec
        self.timeout_sec = timeout_sec
        self.clock = clock
        self.fetches = 0
        """Fetch attempts so far (JWKS documents, not counting discovery)."""
        self._keys: list[dict[str, Any]] | None = None
        self._fetched_at = -math.inf
        self._attempted_at = -math.inf
        self._lock = asyncio.Lock()

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


def parse_list(value: str | Sequence[str]) -> tuple[str, ...]:
    """A comma-separated setting (or a sequence) as a tuple of trimmed, non-empty items."""
    items = value.split(",") if isinstance(value, str) else value
    return tuple(item.strip() for item in items if item.strip())
