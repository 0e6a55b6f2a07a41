"""Who is calling: the result of authentication, shared by the REST and WebSocket routes.

``Authenticator.authenticate`` turns request headers into an :class:`Identity` or raises
:class:`AuthError` (401: not authenticated; 403: authenticated but not allowed). The
guards of ``access`` decide what an identity may do, ``tenants`` which meetings it sees;
every decision, allow or deny, is audited by the caller.

Must not: read the environment (``ops/`` builds the authenticator from settings).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

IdentityKind = Literal["user", "service"]


@dataclass(frozen=True)
class Identity:
    subject: str
    """Stable id of the caller: JWT ``sub``, an API key's fingerprint, or ``anonymous``."""
    kind: IdentityKind
    auth_type: str
    """How it was authenticated: ``none``, ``api_key``, ``jwt`` or ``service_api_key``."""
    tenant: str | None = None
    """When set, a user identity only sees meetings started under the same tenant."""
    scopes: frozenset[str] = field(default_factory=frozenset)
    """OAuth scopes of a token (JWT ``scope``/``scp``); ``pii:read`` lets a user identity
    read personal data in clear (``exposure``)."""

    @property
    def is_service(self) -> bool:
        return self.kind == "service"


class AuthError(Exception):
    """A refused request; ``status`` is 401 or 403, ``code`` is machine-readable."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class Authenticator(Protocol):
    async def authenticate(self, headers: Mapping[str, str]) -> Identity:
        """The caller's identity from request headers (case-insensitive mapping)."""
        ...
