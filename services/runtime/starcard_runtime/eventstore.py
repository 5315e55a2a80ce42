"""Event-store environments: one PostgreSQL schema per service, built from ``DATABASE_URL``; and
the few queries of a service's own events table that the event library does not offer."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit
from uuid import UUID

import psycopg
from eventsourcing.application import Application
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder
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


def select_stored_events(
    application: Application[Any], aggregate_ids: Collection[UUID], *, first_only: bool = False
) -> list[StoredEvent]:
    """The stored events of many aggregates in one query, by aggregate then version.

    The library reads one aggregate per query; a batch of thousands would cost as many round
    trips. ``first_only`` keeps each aggregate's creation event (what it was created for: its
    tenant, say).
    """
    recorder = postgres_recorder(application)
    query = over_events(
        sql.SQL(
            "SELECT originator_id, originator_version, topic, state FROM {events}"
            " WHERE originator_id = ANY(%s){first} ORDER BY originator_id, originator_version"
        ),
        recorder,
        first=sql.SQL(" AND originator_version = 1" if first_only else ""),
    )
    with recorder.datastore.get_connection() as conn, conn.cursor() as cursor:
        cursor.execute(query, (list(aggregate_ids),))
        rows = cursor.fetchall()
    return [
        StoredEvent(
            originator_id=row["originator_id"],
            originator_version=row["originator_version"],
            topic=row["topic"],
            state=bytes(row["state"]),
        )
        for row in rows
    ]


def postgres_recorder(application: Application[Any]) -> PostgresAggregateRecorder:
    """The application's recorder, for a query of its events table the library does not offer."""
    recorder = application.recorder
    if not isinstance(recorder, PostgresAggregateRecorder):
        msg = "Starcard's event stores run on PostgreSQL"
        raise TypeError(msg)
    return recorder


def over_events(
    query: sql.SQL, recorder: PostgresAggregateRecorder, **parts: sql.Composable
) -> sql.Composed:
    """`query` with ``{events}`` naming the recorder's events table (schema-qualified), and any
    other placeholder filled from `parts`.

    Events are stored by the library's JSON transcoder: ``convert_from(state, 'UTF8')::jsonb`` is
    an event's attributes, a datetime among them ``{"_type_": "datetime_iso", "_data_": "..."}``,
    and ``topic`` is ``<module>:<Aggregate>.<Event>``.
    """
    events = sql.Identifier(recorder.datastore.schema, recorder.events_table_name)
    return query.format(events=events, **parts)
