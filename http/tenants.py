"""The tenant rule: a user identity with a tenant sees, and feeds, only its tenant's meetings.

Services, users without a tenant (no ``JWT_TENANT_CLAIM`` configured, API keys) and
``AUTH_MODE=none`` see every meeting; a meeting without a tenant is not a tenant's. To a
confined caller another tenant's meeting is 404, exactly like one that does not exist (a
403 would tell it that the id is in use).

Must not: decide who the caller is (``identity``) or which kind may call a route
(``access``).
"""

from __future__ import annotations

from interview_analytics.domain.errors import MeetingNotFoundError
from interview_analytics.domain.meeting import Meeting
from interview_analytics.http.identity import AuthError, Identity
from interview_analytics.http.ports import MeetingCommands


def tenant_scope(identity: Identity) -> str | None:
    """The tenant a caller is confined to: None for services, users without a tenant and
    ``AUTH_MODE=none``."""
    if identity.auth_type == "none" or identity.is_service:
        return None
    return identity.tenant


def can_see_meeting(identity: Identity, meeting_tenant: str | None) -> bool:
    return tenant_scope(identity) in (None, meeting_tenant)


def ensure_can_see_meeting(identity: Identity, meeting_tenant: str | None) -> None:
    """:func:`can_see_meeting`, as a 403 ``forbidden_tenant``."""
    if not can_see_meeting(identity, meeting_tenant):
        raise AuthError(403, "forbidden_tenant", "this meeting belongs to another tenant")


def require_visible(identity: Identity, meeting_id: str, tenant: str | None) -> None:
    """404 ``meeting_not_found`` for a meeting the caller may not see."""
    if not can_see_meeting(identity, tenant):
        raise MeetingNotFoundError("meeting not found", meeting_id=meeting_id)


async def load_visible(commands: MeetingCommands, identity: Identity, meeting_id: str) -> Meeting:
    """The meeting from the write model, when the caller may see it (else 404) and it is
    not erased (else 410 ``meeting_erased``: an erased meeting shows nothing)."""
    meeting = await commands.load(meeting_id)
    require_visible(identity, meeting_id, meeting.tenant)
    meeting.refuse_if_erased()
    return meeting


async def confine(commands: MeetingCommands, identity: Identity, meeting_id: str) -> None:
    """Before a command: refuse (404) a confined caller's command on a meeting that is not
    its tenant's; for everyone else nothing is loaded."""
    if tenant_scope(identity) is not None:
        await load_visible(commands, identity, meeting_id)
