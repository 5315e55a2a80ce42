"""Events a read model could not apply, and the tenants whose read model is stale because of them.

A read model that cannot apply an event must not stop every tenant's dashboard: the runner
records the failure here (which read model, which event, which tenant, the error) and carries on
with the other tenants. A tenant is *stale* for a read model while it has an unresolved failure:
the runner skips that tenant's events until the operator has fixed the cause and rebuilt the
tenant's rows (``starcard projections rebuild NAME --tenant T``), which resolves its failures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import class_row

DDL = """
CREATE TABLE IF NOT EXISTS read.projection_failures (
    id bigserial PRIMARY KEY,
    projection text NOT NULL,
    tenant_id text,
    notification_id bigint NOT NULL,
    event_type text NOT NULL,
    aggregate_id uuid NOT NULL,
    error text NOT NULL,
    failed_at timestamptz NOT NULL DEFAULT now(),
    resolved_at timestamptz
);
CREATE INDEX IF NOT EXISTS projection_failures_unresolved
    ON read.projection_failures (projection, tenant_id) WHERE resolved_at IS NULL;
"""

MAX_ERROR_LENGTH = 1000


@dataclass(frozen=True)
class Failure:
    """One event a read model could not apply."""

    id: int
    projection: str
    tenant_id: str | None
    """None when even the event's tenant could not be told (its aggregate's creation is lost)."""
    notification_id: int
    event_type: str
    aggregate_id: UUID
    error: str
    failed_at: datetime
    resolved_at: datetime | None


def record(
    conn: psycopg.Connection[Any],
    *,
    projection: str,
    tenant_id: str | None,
    notification_id: int,
    event_type: str,
    aggregate_id: UUID,
    error: BaseException,
) -> None:
    """Record that ``projection`` could not apply an event; its tenant is stale from now on.

    An event already recorded and not resolved is not recorded twice (a rebuild that meets it
    again, say).
    """
    conn.execute(
        "INSERT INTO read.projection_failures"
        " (projection, tenant_id, notification_id, event_type, aggregate_id, error)"
        " SELECT %(projection)s, %(tenant)s, %(event)s, %(type)s, %(aggregate)s, %(error)s"
        " WHERE NOT EXISTS (SELECT 1 FROM read.projection_failures"
        "  WHERE projection = %(projection)s AND notification_id = %(event)s"
        "  AND event_type = %(type)s AND resolved_at IS NULL)",
        {
            "projection": projection,
            "tenant": tenant_id,
            "event": notification_id,
            "type": event_type,
            "aggregate": aggregate_id,
            # PostgreSQL text holds no NUL; an error quoting one must still be recorded.
            "error": f"{type(error).__name__}: {error}".replace("\x00", "\\0")[:MAX_ERROR_LENGTH],
        },
    )


HOLD_EVENT_TYPE = "(rebuild in progress)"
NO_AGGREGATE = UUID(int=0)


def hold(conn: psycopg.Connection[Any], projection: str, tenant_id: str, position: int) -> None:
    """Make the tenant stale while its rows are rebuilt: a marker failure, released when the
    rebuild ends, or left (saying so) if it is interrupted."""
    conn.execute(
        "INSERT INTO read.projection_failures"
        " (projection, tenant_id, notification_id, event_type, aggregate_id, error)"
        " VALUES (%s, %s, %s, %s, %s, %s)",
        (
            projection,
            tenant_id,
            position,
            HOLD_EVENT_TYPE,
            NO_AGGREGATE,
            "The tenant's rows are being rebuilt; if no rebuild runs, one was interrupted: run "
            f"`starcard projections rebuild {projection} --tenant {tenant_id}` again.",
        ),
    )


def release(conn: psycopg.Connection[Any], projection: str, tenant_id: str) -> None:
    """Take away the rebuild's marker: the rebuild is over (done, or failed saying why)."""
    conn.execute(
        "DELETE FROM read.projection_failures"
        " WHERE projection = %s AND tenant_id = %s AND event_type = %s AND resolved_at IS NULL",
        (projection, tenant_id, HOLD_EVENT_TYPE),
    )


def stale_tenants(conn: psycopg.Connection[Any], projection: str) -> set[str]:
    """The tenants whose rows of ``projection`` have stopped at an event it could not apply."""
    rows = conn.execute(
        "SELECT DISTINCT tenant_id FROM read.projection_failures"
        " WHERE projection = %s AND resolved_at IS NULL AND tenant_id IS NOT NULL",
        (projection,),
    ).fetchall()
    return {row[0] for row in rows}


def resolve(conn: psycopg.Connection[Any], projection: str, tenant_id: str) -> int:
    """Mark the tenant's failures of ``projection`` resolved (its rows were rebuilt)."""
    cursor = conn.execute(
        "UPDATE read.projection_failures SET resolved_at = now()"
        " WHERE projection = %s AND tenant_id = %s AND resolved_at IS NULL",
        (projection, tenant_id),
    )
    return cursor.rowcount


def failures(conn: psycopg.Connection[Any], *, include_resolved: bool = False) -> list[Failure]:
    """Every failure, newest first; only the unresolved ones unless asked."""
    with conn.cursor(row_factory=class_row(Failure)) as cur:
        return cur.execute(
            "SELECT id, projection, tenant_id, notification_id, event_type, aggregate_id, error,"
            " failed_at, resolved_at FROM read.projection_failures"
            " WHERE %s OR resolved_at IS NULL ORDER BY id DESC",
            (include_resolved,),
        ).fetchall()


@dataclass(frozen=True)
class StaleReadModel:
    """What a tenant's dashboard says of one of its read models that has stopped."""

    projection: str
    since: datetime
    """When the first unresolved failure was recorded: the figures are as of then."""


def stale_read_models(conn: psycopg.Connection[Any], tenant_id: str) -> list[StaleReadModel]:
    """The read models whose rows for ``tenant_id`` are stale, oldest failure first."""
    with conn.cursor(row_factory=class_row(StaleReadModel)) as cur:
        return cur.execute(
            "SELECT projection, min(failed_at) AS since FROM read.projection_failures"
            " WHERE tenant_id = %s AND resolved_at IS NULL GROUP BY projection ORDER BY since",
            (tenant_id,),
        ).fetchall()
