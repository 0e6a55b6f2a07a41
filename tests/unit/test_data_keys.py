"""Data keys (crypto-shredding): the key table, key wrapping and the master key."""

from __future__ import annotations

import base64
import dataclasses
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from interview_analytics.ops.data_keys import DataKeyError, DataKeys, load_master_key
from interview_analytics.ops.settings import Settings, SettingsError
from tests.factories import unique_meeting_id


def test_a_key_is_made_once_and_then_reused(store_url: str) -> None:
    keys = DataKeys(store_url, os.urandom(32))
    meeting_id = unique_meeting_id("dk")
    assert keys.key(meeting_id, "raw_text") is None  # never made, not asked to
    made = keys.key(meeting_id, "raw_text", create=True)
    assert made is not None
    assert len(made) == 32
    assert keys.key(meeting_id, "raw_text", create=True) == made
    assert keys.key(meeting_id, "audio", create=True) not in (None, made)
    assert keys.destroyed(meeting_id) == frozenset()


def test_keys_are_stored_wrapped_and_survive_a_new_instance(store_url: str) -> None:
    master = os.urandom(32)
    meeting_id = unique_meeting_id("dk")
    made = DataKeys(store_url, master).key(meeting_id, "audio", create=True)
    assert made is not None
    assert made not in b"".join(stored_wrapped_keys(store_url))
    assert DataKeys(store_url, master, cache_sec=0).key(meeting_id, "audio") == made


def test_a_wrong_master_key_is_a_clear_error(store_url: str) -> None:
    meeting_id = unique_meeting_id("dk")
    DataKeys(store_url, os.urandom(32)).key(meeting_id, "raw_text", create=True)
    with pytest.raises(DataKeyError, match="wrong DATA_MASTER_KEY"):
        DataKeys(store_url, os.urandom(32)).key(meeting_id, "raw_text")


def test_destroy_is_idempotent_and_final(store_url: str) -> None:
    master = os.urandom(32)
    keys = DataKeys(store_url, master)
    meeting_id = unique_meeting_id("dk")
    keys.key(meeting_id, "raw_text", create=True)
    keys.key(meeting_id, "audio", create=True)
    assert keys.destroy(meeting_id, ["audio"]) == ["audio"]
    assert keys.destroyed(meeting_id) == {"audio"}
    assert keys.key(meeting_id, "audio", create=True) is None
    assert keys.key(meeting_id, "raw_text") is not None
    assert sorted(keys.destroy(meeting_id)) == ["raw_text"]
    assert keys.destroy(meeting_id) == []
    other = DataKeys(store_url, master, cache_sec=0)
    assert other.key(meeting_id, "raw_text", create=True) is None
    assert other.destroyed(meeting_id) == {"audio", "raw_text"}
    assert all(wrapped is None for wrapped in stored_wrapped_keys(store_url, meeting_id))


def test_a_key_destroyed_before_it_was_made_is_never_made(store_url: str) -> None:
    keys = DataKeys(store_url, os.urandom(32))
    meeting_id = unique_meeting_id("dk")
    assert keys.destroy(meeting_id, ["raw_text"]) == ["raw_text"]
    assert keys.key(meeting_id, "raw_text", create=True) is None


def test_an_unknown_scope_is_refused(store_url: str) -> None:
    with pytest.raises(DataKeyError, match="scope"):
        DataKeys(store_url, os.urandom(32)).key("m", "video", create=True)


def stored_wrapped_keys(url: str, meeting_id: str | None = None) -> list[bytes | None]:
    """The wrapped column of the key table, read with the store's own driver."""
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
            rows = connection.execute("SELECT meeting_id, wrapped FROM data_keys").fetchall()
    else:
        import psycopg

        base, _, schema = url.partition("?schema=")
        with psycopg.connect(base) as connection:
            connection.execute(f'SET search_path TO "{schema}"')
            rows = connection.execute("SELECT meeting_id, wrapped FROM data_keys").fetchall()
    return [
        None if wrapped is None else bytes(wrapped)
        for mid, wrapped in rows
        if meeting_id is None or mid == meeting_id
    ]


# ---------------------------------------------------------------------- master key


def test_the_master_key_is_generated_once_and_reused(tmp_path: Path) -> None:
    settings = Settings.from_env({"DATA_DIR": str(tmp_path / "data")})
    first = load_master_key(settings)
    path = tmp_path / "data" / "keys" / "master.key"
    assert len(first) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_master_key(settings) == first
    assert base64.b64decode(path.read_text()) == first


def test_a_configured_master_key_is_used_and_checked(tmp_path: Path) -> None:
    key = os.urandom(32)
    configured = production(tmp_path, base64.b64encode(key).decode())
    assert load_master_key(configured) == key
    assert not (tmp_path / "keys").exists()
    with pytest.raises(SettingsError, match="32 bytes"):
        load_master_key(production(tmp_path, base64.b64encode(b"x" * 16).decode()))
    with pytest.raises(SettingsError, match="base64"):
        load_master_key(production(tmp_path, "not base64!"))


@pytest.mark.parametrize("app_env", ["prod", "production"])
def test_production_refuses_to_run_without_a_master_key(tmp_path: Path, app_env: str) -> None:
    with pytest.raises(SettingsError, match="DATA_MASTER_KEY"):
        Settings.from_env({"DATA_DIR": str(tmp_path), "APP_ENV": app_env})
    with pytest.raises(SettingsError, match="DATA_MASTER_KEY is required"):
        load_master_key(production(tmp_path, "", app_env))
    assert not (tmp_path / "keys").exists()


def production(data_dir: Path, master_key: str, app_env: str = "production") -> Settings:
    """Production settings without the rest of production's checks (only the key matters)."""
    dev = Settings.from_env({"DATA_DIR": str(data_dir), "DATA_MASTER_KEY": master_key})
    return dataclasses.replace(dev, app_env=app_env)
