"""Event-store URL → the eventsourcing library's environment.

One setting (``EVENT_STORE_URL``) chooses the store; eventsourcing wants its own variables
(``PERSISTENCE_MODULE``, ``SQLITE_DBNAME``, ``POSTGRES_*``). They are derived here and
passed as ``Application(env=...)``, which overrides ``os.environ``: one set of names.

Must not: read the environment (the URL arrives as an argument), or let two names mean one
setting.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit


class EventStoreURLError(ValueError):
    pass


def eventsourcing_env(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    # Single-row tracking keeps one position row per follower (the relay) instead of one
    # row per batch.
    common = {"SINGLE_ROW_TRACKING": "y"}
    if parts.scheme == "sqlite":
        path = unquote(parts.path)
        if parts.netloc or not path:
            raise EventStoreURLError("use sqlite:////absolute/path or sqlite:///relative/path")
        # sqlite:///relative and sqlite:////absolute, as SQLAlchemy spells them.
        db_path = Path(path[1:])
        db_path.parent.mkdir(parents=True, exist_ok=True)
        return {
            **common,
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(db_path),
            "SQLITE_LOCK_TIMEOUT": "10",
        }
    if parts.scheme in {"postgres", "postgresql"}:
        if not parts.hostname or not parts.path.strip("/"):
            raise EventStoreURLError("use postgresql://user:password@host:port/database")
        env = {
            **common,
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": unquote(parts.path.strip("/")),
            "POSTGRES_HOST": parts.hostname,
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            "POSTGRES_CONNECT_TIMEOUT": "5",
            "POSTGRES_POOL_SIZE": "5",
            "POSTGRES_MAX_OVERFLOW": "10",
        }
        schema = parse_qs(parts.query).get("schema")
        if schema:
            env["POSTGRES_SCHEMA"] = schema[0]
        return env
    if parts.scheme == "memory":
        return {**common, "PERSISTENCE_MODULE": "eventsourcing.popo"}
    raise EventStoreURLError(
        f"unsupported event store URL scheme {parts.scheme!r} (sqlite, postgresql, memory)"
    )


def redacted(url: str) -> str:
    """The URL with its password hidden, for logs and banners."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return parts._replace(netloc=netloc).geturl()


def prepare(url: str) -> None:
    """Create what the store needs before eventsourcing creates its tables.

    eventsourcing creates tables but not a PostgreSQL schema named in the URL.
    """
    env = eventsourcing_env(url)
    schema = env.get("POSTGRES_SCHEMA")
    if not schema:
        return
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=int(env["POSTGRES_PORT"]),
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"] or None,
        connect_timeout=5,
        autocommit=True,
    ) as connection:
        connection.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
