"""Who a verified token names: its subject, whether it is a service, and its tenant.

A token is a service when ``claims[service_claim_key]`` is one of ``service_claim_values``
or ``claims[service_role_claim]`` (a list, or a space/comma separated string; a dotted
name such as ``realm_access.roles`` reaches into objects) shares a role with
``service_allowed_roles``; otherwise a user. The subject is ``sub`` (else ``azp``, else
``client_id``). With ``tenant_claim`` set, a user token must carry that claim (403
``tenant_required`` otherwise) and the identity is confined to its tenant's meetings;
services see every meeting. Its scopes are the ``scope`` claim (space separated, RFC 8693)
and the ``scp`` claim (a list, as Azure AD and Okta send it) together.

Must not: look at a token whose signature has not been verified (``tokens`` does that).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from interview_analytics.http.identity import AuthError, Identity


@dataclass(frozen=True)
class ClaimRules:
    """Which claims make a token a service, and which claim names its tenant (the
    ``JWT_SERVICE_*`` and ``JWT_TENANT_CLAIM`` settings, through ``AuthConfig``)."""

    service_claim_key: str
    service_claim_values: tuple[str, ...]
    service_role_claim: str
    service_allowed_roles: tuple[str, ...]
    tenant_claim: str
    """Empty: no tenants."""

    def is_service(self, claims: Mapping[str, Any]) -> bool:
        return bool(
            _strings(claims.get(self.service_claim_key)) & set(self.service_claim_values)
        ) or bool(
            _strings(_claim_path(claims, self.service_role_claim)) & set(self.service_allowed_roles)
        )

    def identity(self, claims: Mapping[str, Any]) -> Identity:
        """The identity of verified ``claims`` (401 without a subject, 403
        ``tenant_required`` for a user token without its tenant claim)."""
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
        is_service = self.is_service(claims)
        tenant: str | None = None
        if self.tenant_claim:
            value = _claim_path(claims, self.tenant_claim)
            if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
                tenant = str(value)
            elif not is_service:
                raise AuthError(
                    403,
                    "tenant_required",
                    f"the token has no {self.tenant_claim!r} claim naming its tenant",
                )
        scopes = frozenset(_strings(claims.get("scope")) | _strings(claims.get("scp")))
        return Identity(subject, "service" if is_service else "user", "jwt", tenant, scopes)


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
