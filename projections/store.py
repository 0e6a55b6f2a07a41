"""The read store: ClickHouse through ``clickhouse-connect``, embedded (chDB) or a server.

``ReadStore.connect("chdb:///path/to/dir")`` runs ClickHouse in this process (chDB; one
process per directory, and one directory per process at a time), ``ReadStore.connect(
"http://user:password@host:8123")`` talks to a server; the same SQL runs on both. It
creates the database, applies ``migrations/NNNN_<what>.sql`` in order (recorded in
``schema_migrations``), inserts batches of row dicts, runs queries and commands, and
rebuilds tables for a replay: ``<table>__rebuild`` copies swapped in with ``EXCHANGE
TABLES``, so readers never see an empty table.

Every ``clickhouse-connect`` error is translated into :class:`ReadStoreError` here, at the
edge. Must not: know what a meeting is, read the environment, or build rows.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import clickhouse_connect
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import ClickHouseError

MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")
MIGRATIONS_TABLE = "schema_migrations"
REBUILD_SUFFIX = "__rebuild"
RETIRED_SUFFIX = "__retired"
DEFAULT_DATABASE = "ia"

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MIGRATION_NAME = re.compile(r"(\d{4})_[a-z0-9_]+\.sql")
_STATEMENT_END = re.compile(r";[ \t]*(?:\n|$)")


class ReadStoreError(Exception):
    """The read store refused or failed a request (connection, SQL, migration)."""


@dataclass(frozen=True)
class Migration:
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()

    def statements(self, database: str) -> list[str]:
        """The file's statements, ``{db}`` replaced by the quoted database name."""
        text = "\n".join(
            line for line in self.sql.splitlines() if not line.lstrip().startswith("--")
        )
        text = text.replace("{db}", quote_identifier(database))
        return [part.strip() for part in _STATEMENT_END.split(text) if part.strip()]


def load_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """``NNNN_<what>.sql`` files, in number order; a repeated number is an error."""
    found: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _MIGRATION_NAME.fullmatch(path.name)
        if match is None:
            raise ReadStoreError(f"migration file name must be NNNN_<what>.sql: {path.name}")
        number = int(match.group(1))
        if number in found:
            raise ReadStoreError(f"two migrations numbered {number:04d}")
        found[number] = Migration(path.stem, path.read_text(encoding="utf-8"))
    return [found[number] for number in sorted(found)]


def quote_identifier(name: str) -> str:
    """A database or table name, checked and back-quoted."""
    if not _IDENTIFIER.fullmatch(name):
        raise ReadStoreError(f"not a plain identifier: {name!r}")
    return f"`{name}`"


@contextmanager
def translated_errors(action: str) -> Iterator[None]:
    """Turn clickhouse-connect's (and the transport's) errors into ReadStoreError."""
    try:
        yield
    except ReadStoreError:
        raise
    except (ClickHouseError, OSError) as error:
        raise ReadStoreError(f"{action}: {error}") from error


class ReadStore:
    """One clickhouse-connect client on one database. Thread-safe enough for one writer
    and readers: chDB serialises calls per client, the HTTP client uses no session."""

    def __init__(self, client: Client, database: str, *, backend: str) -> None:
        self.client = client
        self.database = database
        self.backend = backend  # "chdb" | "server"

    # ------------------------------------------------------------------ connecting

    @classmethod
    def connect(cls, url: str, database: str | None = None) -> ReadStore:
        """Open ``chdb:///dir`` (the directory is created) or ``http(s)://...``.

        The database is ``database``, else the one named in an http URL's path, else
        ``ia``; it is created when missing. Call :meth:`migrate` to create the tables.
        """
        parts = urlsplit(url)
        if parts.scheme == "chdb":
            path = unquote(parts.path) if not parts.netloc else None
            if not path or path == "/":
                raise ReadStoreError(f"a chdb URL names a directory: chdb:///path, not {url!r}")
            Path(path).mkdir(parents=True, exist_ok=True)
            name = database or DEFAULT_DATABASE
            dsn = f"chdb://{path}"
            backend = "chdb"
            options: dict[str, Any] = {}
        elif parts.scheme in ("http", "https"):
            name = database or unquote(parts.path.strip("/")) or DEFAULT_DATABASE
            dsn = urlunsplit((parts.scheme, parts.netloc, "", parts.query, ""))
            backend = "server"
            # Queries may run from several threads; a server session allows one at a time.
            options = {"autogenerate_session_id": False}
        else:
            raise ReadStoreError(f"read store URL must be chdb:///path or http(s)://, not {url!r}")
        quoted = quote_identifier(name)
        with translated_errors(f"cannot connect to the read store at {_redacted(url)}"):
            client = clickhouse_connect.get_client(dsn=dsn, tz_mode="aware", **options)
        try:
            with translated_errors(f"cannot create database {name}"):
                client.command(f"CREATE DATABASE IF NOT EXISTS {quoted}")
            client.database = name
        except BaseException:
            client.close()
            raise
        return cls(client, name, backend=backend)

    def close(self) -> None:
        with translated_errors("closing the read store"):
            self.client.close()

    def __enter__(self) -> ReadStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ SQL

    def table(self, name: str) -> str:
        """``db`.`name``: a table of this store's database, quoted."""
        return f"{quote_identifier(self.database)}.{quote_identifier(name)}"

    def command(self, sql: str, parameters: Mapping[str, Any] | None = None) -> None:
        with translated_errors("command failed"):
            self.client.command(sql, parameters=dict(parameters) if parameters else None)

    def query_rows(
        self, sql: str, parameters: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Rows as dicts keyed by column name. Parameters bind server-side:
        ``{name:Type}`` in the SQL."""
        with translated_errors("query failed"):
            result = self.client.query(sql, parameters=dict(parameters) if parameters else None)
            return list(result.named_results())

    def insert(self, table: str, rows: Sequence[Mapping[str, Any]]) -> int:
        """One batch insert; the column names come from the first row (all rows alike)."""
        if not rows:
            return 0
        columns = list(rows[0])
        try:
            data = [[row[column] for column in columns] for row in rows]
        except KeyError as missing:
            raise ReadStoreError(f"rows for {table} differ in columns: {missing}") from None
        with translated_errors(f"insert into {table} failed"):
            self.client.insert(self.table(table), data, column_names=columns)
        return len(rows)

    def tables(self) -> set[str]:
        rows = self.query_rows(
            "SELECT name FROM system.tables WHERE database = {db:String}", {"db": self.database}
        )
        return {str(row["name"]) for row in rows}

    # ------------------------------------------------------------------ migrations

    def migrate(self, migrations: Iterable[Migration] | None = None) -> list[str]:
        """Apply the migrations not applied yet, in order; returns their names.

        A migration already applied whose file has since changed is an error: write a
        new migration instead. Statements are idempotent (IF NOT EXISTS), so two
        processes migrating at once do no harm.
        """
        self.command(
            f"CREATE TABLE IF NOT EXISTS {self.table(MIGRATIONS_TABLE)} "
            "(name String, checksum String, applied_at DateTime64(6, 'UTC') DEFAULT now64(6))"
            " ENGINE = ReplacingMergeTree ORDER BY name"
        )
        applied = {
            str(row["name"]): str(row["checksum"])
            for row in self.query_rows(
                f"SELECT name, argMax(checksum, applied_at) AS checksum "  # noqa: S608
                f"FROM {self.table(MIGRATIONS_TABLE)} GROUP BY name"
            )
        }
        done: list[str] = []
        for migration in migrations if migrations is not None else load_migrations():
            if migration.name in applied:
                if applied[migration.name] != migration.checksum:
                    raise ReadStoreError(
                        f"migration {migration.name} changed after it was applied; "
                        "add a new migration instead"
                    )
                continue
            for statement in migration.statements(self.database):
                with translated_errors(f"migration {migration.name} failed"):
                    self.client.command(statement)
            self.insert(
                MIGRATIONS_TABLE, [{"name": migration.name, "checksum": migration.checksum}]
            )
            done.append(migration.name)
        return done

    def applied_migrations(self) -> list[str]:
        rows = self.query_rows(
            f"SELECT DISTINCT name FROM {self.table(MIGRATIONS_TABLE)} ORDER BY name"  # noqa: S608
        )
        return [str(row["name"]) for row in rows]

    # ------------------------------------------------------------------ rebuilds

    def create_rebuild_tables(self, tables: Iterable[str]) -> None:
        """Fresh, empty ``<table>__rebuild`` copies (same columns, engine and key)."""
        for name in tables:
            rebuild = self.table(name + REBUILD_SUFFIX)
            self.command(f"DROP TABLE IF EXISTS {rebuild} SYNC")
            self.command(f"CREATE TABLE {rebuild} AS {self.table(name)}")

    def drop_rebuild_tables(self, tables: Iterable[str]) -> None:
        for name in tables:
            self.command(f"DROP TABLE IF EXISTS {self.table(name + REBUILD_SUFFIX)} SYNC")

    def swap_rebuild_tables(self, tables: Iterable[str]) -> None:
        """Put each ``<table>__rebuild`` in place of ``<table>`` and drop the old data.

        ``EXCHANGE TABLES`` swaps both names atomically (Atomic databases: the default on
        servers and on chDB). A database engine without it (Ordinary) gets two renames
        in one ``RENAME`` statement instead: a reader between them could miss the table
        for an instant, never see it empty.
        """
        for name in tables:
            live, rebuild = self.table(name), self.table(name + REBUILD_SUFFIX)
            try:
                self.command(f"EXCHANGE TABLES {live} AND {rebuild}")
            except ReadStoreError:
                retired = self.table(name + RETIRED_SUFFIX)
                self.command(f"DROP TABLE IF EXISTS {retired} SYNC")
                self.command(f"RENAME TABLE {live} TO {retired}, {rebuild} TO {live}")
                self.command(f"DROP TABLE IF EXISTS {retired} SYNC")
            else:
                self.command(f"DROP TABLE IF EXISTS {rebuild} SYNC")

    def drop_database(self) -> None:
        """Drop this store's whole database (tests and resets only)."""
        self.command(f"DROP DATABASE IF EXISTS {quote_identifier(self.database)} SYNC")


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
