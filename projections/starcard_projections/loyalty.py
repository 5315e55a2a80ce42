"""Loyalty read models: the most-loyal-clients list and the client summary behind the stars pill.

Visits are kept one row per booking, as the loyalty service recorded them; a client's stars are
re-derived from those rows under the tenant's current counting setting, the same rule as
``ClientLoyalty.stars``: a visit (back-to-back parts share a ``visit_key``) is a star when one of
its parts was booked at full price and the client has no label discount, or when the tenant
counts discounted sessions too. Changing that setting
re-derives every client of the tenant in one statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import class_row

NAME = "loyalty"

DDL = """
CREATE TABLE IF NOT EXISTS read.loyalty_programmes (
    tenant_id text PRIMARY KEY,
    programme_id uuid NOT NULL UNIQUE,
    name text NOT NULL,
    count_discounted_sessions boolean NOT NULL DEFAULT false
);
CREATE TABLE IF NOT EXISTS read.loyalty_milestones (
    tenant_id text NOT NULL,
    milestone_id text NOT NULL,
    session_count integer NOT NULL,
    message text NOT NULL,
    discount_percent integer,
    min_minutes integer NOT NULL,
    active boolean NOT NULL,
    PRIMARY KEY (tenant_id, milestone_id)
);
CREATE TABLE IF NOT EXISTS read.loyalty_clients (
    tenant_id text NOT NULL,
    client_id text NOT NULL,
    aggregate_id uuid NOT NULL UNIQUE,
    stars integer NOT NULL DEFAULT 0,
    sessions integer NOT NULL DEFAULT 0,
    milestones_reached integer NOT NULL DEFAULT 0,
    last_visit_at timestamptz,
    label_discount boolean NOT NULL DEFAULT false,
    PRIMARY KEY (tenant_id, client_id)
);
CREATE INDEX IF NOT EXISTS loyalty_clients_most_loyal
    ON read.loyalty_clients (tenant_id, stars DESC, sessions DESC, client_id);
CREATE TABLE IF NOT EXISTS read.loyalty_visits (
    tenant_id text NOT NULL,
    client_id text NOT NULL,
    booking_id text NOT NULL,
    visit_key text,
    minutes integer,
    full_price boolean,
    occurred_at timestamptz,
    cancelled boolean NOT NULL DEFAULT false,
    PRIMARY KEY (tenant_id, client_id, booking_id)
);
CREATE TABLE IF NOT EXISTS read.loyalty_reached (
    tenant_id text NOT NULL,
    client_id text NOT NULL,
    milestone_id text NOT NULL,
    session_count integer NOT NULL,
    reached_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, client_id, milestone_id)
);
"""

TABLES = (
    "read.loyalty_programmes",
    "read.loyalty_milestones",
    "read.loyalty_clients",
    "read.loyalty_visits",
    "read.loyalty_reached",
)

UPSERT_VISIT = """
INSERT INTO read.loyalty_visits
    (tenant_id, client_id, booking_id, visit_key, minutes, full_price, occurred_at)
VALUES (%s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (tenant_id, client_id, booking_id) DO UPDATE SET
    visit_key = excluded.visit_key, minutes = excluded.minutes,
    full_price = excluded.full_price, occurred_at = excluded.occurred_at
"""

CANCEL_VISIT = """
INSERT INTO read.loyalty_visits (tenant_id, client_id, booking_id, cancelled)
VALUES (%s, %s, %s, true)
ON CONFLICT (tenant_id, client_id, booking_id) DO UPDATE SET cancelled = true
"""

# Index-driven per client (LATERAL on the primary keys), so the plan does not depend on table
# statistics, which lag far behind while a projection fills its tables from empty.
RECOMPUTE = """
UPDATE read.loyalty_clients c SET
    stars = s.stars, sessions = s.sessions, last_visit_at = s.last_at,
    milestones_reached = s.reached
FROM (
    SELECT c2.tenant_id, c2.client_id, t.stars, t.sessions, t.last_at, r.reached
    FROM {clients}
    JOIN read.loyalty_programmes p ON p.tenant_id = c2.tenant_id
    CROSS JOIN LATERAL (
        SELECT count(*) FILTER (
                   WHERE (v.full_price AND NOT c2.label_discount) OR p.count_discounted_sessions
               ) AS stars,
               count(*) AS sessions, max(v.last_at) AS last_at
        FROM (
            SELECT bool_or(full_price) AS full_price, max(occurred_at) AS last_at
            FROM read.loyalty_visits
            WHERE tenant_id = c2.tenant_id AND client_id = c2.client_id
              AND minutes IS NOT NULL AND NOT cancelled
            GROUP BY visit_key
        ) v
    ) t
    CROSS JOIN LATERAL (
        SELECT count(*) AS reached FROM read.loyalty_reached m
        WHERE m.tenant_id = c2.tenant_id AND m.client_id = c2.client_id
    ) r
) s
WHERE c.tenant_id = s.tenant_id AND c.client_id = s.client_id
"""

RECOMPUTE_CLIENTS = RECOMPUTE.format(
    clients="unnest(%(t)s::text[], %(c)s::text[]) AS d (tenant_id, client_id)"
    " JOIN read.loyalty_clients c2"
    " ON c2.tenant_id = d.tenant_id AND c2.client_id = d.client_id"
)
RECOMPUTE_TENANTS = RECOMPUTE.format(
    clients="(SELECT * FROM read.loyalty_clients WHERE tenant_id = ANY(%(tenants)s::text[])) c2"
)


@dataclass
class _Changes:
    """What one batch of loyalty events changes, gathered so it is written set-wise."""

    clients: dict[UUID, tuple[str, str]]
    visits: dict[tuple[UUID, str], tuple[Any, ...]]
    cancellations: set[tuple[UUID, str]]
    reached: list[tuple[UUID, str, int, datetime]]
    labels: dict[UUID, bool]
    programme_ops: list[tuple[str, tuple[Any, ...]]]
    recount_tenants: set[UUID]


class LoyaltyProjection:
    """Keeps the ``read.loyalty_*`` tables from the loyalty service's events."""

    name = NAME
    ddl = DDL
    tables = TABLES

    def __init__(self) -> None:
        self._owners: dict[UUID, tuple[str, str]] = {}

    def reset(self) -> None:
        self._owners.clear()

    def apply(self, conn: psycopg.Connection[Any], events: Sequence[Any]) -> None:
        """Apply a batch of domain events inside the caller's transaction."""
        changes = _Changes({}, {}, set(), [], {}, [], set())
        for event in events:
            self._gather(event, changes)
        with conn.cursor() as cur:
            for statement, params in changes.programme_ops:
                cur.execute(statement, params)
            if changes.clients:
                cur.executemany(
                    "INSERT INTO read.loyalty_clients (tenant_id, client_id, aggregate_id)"
                    " VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                    [(t, c, agg) for agg, (t, c) in changes.clients.items()],
                )
                self._owners.update(changes.clients)
            self._resolve_owners(cur, changes)
            cur.executemany(
                UPSERT_VISIT,
                [
                    (*self._owners[agg], booking, *rest)
                    for (agg, booking), rest in changes.visits.items()
                ],
            )
            cur.executemany(
                CANCEL_VISIT,
                [(*self._owners[agg], booking) for agg, booking in changes.cancellations],
            )
            cur.executemany(
                "INSERT INTO read.loyalty_reached VALUES (%s, %s, %s, %s, %s)"
                " ON CONFLICT DO NOTHING",
                [(*self._owners[agg], m, n, at) for agg, m, n, at in changes.reached],
            )
            cur.executemany(
                "UPDATE read.loyalty_clients SET label_discount = %s WHERE aggregate_id = %s",
                [(label, agg) for agg, label in changes.labels.items()],
            )
            dirty = self._touched(changes)
            if dirty:
                owners = [self._owners[agg] for agg in dirty]
                cur.execute(
                    RECOMPUTE_CLIENTS,
                    {"t": [t for t, _ in owners], "c": [c for _, c in owners]},
                )
            if changes.recount_tenants:
                cur.execute(
                    "SELECT tenant_id FROM read.loyalty_programmes WHERE programme_id = ANY(%s)",
                    (list(changes.recount_tenants),),
                )
                tenants = [row[0] for row in cur.fetchall()]
                cur.execute(RECOMPUTE_TENANTS, {"tenants": tenants})

    @staticmethod
    def _touched(changes: _Changes) -> set[UUID]:
        touched = {agg for agg, _ in changes.visits} | {agg for agg, _ in changes.cancellations}
        return touched | {agg for agg, *_ in changes.reached} | set(changes.labels)

    def _resolve_owners(self, cur: psycopg.Cursor[Any], changes: _Changes) -> None:
        missing = [agg for agg in self._touched(changes) if agg not in self._owners]
        if missing:
            cur.execute(
                "SELECT aggregate_id, tenant_id, client_id FROM read.loyalty_clients"
                " WHERE aggregate_id = ANY(%s)",
                (missing,),
            )
            for agg, tenant_id, client_id in cur.fetchall():
                self._owners[agg] = (tenant_id, client_id)

    def _gather(self, event: Any, changes: _Changes) -> None:
        kind = type(event).__qualname__
        agg: UUID = event.originator_id
        programme = "SELECT tenant_id FROM read.loyalty_programmes WHERE programme_id = %s"
        match kind:
            case "ClientLoyalty.Started":
                changes.clients[agg] = (event.tenant_id, event.client_id)
            case "ClientLoyalty.AppointmentRecorded":
                changes.visits[(agg, event.booking_id)] = (
                    event.visit_key,
                    event.minutes,
                    event.full_price,
                    event.occurred_at,
                )
            case "ClientLoyalty.BookingCancelled":
                changes.cancellations.add((agg, event.booking_id))
            case "ClientLoyalty.LabelsChanged":
                changes.labels[agg] = event.has_label_discount
            case "ClientLoyalty.MilestoneReached":
                changes.reached.append(
                    (agg, event.milestone_id, event.session_count, event.reached_at)
                )
            case "LoyaltyProgramme.Opened":
                changes.programme_ops.append(
                    (
                        "INSERT INTO read.loyalty_programmes (tenant_id, programme_id, name)"
                        " VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                        (event.tenant_id, agg, event.name),
                    )
                )
            case "LoyaltyProgramme.MilestoneAdded" | "LoyaltyProgramme.MilestoneEdited":
                changes.programme_ops.append(
                    (
                        "INSERT INTO read.loyalty_milestones"
                        " SELECT tenant_id, %s, %s, %s, %s, %s, true"
                        f" FROM ({programme}) p ON CONFLICT (tenant_id, milestone_id) DO UPDATE SET"
                        " session_count = excluded.session_count, message = excluded.message,"
                        " discount_percent = excluded.discount_percent,"
                        " min_minutes = excluded.min_minutes",
                        (
                            event.milestone_id,
                            event.session_count,
                            event.message,
                            event.discount_percent,
                            event.min_minutes,
                            agg,
                        ),
                    )
                )
            case "LoyaltyProgramme.MilestoneActivated" | "LoyaltyProgramme.MilestoneDeactivated":
                changes.programme_ops.append(
                    (
                        "UPDATE read.loyalty_milestones SET active = %s"
                        f" WHERE milestone_id = %s AND tenant_id = ({programme})",
                        (kind == "LoyaltyProgramme.MilestoneActivated", event.milestone_id, agg),
                    )
                )
            case "LoyaltyProgramme.MilestoneDeleted":
                changes.programme_ops.append(
                    (
                        f"DELETE FROM read.loyalty_milestones WHERE milestone_id = %s"
                        f" AND tenant_id = ({programme})",
                        (event.milestone_id, agg),
                    )
                )
            case "LoyaltyProgramme.CountingChanged":
                changes.programme_ops.append(
                    (
                        "UPDATE read.loyalty_programmes SET count_discounted_sessions = %s"
                        " WHERE programme_id = %s",
                        (event.count_discounted_sessions, agg),
                    )
                )
                changes.recount_tenants.add(agg)


# -- queries -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoyalClient:
    """A row of the most-loyal-clients list."""

    client_id: str
    stars: int
    sessions: int
    last_visit_at: datetime | None


@dataclass(frozen=True)
class ClientSummary:
    """What the "X stars" pill on a client's profile needs."""

    client_id: str
    sessions: int
    stars: int
    show_stars_pill: bool


def most_loyal(
    conn: psycopg.Connection[Any], tenant_id: str, *, limit: int, offset: int
) -> tuple[list[LoyalClient], int]:
    """Clients by stars, then sessions, most loyal first; and how many there are in all."""
    with conn.cursor(row_factory=class_row(LoyalClient)) as cur:
        rows = cur.execute(
            "SELECT client_id, stars, sessions, last_visit_at FROM read.loyalty_clients"
            " WHERE tenant_id = %s ORDER BY stars DESC, sessions DESC, client_id"
            " LIMIT %s OFFSET %s",
            (tenant_id, limit, offset),
        ).fetchall()
    count = conn.execute(
        "SELECT count(*) FROM read.loyalty_clients WHERE tenant_id = %s", (tenant_id,)
    ).fetchone()
    return rows, count[0] if count else 0


def client_summary(
    conn: psycopg.Connection[Any], tenant_id: str, client_id: str
) -> ClientSummary | None:
    """The pill shows only while the tenant has at least one active milestone."""
    with conn.cursor(row_factory=class_row(ClientSummary)) as cur:
        return cur.execute(
            "SELECT client_id, sessions, stars, EXISTS (SELECT 1 FROM read.loyalty_milestones m"
            " WHERE m.tenant_id = c.tenant_id AND m.active) AS show_stars_pill"
            " FROM read.loyalty_clients c WHERE tenant_id = %s AND client_id = %s",
            (tenant_id, client_id),
        ).fetchone()
