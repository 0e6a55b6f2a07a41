"""Per-meeting data keys for crypto-shredding, kept in a key table outside the event log.

A meeting has one 32-byte AES key per scope: ``audio`` (the chunk blobs) and ``raw_text``
(everything else personal: transcript text, words, names, personal context fields). Keys
are stored wrapped: AES-GCM under the master key (``DATA_MASTER_KEY``) with
``"<meeting_id>/<scope>"`` as associated data, so a wrapped key copied to another row does
not unwrap. The table ``data_keys(meeting_id, scope, wrapped, created_at, destroyed_at)``
lives in the event store's own database (the SQLite file, or PostgreSQL, same URL).
Destroying a key overwrites ``wrapped`` with NULL: the key is gone, only the fact remains,
and every ciphertext made with it is unreadable from then on (crypto-shredding).

Operators must back up this table with the event store: without it nothing personal can
be read back.

Must not: write the master key or an unwrapped data key anywhere (logs, reprs, the table),
or bring a destroyed key back.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import sqlite3
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from interview_analytics.ops import event_store
from interview_analytics.ops.settings import SettingsError

if TYPE_CHECKING:
    from interview_analytics.ops.settings import Settings

KEY_BYTES = 32
NONCE_BYTES = 12
MASTER_KEY_FILE = Path("keys") / "master.key"


_CACHES: dict[str, dict[tuple[str, str], tuple[float, bytes | None]]] = {}
_CACHES_LOCK = threading.Lock()


class DataKeyError(RuntimeError):
    """A data key cannot be used: unknown scope, or it does not unwrap (wrong master key)."""


def load_master_key(settings: Settings) -> bytes:
    """The master key: ``DATA_MASTER_KEY`` (base64 of 32 bytes); in production it must be
    set; elsewhere it is generated once into ``<DATA_DIR>/keys/master.key`` (mode 0600) and
    reused by every later start."""
    configured = str(settings.data_master_key).strip()
    if configured:
        return _decode_master_key(configured, "DATA_MASTER_KEY")
    if settings.is_production:
        raise SettingsError(
            "DATA_MASTER_KEY is required when APP_ENV is prod/production "
            "(base64 of 32 random bytes, e.g. `openssl rand -base64 32`)"
        )
    path = settings.data_dir / MASTER_KEY_FILE
    if path.exists():
        return _decode_master_key(path.read_text().strip(), str(path))
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    encoded = base64.b64encode(os.urandom(KEY_BYTES)).decode()
    # O_EXCL: two processes starting at once must not each write their own key; the loser
    # reads the winner's.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _decode_master_key(path.read_text().strip(), str(path))
    with os.fdopen(fd, "w") as handle:
        handle.write(encoded + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return base64.b64decode(encoded)


def _decode_master_key(encoded: str, origin: str) -> bytes:
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise SettingsError(f"{origin}: the master key is not valid base64") from None
    if len(key) != KEY_BYTES:
        raise SettingsError(f"{origin}: the master key must be {KEY_BYTES} bytes, not {len(key)}")
    return key


class _KeyTable(Protocol):
    def find(self, meeting_id: str, scope: str) -> tuple[bool, bytes | None]:
        """(row exists, wrapped key or None when destroyed)."""
        ...

    def insert(self, meeting_id: str, scope: str, wrapped: bytes, now: str) -> None:
        """Insert unless a row exists (another process may have won the race)."""
        ...

    def destroy(self, meeting_id: str, scope: str, now: str) -> bool:
        """Mark destroyed (creating the row when none exists); True if it was not before."""
        ...

    def destroyed(self, meeting_id: str) -> frozenset[str]: ...


class DataKeys:
    """The key table: ``key`` to use a meeting's key, ``destroy`` to shred it."""

    SCOPES = ("audio", "raw_text")

    def __init__(self, url: str, master_key: bytes, *, cache_sec: float = 5.0) -> None:
        if len(master_key) != KEY_BYTES:
            raise DataKeyError(f"the master key must be {KEY_BYTES} bytes")
        self._master = AESGCM(master_key)
        self._table = _table_for(url)
        # Unwrapped keys are kept briefly: every message decode asks for one. The cache is
        # shared by every DataKeys of one store in this process, so a destroy here is seen
        # here at once; a key destroyed by another process stays usable for cache_sec.
        self._cache_sec = cache_sec
        # Per store and master key: a DataKeys with another master key must unwrap itself.
        store = f"{id(self._table)}" if isinstance(self._table, _MemoryKeyTable) else url
        name = f"{store}#{hashlib.sha256(master_key).hexdigest()[:16]}"
        with _CACHES_LOCK:
            self._cache = _CACHES.setdefault(name, {})
        self._lock = _CACHES_LOCK

    def __repr__(self) -> str:
        return f"DataKeys({type(self._table).__name__})"

    def key(self, meeting_id: str, scope: str, *, create: bool = False) -> bytes | None:
        """The meeting's 32-byte AES key for ``scope``; None when it was destroyed (or was
        never made and ``create`` is False)."""
        self._check_scope(scope)
        cached = self._cached(meeting_id, scope)
        if cached is not None:
            return cached[0]
        exists, wrapped = self._table.find(meeting_id, scope)
        if not exists and create:
            fresh = os.urandom(KEY_BYTES)
            self._table.insert(meeting_id, scope, self._wrap(meeting_id, scope, fresh), _now())
            exists, wrapped = self._table.find(meeting_id, scope)
        key = self._unwrap(meeting_id, scope, wrapped) if wrapped is not None else None
        if exists:
            self._remember(meeting_id, scope, key)
        return key

    def destroy(self, meeting_id: str, scopes: Sequence[str] = SCOPES) -> list[str]:
        """Crypto-shred: the keys of ``scopes`` are overwritten and can never be made again
        for this meeting (a later ``key(create=True)`` answers None). Idempotent; returns
        the scopes destroyed by this call."""
        for scope in scopes:
            self._check_scope(scope)
        now = _now()
        done = [scope for scope in scopes if self._table.destroy(meeting_id, scope, now)]
        with self._lock:
            for scope in scopes:
                self._cache[(meeting_id, scope)] = (time.monotonic(), None)
        return done

    def destroyed(self, meeting_id: str) -> frozenset[str]:
        """The scopes of the meeting whose keys were destroyed."""
        return self._table.destroyed(meeting_id)

    def _check_scope(self, scope: str) -> None:
        if scope not in self.SCOPES:
            raise DataKeyError(f"unknown data key scope {scope!r} ({', '.join(self.SCOPES)})")

    def _cached(self, meeting_id: str, scope: str) -> tuple[bytes | None] | None:
        with self._lock:
            entry = self._cache.get((meeting_id, scope))
        if entry is None:
            return None
        at, key = entry
        # A destroyed key stays destroyed: no need to look again.
        if key is None or time.monotonic() - at < self._cache_sec:
            return (key,)
        return None

    def _remember(self, meeting_id: str, scope: str, key: bytes | None) -> None:
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[(meeting_id, scope)] = (time.monotonic(), key)

    def _wrap(self, meeting_id: str, scope: str, key: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._master.encrypt(nonce, key, _aad(meeting_id, scope))

    def _unwrap(self, meeting_id: str, scope: str, wrapped: bytes) -> bytes:
        try:
            return self._master.decrypt(
                wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _aad(meeting_id, scope)
            )
        except InvalidTag:
            raise DataKeyError(
                f"the {scope} data key of meeting {meeting_id!r} does not unwrap: "
                "wrong DATA_MASTER_KEY (or <DATA_DIR>/keys/master.key), or a tampered row"
            ) from None


def _aad(meeting_id: str, scope: str) -> bytes:
    return f"{meeting_id}/{scope}".encode()


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _table_for(url: str) -> _KeyTable:
    env = event_store.eventsourcing_env(url)
    module = env["PERSISTENCE_MODULE"]
    if module == "eventsourcing.sqlite":
        return _SQLiteKeyTable(env["SQLITE_DBNAME"])
    if module == "eventsourcing.postgres":
        return _PostgresKeyTable(env)
    return _MemoryKeyTable()


class _MemoryKeyTable:
    """For ``memory:`` event stores (unit tests): lives as long as the process."""

    def __init__(self) -> None:
        self._rows: dict[tuple[str, str], bytes | None] = {}
        self._lock = threading.Lock()

    def find(self, meeting_id: str, scope: str) -> tuple[bool, bytes | None]:
        with self._lock:
            key = (meeting_id, scope)
            return key in self._rows, self._rows.get(key)

    def insert(self, meeting_id: str, scope: str, wrapped: bytes, now: str) -> None:
        with self._lock:
            self._rows.setdefault((meeting_id, scope), wrapped)

    def destroy(self, meeting_id: str, scope: str, now: str) -> bool:
        with self._lock:
            key = (meeting_id, scope)
            was_destroyed = key in self._rows and self._rows[key] is None
            self._rows[key] = None
            return not was_destroyed

    def destroyed(self, meeting_id: str) -> frozenset[str]:
        with self._lock:
            return frozenset(
                scope
                for (mid, scope), wrapped in self._rows.items()
                if mid == meeting_id and wrapped is None
            )


_CREATE = (
    "CREATE TABLE IF NOT EXISTS {table} ("
    " meeting_id TEXT NOT NULL, scope TEXT NOT NULL, wrapped {blob},"
    " created_at TEXT NOT NULL, destroyed_at TEXT,"
    " PRIMARY KEY (meeting_id, scope))"
)


class _SQLiteKeyTable:
    """The table in the event store's SQLite file; one connection per thread (autocommit:
    each statement is its own transaction, so no lock is held between calls)."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._local = threading.local()
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as connection:
            connection.execute(_CREATE.format(table="data_keys", blob="BLOB"))

    def _connect(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self._path, timeout=10, isolation_level=None)
            self._local.connection = connection
        return connection

    def find(self, meeting_id: str, scope: str) -> tuple[bool, bytes | None]:
        with self._connect() as connection:
            row = connection.execute(
                "SELECT wrapped FROM data_keys WHERE meeting_id = ? AND scope = ?",
                (meeting_id, scope),
            ).fetchone()
        return (row is not None, None if row is None else row[0])

    def insert(self, meeting_id: str, scope: str, wrapped: bytes, now: str) -> None:
        with self._connect() as connection:
            connection.execute(
                "INSERT OR IGNORE INTO data_keys (meeting_id, scope, wrapped, created_at)"
                " VALUES (?, ?, ?, ?)",
                (meeting_id, scope, wrapped, now),
            )

    def destroy(self, meeting_id: str, scope: str, now: str) -> bool:
        with self._connect() as connection:
            connection.execute(
                "INSERT OR IGNORE INTO data_keys (meeting_id, scope, wrapped, created_at)"
                " VALUES (?, ?, NULL, ?)",
                (meeting_id, scope, now),
            )
            changed = connection.execute(
                "UPDATE data_keys SET wrapped = NULL, destroyed_at = ?"
                " WHERE meeting_id = ? AND scope = ? AND destroyed_at IS NULL",
                (now, meeting_id, scope),
            ).rowcount
        return changed > 0

    def destroyed(self, meeting_id: str) -> frozenset[str]:
        with self._connect() as connection:
            rows = connection.execute(
                "SELECT scope FROM data_keys WHERE meeting_id = ? AND destroyed_at IS NOT NULL",
                (meeting_id,),
            ).fetchall()
        return frozenset(row[0] for row in rows)


class _PostgresKeyTable:
    """The table in the event store's PostgreSQL database (and schema, when the URL names
    one); one connection, reopened after a failure."""

    def __init__(self, env: dict[str, str]) -> None:
        from psycopg import sql

        self._env = env
        schema = env.get("POSTGRES_SCHEMA")
        self._table = sql.Identifier(schema, "data_keys") if schema else sql.Identifier("data_keys")
        self._lock = threading.Lock()
        self._connection: Any = None
        self._execute(sql.SQL(_CREATE.format(table="{table}", blob="BYTEA")))

    def _connect(self) -> Any:
        import psycopg

        return psycopg.connect(
            dbname=self._env["POSTGRES_DBNAME"],
            host=self._env["POSTGRES_HOST"],
            port=int(self._env["POSTGRES_PORT"]),
            user=self._env["POSTGRES_USER"],
            password=self._env["POSTGRES_PASSWORD"] or None,
            connect_timeout=5,
            autocommit=True,
        )

    def _execute(self, statement: Any, params: Sequence[Any] = ()) -> Any:
        import psycopg

        query = statement.format(table=self._table)
        with self._lock:
            for attempt in range(2):
                if self._connection is None or self._connection.closed:
                    self._connection = self._connect()
                try:
                    cursor = self._connection.execute(query, params)
                    rows = cursor.fetchall() if cursor.description else []
                    return rows, cursor.rowcount
                except psycopg.OperationalError:
                    self._connection.close()
                    self._connection = None
                    if attempt:
                        raise
        raise AssertionError("unreachable")

    def find(self, meeting_id: str, scope: str) -> tuple[bool, bytes | None]:
        from psycopg import sql

        rows, _ = self._execute(
            sql.SQL("SELECT wrapped FROM {table} WHERE meeting_id = %s AND scope = %s"),
            (meeting_id, scope),
        )
        if not rows:
            return False, None
        wrapped = rows[0][0]
        return True, None if wrapped is None else bytes(wrapped)

    def insert(self, meeting_id: str, scope: str, wrapped: bytes, now: str) -> None:
        from psycopg import sql

        self._execute(
            sql.SQL(
                "INSERT INTO {table} (meeting_id, scope, wrapped, created_at)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING"
            ),
            (meeting_id, scope, wrapped, now),
        )

    def destroy(self, meeting_id: str, scope: str, now: str) -> bool:
        from psycopg import sql

        self._execute(
            sql.SQL(
                "INSERT INTO {table} (meeting_id, scope, wrapped, created_at)"
                " VALUES (%s, %s, NULL, %s) ON CONFLICT DO NOTHING"
            ),
            (meeting_id, scope, now),
        )
        _, changed = self._execute(
            sql.SQL(
                "UPDATE {table} SET wrapped = NULL, destroyed_at = %s"
                " WHERE meeting_id = %s AND scope = %s AND destroyed_at IS NULL"
            ),
            (now, meeting_id, scope),
        )
        return int(changed) > 0

    def destroyed(self, meeting_id: str) -> frozenset[str]:
        from psycopg import sql

        rows, _ = self._execute(
            sql.SQL("SELECT scope FROM {table} WHERE meeting_id = %s AND destroyed_at IS NOT NULL"),
            (meeting_id,),
        )
        return frozenset(row[0] for row in rows)
