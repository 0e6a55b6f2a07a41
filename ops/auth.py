"""Wiring of the front door's security: the authenticator and the audit sinks, from Settings.

``build_authenticator(settings)`` turns the ``AUTH_MODE``/``API_KEYS``/``OIDC_*``/``JWT_*``
settings into ``http.auth.AuthConfig`` and the authenticator for the mode; a configuration
that cannot work (api_key mode without keys, jwt mode without a key source, a key in both
key lists...) stops the process with a :class:`SettingsError` in any environment —
production refuses ``AUTH_MODE=none`` earlier, in ``Settings.from_env``.

``build_audit_sinks(settings, bootstrap_servers)`` gives the structured log line always,
plus the ``security-audit`` topic (``streams.audit_sink.KafkaAuditSink``) when a broker is
given; the API's lifespan calls ``start()`` and ``stop()`` on the result.

Must not: hold the authentication rules themselves (``http/auth.py`` and the modules it
names do), or log a key or a secret.
"""

from __future__ import annotations

from interview_analytics.http.audit import AuditSink, FanOutAuditSink, LoggingAuditSink
from interview_analytics.http.auth import (
    AuthConfig,
    AuthConfigError,
    AuthMode,
    create_authenticator,
    parse_list,
)
from interview_analytics.http.identity import Authenticator
from interview_analytics.ops.settings import Settings, SettingsError
from interview_analytics.streams.audit_sink import KafkaAuditSink

_MODES: dict[str, AuthMode] = {"none": "none", "api_key": "api_key", "jwt": "jwt"}


def auth_config(settings: Settings) -> AuthConfig:
    """JWT_*, OIDC_* and the key lists; secrets and lists converted here."""
    return settings.section(
        AuthConfig,
        "jwt_",
        "oidc_",
        "",
        mode=_MODES[settings.auth_mode],
        api_keys=parse_list(str(settings.api_keys)),
        service_api_keys=parse_list(str(settings.service_api_keys)),
        jwt_shared_secret=str(settings.jwt_shared_secret),
        clock_skew_sec=float(settings.jwt_clock_skew_sec),
    )


def build_authenticator(settings: Settings) -> Authenticator:
    try:
        return create_authenticator(auth_config(settings))
    except AuthConfigError as error:
        raise SettingsError(f"invalid auth settings: {error}") from None


def build_audit_sinks(settings: Settings, bootstrap_servers: str | None) -> FanOutAuditSink:
    """The log line, and the ``security-audit`` topic when ``bootstrap_servers`` is given."""
    sinks: list[AuditSink] = [LoggingAuditSink()]
    if bootstrap_servers:
        sinks.append(
            KafkaAuditSink(bootstrap_servers, max_queue=settings.security_audit_queue_size)
        )
    return FanOutAuditSink(sinks)
