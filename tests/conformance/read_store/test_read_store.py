"""The read store itself: migrations, inserts, queries, errors and table rebuilds."""

from __future__ import annotations

import pytest

from interview_analytics.projections.store import (
    REBUILD_SUFFIX,
    Migration,
    ReadStore,
    ReadStoreError,
    load_migrations,
)

TABLES = {"meetings", "transcript_segments", "reports", "event_log", "queue_health", "dead_letters"}


def test_migrate_creates_every_table_once(read_store: ReadStore) -> None:
    assert TABLES | {"schema_migrations"} <= read_store.tables()
    assert read_store.applied_migrations() == [m.name for m in load_migrations()]
    assert read_store.migrate() == []  # already applied: nothing to do


def test_a_migration_changed_after_it_was_applied_is_refused(read_store: ReadStore) -> None:
    first = load_migrations()[0]
    changed = Migration(first.name, first.sql + "\n-- edited\n")
    with pytest.raises(ReadStoreError, match="changed after it was applied"):
        read_store.migrate([changed])


def test_migrations_apply_in_number_order(read_store: ReadStore) -> None:
    extra = Migration(
        "9999_probe", "CREATE TABLE IF NOT EXISTS {db}.probe (k String)\nENGINE = Memory;\n"
    )
    assert read_store.migrate([*load_migrations(), extra]) == ["9999_probe"]
    assert "probe" in read_store.tables()


def test_insert_and_query_round_trip_with_bound_parameters(read_store: ReadStore) -> None:
    read_store.command("CREATE TABLE probe (k String, n UInt64) ENGINE = Memory")
    assert read_store.insert("probe", [{"k": "a", "n": 1}, {"k": "b'", "n": 2}]) == 2
    rows = read_store.query_rows("SELECT k, n FROM probe WHERE k = {k:String}", {"k": "b'"})
    assert rows == [{"k": "b'", "n": 2}]
    assert read_store.insert("probe", []) == 0


def test_clickhouse_errors_become_read_store_errors(read_store: ReadStore) -> None:
    with pytest.raises(ReadStoreError, match="query failed"):
        read_store.query_rows("SELECT no_such_column FROM meetings")
    with pytest.raises(ReadStoreError, match="differ in columns"):
        read_store.insert("queue_health", [{"group_name": "a"}, {"topic": "b"}])


def test_rebuilt_tables_replace_the_live_ones(read_store: ReadStore) -> None:
    read_store.command("CREATE TABLE probe (k String) ENGINE = MergeTree ORDER BY k")
    read_store.insert("probe", [{"k": "old"}])
    read_store.create_rebuild_tables(["probe"])
    assert read_store.query_rows("SELECT k FROM probe") == [{"k": "old"}]
    read_store.insert("probe" + REBUILD_SUFFIX, [{"k": "new"}])
    read_store.swap_rebuild_tables(["probe"])
    assert read_store.query_rows("SELECT k FROM probe") == [{"k": "new"}]
    assert "probe" + REBUILD_SUFFIX not in read_store.tables()


def test_rebuild_tables_keep_the_engine_and_key(read_store: ReadStore) -> None:
    read_store.create_rebuild_tables(["transcript_segments"])
    [live, rebuild] = [
        read_store.query_rows(
            "SELECT engine_full FROM system.tables WHERE database = {db:String}"
            " AND name = {name:String}",
            {"db": read_store.database, "name": name},
        )[0]["engine_full"]
        for name in ("transcript_segments", "transcript_segments" + REBUILD_SUFFIX)
    ]
    assert live == rebuild
    assert "ReplacingMergeTree(version, is_deleted)" in live
    read_store.drop_rebuild_tables(["transcript_segments"])


def test_unknown_url_schemes_are_refused() -> None:
    with pytest.raises(ReadStoreError, match="chdb:///path or http"):
        ReadStore.connect("postgresql://localhost/x")
    with pytest.raises(ReadStoreError, match="names a directory"):
        ReadStore.connect("chdb://")
