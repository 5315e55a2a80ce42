"""Packages read models: each client's pre-paid packages (sessions used and left, expiry, what
they are worth), the package-paid visits no package could pay for, and the tenant's liability.

Follows the loyalty event store, like ``starcard_projections.tiers``, under a position of its
own. Only ``PackageHoldings.Opened`` names the tenant and the client: it makes the holder's row
(``read.package_holders``), and later events find their owner by joining to it.

Which package each visit used, what expired and what a refund owes are decided by the holdings
(``PackageHoldings``), not here: every event after ``Opened`` carries the whole ``snapshot`` of
the client's holdings after it, so the client's rows are *replaced* by the snapshot of their
latest event. A batch may hold several events of one client: only the latest (highest
``originator_version``) is written, as running them one by one would leave it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import class_row, tuple_row

from starcard_projections.statements import Row, SetStatement, Statement, StatementProjection

NAME = "packages"

STATUSES = ("active", "used_up", "expired", "refunded")

DDL = f"""
CREATE TABLE IF NOT EXISTS read.package_holders (
    tenant_id text NOT NULL,
    client_id text NOT NULL,
    aggregate_id uuid NOT NULL UNIQUE,
    PRIMARY KEY (tenant_id, client_id)
);
CREATE TABLE IF NOT EXISTS read.client_packages (
    tenant_id text NOT NULL,
    client_id text NOT NULL,
    purchase_id text NOT NULL,
    package_id text,
    name text NOT NULL,
    sessions integer NOT NULL,
    used integer NOT NULL,
    "left" integer NOT NULL,
    closed integer NOT NULL,
    status text NOT NULL CHECK (status IN ({", ".join(f"'{s}'" for s in STATUSES)})),
    bought_on date NOT NULL,
    expires_on date,
    price_minor bigint NOT NULL,
    currency text NOT NULL,
    deferred_minor bigint NOT NULL,
    refund_minor bigint,
    PRIMARY KEY (tenant_id, client_id, purchase_id)
);
CREATE INDEX IF NOT EXISTS client_packages_active
    ON read.client_packages (tenant_id) WHERE status = 'active';
CREATE TABLE IF NOT EXISTS read.package_attention (
    tenant_id text NOT NULL,
    client_id text NOT NULL,
    booking_id text NOT NULL,
    service_name text NOT NULL,
    "on" date NOT NULL,
    PRIMARY KEY (tenant_id, client_id, booking_id)
);
CREATE INDEX IF NOT EXISTS package_attention_newest
    ON read.package_attention (tenant_id, "on" DESC, client_id, booking_id);
"""

TABLES = ("read.package_holders", "read.client_packages", "read.package_attention")

PACKAGE_COLUMNS = (
    "purchase_id",
    "package_id",
    "name",
    "sessions",
    "used",
    "left",
    "closed",
    "status",
    "bought_on",
    "expires_on",
    "price_minor",
    "currency",
    "deferred_minor",
    "refund_minor",
)
"""A package's fields, as ``Balance.to_record()`` names them and the table keeps them."""

ATTENTION_COLUMNS = ("booking_id", "service_name", "on")


def _latest_of_each_holder(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A client with several events in the batch: the row of their latest (highest ``seq``)."""
    latest: dict[UUID, dict[str, Any]] = {}
    for row in rows:
        seen = latest.get(row["agg"])
        if seen is None or row["seq"] > seen["seq"]:
            latest[row["agg"]] = row
    return list(latest.values())


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _packages_of_latest(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per package of each client's latest snapshot."""
    return [
        {
            "agg": row["agg"],
            **{column: record[column] for column in PACKAGE_COLUMNS},
            "bought_on": _day(record["bought_on"]),
            "expires_on": _day(record["expires_on"]),
        }
        for row in _latest_of_each_holder(rows)
        for record in row["snapshot"]["packages"]
    ]


def _unmatched_of_latest(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per visit needing attention in each client's latest snapshot."""
    return [
        {
            "agg": row["agg"],
            "booking_id": visit["booking_id"],
            "service_name": visit["service_name"],
            "on": _day(visit["on"]),
        }
        for row in _latest_of_each_holder(rows)
        for visit in row["snapshot"]["unmatched"]
    ]


OPEN_HOLDER = SetStatement(
    """
INSERT INTO read.package_holders (tenant_id, client_id, aggregate_id)
SELECT * FROM unnest(%(tenant)s::text[], %(client)s::text[], %(agg)s::uuid[])
ON CONFLICT DO NOTHING
""",
    ("tenant", "client", "agg"),
)


def _clear(table: str) -> SetStatement:
    """Delete the rows of `table` of every client whose holdings the batch changed."""
    return SetStatement(
        f"""
DELETE FROM {table} t
USING unnest(%(agg)s::uuid[]) AS r(agg)
JOIN read.package_holders h ON h.aggregate_id = r.agg
WHERE t.tenant_id = h.tenant_id AND t.client_id = h.client_id
""",
        ("agg",),
        _latest_of_each_holder,
    )


CLEAR_PACKAGES = _clear("read.client_packages")

ADD_PACKAGES = SetStatement(
    """
INSERT INTO read.client_packages
    (tenant_id, client_id, purchase_id, package_id, name, sessions, used, "left", closed, status,
     bought_on, expires_on, price_minor, currency, deferred_minor, refund_minor)
SELECT h.tenant_id, h.client_id, r.purchase_id, r.package_id, r.name, r.sessions, r.used, r.left,
       r.closed, r.status, r.bought_on, r.expires_on, r.price_minor, r.currency, r.deferred_minor,
       r.refund_minor
FROM unnest(%(agg)s::uuid[], %(purchase_id)s::text[], %(package_id)s::text[], %(name)s::text[],
            %(sessions)s::integer[], %(used)s::integer[], %(left)s::integer[],
            %(closed)s::integer[], %(status)s::text[], %(bought_on)s::date[],
            %(expires_on)s::date[], %(price_minor)s::bigint[], %(currency)s::text[],
            %(deferred_minor)s::bigint[], %(refund_minor)s::bigint[])
    AS r(agg, purchase_id, package_id, name, sessions, used, "left", closed, status, bought_on,
         expires_on, price_minor, currency, deferred_minor, refund_minor)
JOIN read.package_holders h ON h.aggregate_id = r.agg
""",
    ("agg", *PACKAGE_COLUMNS),
    _packages_of_latest,
)

CLEAR_ATTENTION = _clear("read.package_attention")

ADD_ATTENTION = SetStatement(
    """
INSERT INTO read.package_attention (tenant_id, client_id, booking_id, service_name, "on")
SELECT h.tenant_id, h.client_id, r.booking_id, r.service_name, r.on
FROM unnest(%(agg)s::uuid[], %(booking_id)s::text[], %(service_name)s::text[],
            %(on)s::date[]) AS r(agg, booking_id, service_name, "on")
JOIN read.package_holders h ON h.aggregate_id = r.agg
""",
    ("agg", *ATTENTION_COLUMNS),
    _unmatched_of_latest,
)

STATEMENTS = (OPEN_HOLDER, CLEAR_PACKAGES, ADD_PACKAGES, CLEAR_ATTENTION, ADD_ATTENTION)
"""The order a batch runs its statements in: the holder's row first, which the others join; a
client's rows cleared before their latest snapshot is written."""


def _statements(event: Any) -> Iterator[tuple[Statement, Row]]:
    """The statements one event makes, with their parameters; none for events not projected.

    Every event of the holdings after ``Opened`` carries ``snapshot``: it replaces the client's
    packages and their visits needing attention.
    """
    agg: UUID = event.originator_id
    if type(event).__qualname__ == "PackageHoldings.Opened":
        yield OPEN_HOLDER, {"tenant": event.tenant_id, "client": event.client_id, "agg": agg}
        return
    snapshot = getattr(event, "snapshot", None)
    if snapshot is None:
        return
    row = {"agg": agg, "seq": event.originator_version, "snapshot": snapshot}
    for statement in (CLEAR_PACKAGES, ADD_PACKAGES, CLEAR_ATTENTION, ADD_ATTENTION):
        yield statement, row


class PackagesProjection(StatementProjection):
    """Keeps the ``read.client_packages`` and ``read.package_attention`` tables from the loyalty
    service's package holdings events."""

    name = NAME
    ddl = DDL
    tables = TABLES
    statements = STATEMENTS
    aggregates = frozenset({"PackageHoldings"})

    def rows(self, event: Any) -> Iterator[tuple[Statement, Row]]:
        return _statements(event)


# -- queries -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientPackage:
    """One package of a client, as their holdings last recorded it; amounts in minor units of
    `currency`."""

    purchase_id: str
    package_id: str | None
    """The catalogue package; None: an ad-hoc package, made up at the till."""
    name: str
    sessions: int
    used: int
    left: int
    """Sessions still usable (0 once used up, expired or refunded)."""
    closed: int
    """Sessions that expired unused, or that the refund returned."""
    status: str
    """ "active" | "used_up" | "expired" | "refunded"."""
    bought_on: date
    expires_on: date | None
    """The day its sessions expire (None: never, or valid from a first use still to come)."""
    price_minor: int
    currency: str
    deferred_minor: int
    """The price received for sessions not delivered yet."""
    refund_minor: int | None
    """What the refund gives back; None unless refunded."""


@dataclass(frozen=True)
class AttentionVisit:
    """A visit paid from a package that no package of the client could pay for."""

    client_id: str
    booking_id: str
    service_name: str
    on: date


@dataclass(frozen=True)
class PackageLiability:
    """What the tenant still owes in sessions of one package, in one currency: over the active
    packages sold under it."""

    package_id: str | None
    """The catalogue package; None: ad-hoc packages, grouped by `name`."""
    name: str
    """The catalogue package's name on its latest sale; the ad-hoc packages' own."""
    currency: str
    packages: int
    """Active packages (with a session left)."""
    sessions_left: int
    deferred_minor: int
    """The price received for the sessions left (revenue not yet delivered)."""


_PACKAGE_SELECT = ", ".join(f'"{c}"' if c == "left" else c for c in PACKAGE_COLUMNS)


@dataclass(frozen=True)
class ClientHoldings:
    """A client's packages, newest purchase first, and their visits needing attention, newest
    first."""

    packages: list[ClientPackage]
    attention: list[AttentionVisit]


def client_holdings(
    conn: psycopg.Connection[Any], tenant_id: str, client_id: str
) -> ClientHoldings | None:
    """The client's packages and visits needing attention; None if they have no holdings (no
    package bought or refunded, no visit paid from one)."""
    owner = (tenant_id, client_id)
    with conn.cursor(row_factory=tuple_row) as cur:
        holder = cur.execute(
            "SELECT 1 FROM read.package_holders WHERE tenant_id = %s AND client_id = %s", owner
        ).fetchone()
    if holder is None:
        return None
    with conn.cursor(row_factory=class_row(ClientPackage)) as cur:
        packages = cur.execute(
            f"SELECT {_PACKAGE_SELECT} FROM read.client_packages"
            " WHERE tenant_id = %s AND client_id = %s ORDER BY bought_on DESC, purchase_id DESC",
            owner,
        ).fetchall()
    with conn.cursor(row_factory=class_row(AttentionVisit)) as cur:
        visits = cur.execute(
            'SELECT client_id, booking_id, service_name, "on" FROM read.package_attention'
            ' WHERE tenant_id = %s AND client_id = %s ORDER BY "on" DESC, booking_id',
            owner,
        ).fetchall()
    return ClientHoldings(packages, visits)


def attention(
    conn: psycopg.Connection[Any], tenant_id: str, *, limit: int, offset: int
) -> tuple[list[AttentionVisit], int]:
    """Every visit of the tenant needing attention, newest first (then by client and booking);
    and how many there are in all."""
    with conn.cursor(row_factory=class_row(AttentionVisit)) as cur:
        rows = cur.execute(
            'SELECT client_id, booking_id, service_name, "on" FROM read.package_attention'
            ' WHERE tenant_id = %s ORDER BY "on" DESC, client_id, booking_id LIMIT %s OFFSET %s',
            (tenant_id, limit, offset),
        ).fetchall()
    with conn.cursor(row_factory=tuple_row) as cur:
        count = cur.execute(
            "SELECT count(*) FROM read.package_attention WHERE tenant_id = %s", (tenant_id,)
        ).fetchone()
    return rows, count[0] if count else 0


def liability(conn: psycopg.Connection[Any], tenant_id: str) -> list[PackageLiability]:
    """The tenant's outstanding liability by package and currency, over its active packages:
    catalogue packages by id (named as last sold), ad-hoc ones by name; largest first."""
    with conn.cursor(row_factory=class_row(PackageLiability)) as cur:
        return cur.execute(
            """
SELECT package_id,
       (array_agg(name ORDER BY bought_on DESC, purchase_id DESC))[1] AS name,
       currency,
       count(*)::integer AS packages,
       sum("left")::integer AS sessions_left,
       sum(deferred_minor)::bigint AS deferred_minor
FROM read.client_packages
WHERE tenant_id = %s AND status = 'active'
GROUP BY package_id, CASE WHEN package_id IS NULL THEN name END, currency
ORDER BY currency, deferred_minor DESC, name, package_id
""",
            (tenant_id,),
        ).fetchall()
