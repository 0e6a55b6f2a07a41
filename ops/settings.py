"""The one Settings object: every environment variable the system reads, in one table.

Read once at start (``Settings.from_env``) and passed down as arguments; no other module
reads ``os.environ``. Each setting declares its name, type, default and meaning; the README
table and ``.env.example`` are checked against this list by a test. Bad values fail at start
with one message that lists every offending variable. Secrets never appear in reprs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any


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


def _optional_positive_float(raw: str) -> float | None:
    return _positive_float(raw) if raw.strip() else None


def _choice(*options: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in options:
            raise ValueError(f"expected one of {', '.join(options)}")
        return value

    return parse


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


def setting(env: str, cast: Callable[[str], Any], default: str, doc: str) -> Any:
    """Declare a field: its env name, how to parse it, the default (as text) and meaning."""
    return field(metadata={"env": env, "cast": cast, "default": default, "doc": doc})


@dataclass(frozen=True)
class Settings:
    app_env: str = setting(
        "APP_ENV",
        _choice("dev", "test", "staging", "prod", "production"),
        "dev",
        "Deployment environment; prod/production refuses the embedded broker and SQLite.",
    )
    log_level: str = setting(
        "LOG_LEVEL", _choice("debug", "info", "warning", "error"), "info", "Log level."
    )
    log_format: str = setting(
        "LOG_FORMAT", _choice("text", "json"), "text", "Log line format: text or json."
    )
    auth_mode: str = setting(
        "AUTH_MODE",
        _choice("none", "api_key", "jwt"),
        "none",
        "How API callers authenticate: none (local development: every request allowed, "
        "admin API included; refused in production), api_key (X-API-Key) or jwt (Bearer).",
    )
    api_keys: Secret = setting(
        "API_KEYS", Secret, "", "Comma-separated API keys of user identities (X-API-Key)."
    )
    service_api_keys: Secret = setting(
        "SERVICE_API_KEYS",
        Secret,
        "",
        "Comma-separated API keys of service identities (admin API, /v1/ws/internal).",
    )
    jwt_shared_secret: Secret = setting(
        "JWT_SHARED_SECRET",
        Secret,
        "",
        "HS256 secret for bearer tokens (development); empty = only JWKS-verified tokens.",
    )
    oidc_jwks_url: str = setting(
        "OIDC_JWKS_URL",
        str,
        "",
        "The identity provider's JWKS; empty = found by discovery at OIDC_ISSUER_URL.",
    )
    oidc_issuer_url: str = setting(
        "OIDC_ISSUER_URL",
        str,
        "",
        "Token issuer: iss must equal it, and {OIDC_ISSUER_URL}/.well-known/"
        "openid-configuration names the JWKS when OIDC_JWKS_URL is empty.",
    )
    oidc_audience: str = setting(
        "OIDC_AUDIENCE", str, "", "Audience tokens must name (aud); empty = not checked."
    )
    oidc_algorithms: tuple[str, ...] = setting(
        "OIDC_ALGORITHMS",
        _algorithms,
        "RS256",
        "Accepted token algorithms, comma-separated: RS*/ES* verified with the JWKS, "
        "HS* with JWT_SHARED_SECRET (HS256 is accepted whenever that is set).",
    )
    oidc_jwks_cache_ttl_sec: float = setting(
        "OIDC_JWKS_CACHE_TTL_SEC",
        _positive_float,
        "300",
        "How long fetched JWKS keys are used before they are fetched again.",
    )
    oidc_jwks_min_refresh_interval_sec: float = setting(
        "OIDC_JWKS_MIN_REFRESH_INTERVAL_SEC",
        _positive_float,
        "30",
        "Least time between two JWKS fetches (a token with an unknown kid asks for one).",
    )
    oidc_http_timeout_sec: float = setting(
        "OIDC_HTTP_TIMEOUT_SEC", _positive_float, "5", "Timeout of a JWKS or discovery request."
    )
    jwt_clock_skew_sec: int = setting(
        "JWT_CLOCK_SKEW_SEC",
        _non_negative_int,
        "30",
        "Seconds of leeway when checking a token's exp and nbf.",
    )
    jwt_service_claim_key: str = setting(
        "JWT_SERVICE_CLAIM_KEY",
        str,
        "token_type",
        "Claim that marks a service token (with one of JWT_SERVICE_CLAIM_VALUES).",
    )
    jwt_service_claim_values: tuple[str, ...] = setting(
        "JWT_SERVICE_CLAIM_VALUES",
        _csv,
        "service,client_credentials,m2m",
        "Values of JWT_SERVICE_CLAIM_KEY that make a token a service identity.",
    )
    jwt_service_role_claim: str = setting(
        "JWT_SERVICE_ROLE_CLAIM",
        str,
        "roles",
        "Claim with the token's roles (list or space/comma separated; dotted = nested).",
    )
    jwt_service_allowed_roles: tuple[str, ...] = setting(
        "JWT_SERVICE_ALLOWED_ROLES",
        _csv,
        "service,admin",
        "Roles that make a token a service identity.",
    )
    allow_service_api_key_in_jwt_mode: bool = setting(
        "ALLOW_SERVICE_API_KEY_IN_JWT_MODE",
        _bool,
        "false",
        "In jwt mode, accept a SERVICE_API_KEYS key in X-API-Key when no token is sent.",
    )
    jwt_tenant_claim: str = setting(
        "JWT_TENANT_CLAIM",
        str,
        "",
        "Claim naming a user's tenant; users then see only their tenant's meetings "
        "(and need the claim); empty = no tenants.",
    )
    security_audit_queue_size: int = setting(
        "SECURITY_AUDIT_QUEUE_SIZE",
        _positive_int,
        "10000",
        "Audit decisions waiting for the security-audit topic; beyond it they are dropped "
        "(counted and logged), never waited for.",
    )
    data_dir: Path = setting(
        "DATA_DIR",
        Path,
        "./data",
        "Where embedded state lives: SQLite event store, audio blobs, chDB files.",
    )
    event_store_url: Secret = setting(
        "EVENT_STORE_URL",
        Secret,
        "",
        "Event store: empty = sqlite:///<DATA_DIR>/events.sqlite3; or "
        "postgresql://user:password@host:port/db[?schema=name].",
    )
    event_store_cache_size: int = setting(
        "EVENT_STORE_CACHE_SIZE",
        _non_negative_int,
        "1000",
        "Meetings kept in memory between commands (fast-forwarded from the store on use; "
        "0 = reload every time).",
    )
    clickhouse_url: Secret = setting(
        "CLICKHOUSE_URL",
        Secret,
        "",
        "Read store: empty = chdb:///<DATA_DIR>/clickhouse (embedded); or "
        "http(s)://user:password@host:8123/database for a ClickHouse server.",
    )
    api_host: str = setting(
        "API_HOST",
        str,
        "127.0.0.1",
        "Address the HTTP/WebSocket API listens on (0.0.0.0 for every interface).",
    )
    api_port: int = setting(
        "API_PORT", _port, "8010", "Port of the HTTP/WebSocket API (and its /metrics)."
    )
    max_request_body_bytes: int = setting(
        "MAX_REQUEST_BODY_BYTES",
        _positive_int,
        "8388608",
        "Largest HTTP request body or WebSocket frame; larger is 413 payload_too_large.",
    )
    max_chunk_bytes: int = setting(
        "MAX_CHUNK_BYTES",
        _positive_int,
        "5242880",
        "Largest decoded audio chunk (REST or WebSocket); larger is 413 chunk_too_large.",
    )
    cors_allowed_origins: tuple[str, ...] = setting(
        "CORS_ALLOWED_ORIGINS",
        _csv,
        "",
        "Comma-separated origins allowed by CORS (* = any); empty = no CORS headers.",
    )
    read_your_writes_max_wait_ms: int = setting(
        "READ_YOUR_WRITES_MAX_WAIT_MS",
        _non_negative_int,
        "5000",
        "Longest GET /v1/meetings/{id}?min_version= waits for the read model before "
        "answering from the event store.",
    )
    kafka_bootstrap_servers: str = setting(
        "KAFKA_BOOTSTRAP_SERVERS",
        str,
        "",
        "Kafka bootstrap servers; empty = start the embedded Tansu broker.",
    )
    kafka_enable_idempotence: bool = setting(
        "KAFKA_ENABLE_IDEMPOTENCE",
        _bool,
        "false",
        "Idempotent producer (Apache Kafka only; the embedded broker does not support it).",
    )
    kafka_meeting_events_partitions: int = setting(
        "KAFKA_MEETING_EVENTS_PARTITIONS",
        _positive_int,
        "4",
        "Partitions of the meeting-events topic (created explicitly at start).",
    )
    kafka_replication_factor: int = setting(
        "KAFKA_REPLICATION_FACTOR", _positive_int, "1", "Replication factor of created topics."
    )
    embedded_broker_port: int = setting(
        "EMBEDDED_BROKER_PORT",
        _non_negative_int,
        "0",
        "Port of the embedded broker; 0 = pick a free port.",
    )
    relay_metrics_port: int = setting(
        "RELAY_METRICS_PORT",
        _non_negative_int,
        "9101",
        "Port of the relay's Prometheus /metrics; 0 = no metrics endpoint.",
    )
    relay_batch_size: int = setting(
        "RELAY_BATCH_SIZE",
        _positive_int,
        "500",
        "Events the relay reads from the store and publishes per batch.",
    )
    relay_poll_interval_sec: float = setting(
        "RELAY_POLL_INTERVAL_SEC",
        _positive_float,
        "0.1",
        "How often the relay polls the notification log when it is idle.",
    )
    relay_broker_check_interval_sec: float = setting(
        "RELAY_BROKER_CHECK_INTERVAL_SEC",
        _positive_float,
        "2.0",
        "How often the relay checks whether the broker was replaced (cluster id).",
    )

    kafka_profile: str = setting(
        "KAFKA_PROFILE",
        _choice("", "embedded", "kafka"),
        "",
        "Client tuning profile: embedded (Tansu: short group timeouts) or kafka; "
        "empty = embedded when KAFKA_BOOTSTRAP_SERVERS is empty.",
    )
    faust_session_timeout_sec: float | None = setting(
        "FAUST_SESSION_TIMEOUT_SEC",
        _optional_positive_float,
        "",
        "Consumer-group session timeout of the workers; empty = 6 embedded, 30 kafka.",
    )
    faust_rebalance_timeout_sec: float | None = setting(
        "FAUST_REBALANCE_TIMEOUT_SEC",
        _optional_positive_float,
        "",
        "Rebalance timeout of the workers; empty = 6 embedded, 60 kafka.",
    )
    faust_commit_interval_sec: float = setting(
        "FAUST_COMMIT_INTERVAL_SEC",
        _positive_float,
        "1.0",
        "How often workers commit consumed offsets.",
    )
    whisper_model_size: str = setting(
        "WHISPER_MODEL_SIZE",
        str,
        "tiny.en",
        "Speech model: a faster-whisper size name or a model path; tiny.en is bundled.",
    )
    whisper_device: str = setting(
        "WHISPER_DEVICE", _choice("cpu", "cuda", "auto"), "cpu", "Device for speech recognition."
    )
    whisper_compute_type: str = setting(
        "WHISPER_COMPUTE_TYPE",
        str,
        "int8",
        "CTranslate2 compute type (int8, int8_float16, float16, float32).",
    )
    whisper_cpu_threads: int = setting(
        "WHISPER_CPU_THREADS",
        _non_negative_int,
        "0",
        "Threads per decode; 0 = CPU cores / SPEECH_MAX_CONCURRENT_DECODES.",
    )
    whisper_beam_size: int = setting(
        "WHISPER_BEAM_SIZE", _positive_int, "5", "Beam size of the final transcription pass."
    )
    whisper_draft_beam_size: int = setting(
        "WHISPER_DRAFT_BEAM_SIZE", _positive_int, "1", "Beam size of live draft transcriptions."
    )
    whisper_vad_filter: bool = setting(
        "WHISPER_VAD_FILTER", _bool, "false", "Skip non-speech with Silero VAD before decoding."
    )
    whisper_language: str = setting(
        "WHISPER_LANGUAGE",
        str,
        "",
        "Default meeting language; empty = en for English-only models, ru otherwise.",
    )
    speech_max_concurrent_decodes: int = setting(
        "SPEECH_MAX_CONCURRENT_DECODES",
        _positive_int,
        "1",
        "Transcriptions running at once in one transcriber process.",
    )
    draft_context_sec: float = setting(
        "DRAFT_CONTEXT_SEC",
        _positive_float,
        "8",
        "Seconds of preceding audio decoded with each live chunk (rolling context).",
    )
    pii_masking: bool = setting(
        "PII_MASKING",
        _bool,
        "true",
        "Mask e-mails, phones, cards, passports, INN and SNILS in the enhanced transcript.",
    )
    report_rubric_path: str = setting(
        "REPORT_RUBRIC_PATH",
        str,
        "",
        "Competency rubric (JSON); empty = the bundled ops/config/rubric.json.",
    )
    llm_base_url: str = setting(
        "LLM_BASE_URL",
        str,
        "",
        "OpenAI-compatible endpoint (…/v1) for an optional narrative in final reports; "
        "empty = off.",
    )
    llm_api_key: Secret = setting("LLM_API_KEY", Secret, "", "API key for LLM_BASE_URL.")
    llm_model: str = setting("LLM_MODEL", str, "gpt-4o-mini", "Model name sent to LLM_BASE_URL.")
    llm_timeout_sec: float = setting(
        "LLM_TIMEOUT_SEC", _positive_float, "30", "Timeout of one narrative request."
    )
    stage_max_attempts: int = setting(
        "STAGE_MAX_ATTEMPTS",
        _positive_int,
        "3",
        "Tries per message before a stage dead-letters it.",
    )
    stage_retry_backoff_sec: float = setting(
        "STAGE_RETRY_BACKOFF_SEC",
        _positive_float,
        "0.5",
        "First retry delay of a failed stage; doubles each try.",
    )
    transcriber_metrics_port: int = setting(
        "TRANSCRIBER_METRICS_PORT",
        _non_negative_int,
        "9102",
        "Prometheus port of the transcriber worker; 0 = none.",
    )
    enhancer_metrics_port: int = setting(
        "ENHANCER_METRICS_PORT",
        _non_negative_int,
        "9103",
        "Prometheus port of the enhancer worker; 0 = none.",
    )
    reporter_metrics_port: int = setting(
        "REPORTER_METRICS_PORT",
        _non_negative_int,
        "9104",
        "Prometheus port of the reporter worker; 0 = none.",
    )
    projector_metrics_port: int = setting(
        "PROJECTOR_METRICS_PORT",
        _non_negative_int,
        "9105",
        "Prometheus port of the projector when it runs as its own process; 0 = none.",
    )
    projector_batch_size: int = setting(
        "PROJECTOR_BATCH_SIZE",
        _positive_int,
        "2000",
        "Most messages the projector folds and inserts as one batch.",
    )
    projector_flush_interval_sec: float = setting(
        "PROJECTOR_FLUSH_INTERVAL_SEC",
        _positive_float,
        "0.25",
        "Longest a message waits in a partial projector batch before it is inserted.",
    )
    queue_health_interval_sec: float = setting(
        "QUEUE_HEALTH_INTERVAL_SEC",
        _positive_float,
        "5",
        "How often the projector samples every consumer group's lag into queue_health.",
    )

    # ---------------------------------------------------------------- meeting connector
    meeting_connector_provider: str = setting(
        "MEETING_CONNECTOR_PROVIDER",
        _choice("sberjazz", "none"),
        "sberjazz",
        "Meeting platform the connector joins (sberjazz), or none to turn the connector off.",
    )
    meeting_auto_join_on_start: bool = setting(
        "MEETING_AUTO_JOIN_ON_START",
        _bool,
        "false",
        "Join the connector to every realtime meeting when it starts (a start request can "
        "also ask with auto_join_connector).",
    )
    sberjazz_api_base: str = setting(
        "SBERJAZZ_API_BASE",
        str,
        "",
        "Base URL of the SberJazz platform API; empty = connector not configured.",
    )
    sberjazz_api_token: Secret = setting(
        "SBERJAZZ_API_TOKEN", Secret, "", "Bearer token for the SberJazz platform API."
    )
    sberjazz_timeout_sec: float = setting(
        "SBERJAZZ_TIMEOUT_SEC", _positive_float, "10", "Timeout of one platform API call."
    )
    sberjazz_retries: int = setting(
        "SBERJAZZ_RETRIES",
        _non_negative_int,
        "3",
        "Retries of a platform call that failed with a retryable error (timeout, 429, 5xx).",
    )
    sberjazz_retry_backoff_ms: int = setting(
        "SBERJAZZ_RETRY_BACKOFF_MS",
        _positive_int,
        "200",
        "Base of the exponential retry backoff (full jitter), milliseconds.",
    )
    sberjazz_force_ipv4: bool = setting(
        "SBERJAZZ_FORCE_IPV4",
        _bool,
        "false",
        "Connect to the platform over IPv4 only (networks with broken IPv6 routes).",
    )
    sberjazz_breaker_failures: int = setting(
        "SBERJAZZ_BREAKER_FAILURES",
        _positive_int,
        "5",
        "Consecutive platform failures that open the circuit breaker.",
    )
    sberjazz_breaker_reset_sec: float = setting(
        "SBERJAZZ_BREAKER_RESET_SEC",
        _positive_float,
        "30",
        "How long an open circuit breaker refuses calls before one trial call.",
    )
    sberjazz_session_ttl_sec: float = setting(
        "SBERJAZZ_SESSION_TTL_SEC",
        _positive_float,
        "14400",
        "Longest a connector session lives: older connected sessions are left, and sessions "
        "that could not be (re)joined within it are marked failed.",
    )
    sberjazz_reconcile_stale_sec: float = setting(
        "SBERJAZZ_RECONCILE_STALE_SEC",
        _positive_float,
        "30",
        "A connected session with no audio and no heartbeat for this long is stale and is "
        "reconnected.",
    )
    sberjazz_pull_interval_sec: float = setting(
        "SBERJAZZ_PULL_INTERVAL_SEC",
        _positive_float,
        "1",
        "How often the reconciliation worker pulls live audio of connected sessions.",
    )
    sberjazz_pull_limit: int = setting(
        "SBERJAZZ_PULL_LIMIT",
        _positive_int,
        "50",
        "Most chunks asked for in one live-chunks call.",
    )
    reconciliation_enabled: bool = setting(
        "RECONCILIATION_ENABLED",
        _bool,
        "true",
        "Run the reconciliation worker (live audio pull, stale-session reconnects).",
    )
    reconciliation_interval_sec: float = setting(
        "RECONCILIATION_INTERVAL_SEC",
        _positive_float,
        "10",
        "How often the reconciliation worker looks for stale or waiting sessions.",
    )
    reconciliation_limit: int = setting(
        "RECONCILIATION_LIMIT",
        _positive_int,
        "200",
        "Most sessions one reconciliation pass looks at.",
    )
    reconciler_metrics_port: int = setting(
        "RECONCILER_METRICS_PORT",
        _non_negative_int,
        "9106",
        "Prometheus port of the reconciliation worker when it runs as its own process; 0 = none.",
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        source = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        problems: list[str] = []
        for f in fields(cls):
            meta = f.metadata
            raw = source.get(meta["env"], meta["default"])
            try:
                values[f.name] = meta["cast"](raw)
            except ValueError as error:
                problems.append(f"{meta['env']}={raw!r}: {error}")
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

    @property
    def resolved_clickhouse_url(self) -> str:
        if self.clickhouse_url:
            return str(self.clickhouse_url)
        return f"chdb:///{(self.data_dir / 'clickhouse').resolve()}"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

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
    return [
        SettingInfo(f.name, f.metadata["env"], f.metadata["default"], f.metadata["doc"])
        for f in fields(Settings)
    ]


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
