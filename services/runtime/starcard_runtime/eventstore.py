"""Event-store environments: one PostgreSQL schema per service, built from ``DATABASE_URL``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

import psycopg
from eventsourcing.application import Application
from psycopg import sql

TApp = TypeVar("TApp", bound=Application[Any])


def event_store_env(database_url: str, schema: str, *, pool_size: int = 4) -> dict[str, str]:
    """The ``eventsourcing`` environment for a service whose tables live in ``schema``.

    ``POSTGRES_ENABLE_DB_FUNCTIONS`` is deliberately never set: with it the library skips the
    tracking row, and exactly-once processing rests on that row.
    """
    url = urlsplit(database_url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": url.path.lstrip("/"),
        "POSTGRES_HOST": url.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(url.port or 5432),
        "POSTGRES_USER": unquote(url.username or ""),
        "POSTGRES_PASSWORD": unquote(url.password or ""),
        "POSTGRES_SCHEMA": schema,
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": "4",
        "CREATE_TABLE": "y",
    }


def open_event_store(
    kind: Callable[[dict[str, str]], TApp], database_url: str, schema: str, *, pool_size: int = 4
) -> TApp:
    """Construct an application on its schema, creating the schema and tables if missing.

    Processes starting together (a service and the projections that follow it) would race on
    ``CREATE TABLE IF NOT EXISTS``; an advisory lock per schema makes them take turns.
    """
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (f"starcard.schema.{schema}",))
        try:
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
            return kind(event_store_env(database_url, schema, pool_size=pool_size))
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (f"starcard.schema.{schema}",))
