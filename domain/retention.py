"""Retention rules: how long a meeting's audio, raw text and the meeting itself are kept.

A ``RetentionPolicy`` gives days per scope (0 = keep for ever); ``RetentionRules`` holds the
deployment's policy and per-tenant overrides of any of its fields. Ages are measured from a
meeting's last activity (its start, newest chunk or finish, by their events' times), so a
meeting still receiving audio is never shredded under it. ``due`` says, at ``now``, which
actions a meeting is due: ``erase`` (the whole meeting) wins over the two shredding scopes,
and a scope already applied is never due again.

Must not: read a clock (``now`` is passed in), do I/O, or act on what it decides.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from typing import Any

from interview_analytics.domain.errors import InvalidCommandError

AUDIO = "audio"
RAW_TEXT = "raw_text"
ERASE = "erase"
"""The action that erases the whole meeting (RETENTION_MEETING_DAYS)."""


@dataclass(frozen=True)
class RetentionPolicy:
    audio_days: int = 0
    raw_text_days: int = 0
    meeting_days: int = 0

    def __post_init__(self) -> None:
        for name in ("audio_days", "raw_text_days", "meeting_days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidCommandError(f"{name} must be an integer >= 0", **{name: value})

    def days(self, action: str) -> int:
        return {AUDIO: self.audio_days, RAW_TEXT: self.raw_text_days, ERASE: self.meeting_days}[
            action
        ]


@dataclass(frozen=True)
class Due:
    action: str
    """``erase``, ``audio`` or ``raw_text``."""
    days: int


@dataclass(frozen=True)
class RetentionRules:
    default: RetentionPolicy = RetentionPolicy()
    tenants: Mapping[str, RetentionPolicy] = field(default_factory=dict)

    @classmethod
    def with_overrides(
        cls, default: RetentionPolicy, overrides: Mapping[str, Mapping[str, Any]]
    ) -> RetentionRules:
        """``overrides``: ``{"tenant": {"audio_days": 7}}``; fields not named keep the
        default's. Unknown fields are refused."""
        known = {f.name for f in fields(RetentionPolicy)}
        tenants = {}
        for tenant, values in overrides.items():
            if not isinstance(values, Mapping) or set(values) - known:
                raise InvalidCommandError(
                    f"retention override of {tenant!r} may set only {sorted(known)}",
                    tenant=tenant,
                )
            tenants[tenant] = replace(default, **values)
        return cls(default, tenants)

    def for_tenant(self, tenant: str | None) -> RetentionPolicy:
        if tenant is None:
            return self.default
        return self.tenants.get(tenant, self.default)

    @property
    def keeps_everything(self) -> bool:
        policies = [self.default, *self.tenants.values()]
        return all(p == RetentionPolicy() for p in policies)

    def due(
        self,
        tenant: str | None,
        last_activity: datetime,
        now: datetime,
        applied: Collection[str] = (),
    ) -> list[Due]:
        """What is due for a meeting of ``tenant`` last active at ``last_activity``."""
        policy = self.for_tenant(tenant)
        if policy.meeting_days and now >= last_activity + timedelta(days=policy.meeting_days):
            return [Due(ERASE, policy.meeting_days)]
        return [
            Due(action, policy.days(action))
            for action in (AUDIO, RAW_TEXT)
            if action not in applied
            and policy.days(action)
            and now >= last_activity + timedelta(days=policy.days(action))
        ]
