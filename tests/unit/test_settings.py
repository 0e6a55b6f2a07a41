"""Settings: defaults, validation in one message, secrets, .env, the event-store URL."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from interview_analytics.ops.event_store import EventStoreURLError, eventsourcing_env, redacted
from interview_analytics.ops.settings import Secret, Settings, SettingsError, describe, load_dotenv

REPO = Path(__file__).resolve().parents[2]


def test_defaults_need_no_environment(tmp_path: Path) -> None:
    settings = Settings.from_env({"DATA_DIR": str(tmp_path)})
    assert settings.kafka_bootstrap_servers == ""  # embedded broker
    assert settings.resolved_event_store_url == f"sqlite:///{tmp_path.resolve()}/events.sqlite3"
    assert not settings.is_production


def test_every_bad_value_is_reported_at_once() -> None:
    with pytest.raises(SettingsError) as error:
        Settings.from_env(
            {"RELAY_BATCH_SIZE": "0", "LOG_LEVEL": "loud", "KAFKA_ENABLE_IDEMPOTENCE": "perhaps"}
        )
    message = str(error.value)
    for name in ("RELAY_BATCH_SIZE", "LOG_LEVEL", "KAFKA_ENABLE_IDEMPOTENCE"):
        assert name in message


def test_production_refuses_the_embedded_defaults() -> None:
    with pytest.raises(SettingsError) as error:
        Settings.from_env({"APP_ENV": "production"})
    assert "KAFKA_BOOTSTRAP_SERVERS" in str(error.value)
    assert "EVENT_STORE_URL" in str(error.value)
    assert "AUTH_MODE" in str(error.value)
    assert "DATA_MASTER_KEY" in str(error.value)
    settings = Settings.from_env(
        {
            "APP_ENV": "prod",
            "KAFKA_BOOTSTRAP_SERVERS": "kafka:9092",
            "EVENT_STORE_URL": "postgresql://ia@db/ia",
            "AUTH_MODE": "api_key",
            "SERVICE_API_KEYS": "a-service-key-of-some-length",
            "DATA_MASTER_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
        }
    )
    assert settings.is_production


def test_secrets_stay_out_of_reprs() -> None:
    settings = Settings.from_env({"EVENT_STORE_URL": "postgresql://u:hunter2@db/x"})
    assert "hunter2" not in repr(settings)
    assert repr(Secret("")) == "Secret('')"
    assert redacted(str(settings.event_store_url)) == "postgresql://u:***@db/x"


def test_dotenv_sits_under_the_real_environment(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("# comment\nLOG_LEVEL=debug\nexport RELAY_BATCH_SIZE='50'\n\nDATA_DIR=/x\n")
    merged = load_dotenv(dotenv, {"DATA_DIR": "/real"})
    assert merged == {"LOG_LEVEL": "debug", "RELAY_BATCH_SIZE": "50", "DATA_DIR": "/real"}
    dotenv.write_text("oops\n")
    with pytest.raises(SettingsError, match=r"\.env:1"):
        load_dotenv(dotenv, {})


def test_readme_lists_every_setting() -> None:
    readme = (REPO / "README.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", readme, flags=re.MULTILINE))
    assert documented == {info.env for info in describe()}


def test_sqlite_urls(tmp_path: Path) -> None:
    env = eventsourcing_env(f"sqlite:///{tmp_path}/sub/events.db")
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite"
    assert env["SQLITE_DBNAME"] == f"{tmp_path}/sub/events.db"
    assert (tmp_path / "sub").is_dir()


def test_postgres_urls() -> None:
    env = eventsourcing_env("postgresql://app:p%40ss@db.example:6543/events?schema=ia")
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"], env["POSTGRES_DBNAME"]) == (
        "db.example",
        "6543",
        "events",
    )
    assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"], env["POSTGRES_SCHEMA"]) == (
        "app",
        "p@ss",
        "ia",
    )


@pytest.mark.parametrize("url", ["mysql://x/y", "postgresql:///nodb", "sqlite://host/x", "x"])
def test_unsupported_urls_are_refused(url: str) -> None:
    with pytest.raises(EventStoreURLError):
        eventsourcing_env(url)


@dataclass(frozen=True)
class _EdgeConfig:
    beam_size: int
    max_concurrent_decodes: int
    label: str = "edge default"


def test_a_section_fills_an_edge_config_by_prefix_in_order() -> None:
    settings = Settings.from_env({"WHISPER_BEAM_SIZE": "3", "SPEECH_MAX_CONCURRENT_DECODES": "2"})
    config = settings.section(_EdgeConfig, "whisper_", "speech_", label="given")
    assert config == _EdgeConfig(beam_size=3, max_concurrent_decodes=2, label="given")


def test_a_section_refuses_a_field_no_setting_names_unless_told_to_keep_its_default() -> None:
    settings = Settings.from_env({})
    with pytest.raises(TypeError, match="no setting for label"):
        settings.section(_EdgeConfig, "whisper_", "speech_")
    kept = settings.section(_EdgeConfig, "whisper_", "speech_", keep_defaults=("label",))
    assert kept.label == "edge default"
