"""Authentication of the front door: its configuration, and the authenticator for the mode.

``create_authenticator(AuthConfig)`` gives the :class:`~.identity.Authenticator` for the
configured ``AUTH_MODE``; ``ops/auth.py`` builds the config from the settings and refuses
one with :meth:`AuthConfig.problems`. The routes call ``authenticate(headers)``, then the
guards of ``access`` and the tenant rule of ``tenants``, and audit every outcome.

Modes, and where each is done:

- ``none`` (local development only): every request is ``Identity("anonymous", "user",
  "none")``, and the guards let ``auth_type == "none"`` through everywhere — so the admin
  API (``/v1/admin/...``) and ``/v1/ws/internal`` are usable locally without credentials.
  ``ops`` refuses ``AUTH_MODE=none`` when ``APP_ENV`` is prod/production.
- ``api_key``: ``X-API-Key`` against ``API_KEYS`` (user) and ``SERVICE_API_KEYS``
  (service), in constant time (``credentials``).
- ``jwt``: ``Authorization: Bearer <token>``, verified with ``JWT_SHARED_SECRET`` (HS*) or
  the identity provider's JWKS (RS*/ES*, ``jwks``), claims checked (``tokens``), the
  identity named by its claims (``claims``: service or user, tenant).

``auth_type`` is ``none``, ``api_key`` (a user key), ``service_api_key`` or ``jwt``.

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
Must not: read the environment, log tokens or keys, or decide what an identity may do
(``access`` and ``tenants`` do).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from jose.exceptions import JOSEError

from interview_analytics.http.claims import ClaimRules
from interview_analytics.http.credentials import ApiKeyAuthenticator, KeyRing, NoAuthenticator
from interview_analytics.http.identity import Authenticator
from interview_analytics.http.jwks import (
    ASYMMETRIC_ALGORITHMS,
    HMAC_ALGORITHMS,
    SIGNING_ALGORITHMS,
)
from interview_analytics.http.tokens import JwtAuthenticator

AuthMode = Literal["none", "api_key", "jwt"]


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
    def claim_rules(self) -> ClaimRules:
        return ClaimRules(
            self.service_claim_key,
            self.service_claim_values,
            self.service_role_claim,
            self.service_allowed_roles,
            self.tenant_claim,
        )

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
    if config.mode == "api_key":
        return ApiKeyAuthenticator(KeyRing(config.api_keys, config.service_api_keys))
    fallback = KeyRing((), config.service_api_keys)
    try:
        return JwtAuthenticator(
            config, service_keys=fallback if config.allow_service_api_key_in_jwt_mode else None
        )
    except JOSEError as error:  # e.g. a PEM key pasted as the secret: jose refuses it
        raise AuthConfigError(f"JWT_SHARED_SECRET is not usable: {error}") from None


def parse_list(value: str | Sequence[str]) -> tuple[str, ...]:
    """A comma-separated setting (or a sequence) as a tuple of trimmed, non-empty items."""
    items = value.split(",") if isinstance(value, str) else value
    return tuple(item.strip() for item in items if item.strip())
