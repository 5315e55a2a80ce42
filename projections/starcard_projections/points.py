"""Points read models: a client's balance and lots, their points history, the clients by points.

Follows the loyalty event store, like ``starcard_projections.loyalty``, under a position of its
own. Every movement of a ``PointsAccount`` (earned or a bonus, reversed, given back, redeemed,
expired, adjusted) is one row of ``read.points_history``, with the balance the account recorded
after it; ``Earned`` rows of no points stay (a line paid by package earns nothing, and the history
says so). The lots (``read.points_lots``) follow the events' own draws: a credit makes a lot of
what is left once a debt is paid, draws take from it, a refund gives back to it, an expiry closes
it.

The account's balance is *not* copied from the events: it is the sum of the movements' points, as
the account's ``balance()`` is the sum of its open lots less its debt, so
``starcard points reconcile`` comparing the two is a real check.

Only ``PointsAccount.Opened`` names the tenant and the client: it makes the account's row, and the
statements of later events find their owner by joining to it. A batch runs its statements kind by
kind in the order of ``STATEMENTS``: the account, then the lots, then what moves them. Draws, gifts
back and balances are sums, so within a batch their order does not matter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import class_row, tuple_row
from starcard_loyalty.api import movement_of

from starcard_projections.statements import Row, SetStatement, Statement, StatementProjection

NAME = "points"

REASONS = ("earned", "bonus", "redeemed", "expired", "reversed", "adjusted")

DDL = f"""
CREATE TABLE IF NOT EXISTS read.points_accounts (
    tenant_id text NOT NULL,
    client_id text NOT NULL,
    aggregate_id uuid NOT NULL UNIQUE,
    balance bigint NOT NULL DEFAULT 0,
    debt bigint NOT NULL DEFAULT 0,
    earned_total bigint NOT NULL DEFAULT 0,
    updated_at timestamptz,
    PRIMARY KEY (tenant_id, client_id)
);
CREATE INDEX IF NOT EXISTS points_accounts_by_balance
    ON read.points_accounts (tenant_id, balance DESC, client_id);
CREATE TABLE IF NOT EXISTS read.points_lots (
    tenant_id text NOT NULL,
    client_id text NOT NULL,
    lot_id text NOT NULL,
    source text NOT NULL,
    points bigint NOT NULL,
    remaining bigint NOT NULL,
    earned_at timestamptz NOT NULL,
    expires_on date,
    closed boolean NOT NULL DEFAULT false,
    PRIMARY KEY (tenant_id, client_id, lot_id)
);
CREATE TABLE IF NOT EXISTS read.points_history (
    tenant_id text NOT NULL,
    client_id text NOT NULL,
    seq integer NOT NULL,
    at timestamptz NOT NULL,
    reason text NOT NULL CHECK (reason IN ({", ".join(f"'{r}'" for r in REASONS)})),
    points bigint NOT NULL,
    balance_after bigint NOT NULL,
    source text NOT NULL,
    rule text,
    detail text,
    note text,
    expires_on date,
    PRIMARY KEY (tenant_id, client_id, seq)
);
"""

TABLES = ("read.points_accounts", "read.points_lots", "read.points_history")

_ACCOUNT = "JOIN read.points_accounts a ON a.aggregate_id = r.agg"
"""Later events find their owner through the account's row."""


def _last_of_each_lot(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A lot id credited twice in a batch: the later credit replaces the lot."""
    return list({(row["agg"], row["lot"]): row for row in rows}.values())


def _summed(*keys: str) -> Callable[[list[dict[str, Any]]], list[dict[str, Any]]]:
    """Rows of the same `keys` as one: their numbers added, the latest ``at`` kept."""

    def merge(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        merged: dict[tuple[Any, ...], dict[str, Any]] = {}
        for row in rows:
            key = tuple(row[k] for k in keys)
            if (seen := merged.get(key)) is None:
                merged[key] = dict(row)
                continue
            for column, value in row.items():
                if column == "at":
                    seen["at"] = max(seen["at"], value)
                elif column not in keys:
                    seen[column] += value
        return list(merged.values())

    return merge


OPEN_ACCOUNT = SetStatement(
    """
INSERT INTO read.points_accounts (tenant_id, client_id, aggregate_id)
SELECT * FROM unnest(%(tenant)s::text[], %(client)s::text[], %(agg)s::uuid[])
ON CONFLICT DO NOTHING
""",
    ("tenant", "client", "agg"),
)

# A lot id the account reuses replaces the lot, as ``PointsAccount`` does.
ADD_LOT = SetStatement(
    f"""
INSERT INTO read.points_lots
    (tenant_id, client_id, lot_id, source, points, remaining, earned_at, expires_on)
SELECT a.tenant_id, a.client_id, r.lot, r.source, r.points, r.remaining, r.at, r.expires_on
FROM unnest(%(agg)s::uuid[], %(lot)s::text[], %(source)s::text[], %(points)s::bigint[],
            %(remaining)s::bigint[], %(at)s::timestamptz[], %(expires_on)s::date[])
    AS r(agg, lot, source, points, remaining, at, expires_on)
{_ACCOUNT}
ON CONFLICT (tenant_id, client_id, lot_id) DO UPDATE SET
    source = excluded.source, points = excluded.points, remaining = excluded.remaining,
    earned_at = excluded.earned_at, expires_on = excluded.expires_on, closed = false
""",
    ("agg", "lot", "source", "points", "remaining", "at", "expires_on"),
    _last_of_each_lot,
)

MOVE = SetStatement(
    """
UPDATE read.points_accounts a SET
    balance = a.balance + r.points, debt = a.debt + r.debt,
    earned_total = a.earned_total + r.earned, updated_at = greatest(a.updated_at, r.at)
FROM unnest(%(agg)s::uuid[], %(points)s::bigint[], %(debt)s::bigint[], %(earned)s::bigint[],
            %(at)s::timestamptz[]) AS r(agg, points, debt, earned, at)
WHERE a.aggregate_id = r.agg
""",
    ("agg", "points", "debt", "earned", "at"),
    _summed("agg"),
)

ADD_HISTORY = SetStatement(
    f"""
INSERT INTO read.points_history
    (tenant_id, client_id, seq, at, reason, points, balance_after, source, rule, detail, note,
     expires_on)
SELECT a.tenant_id, a.client_id, r.seq, r.at, r.reason, r.points, r.balance, r.source, r.rule,
       r.detail, r.note, r.expires_on
FROM unnest(%(agg)s::uuid[], %(seq)s::integer[], %(at)s::timestamptz[], %(reason)s::text[],
            %(points)s::bigint[], %(balance)s::bigint[], %(source)s::text[], %(rule)s::text[],
            %(detail)s::text[], %(note)s::text[], %(expires_on)s::date[])
    AS r(agg, seq, at, reason, points, balance, source, rule, detail, note, expires_on)
{_ACCOUNT}
ON CONFLICT DO NOTHING
""",
    (
        "agg",
        "seq",
        "at",
        "reason",
        "points",
        "balance",
        "source",
        "rule",
        "detail",
        "note",
        "expires_on",
    ),
)

DRAW = SetStatement(
    """
UPDATE read.points_lots l SET remaining = l.remaining + r.points
FROM unnest(%(agg)s::uuid[], %(lot)s::text[], %(points)s::bigint[]) AS r(agg, lot, points)
JOIN read.points_accounts a ON a.aggregate_id = r.agg
WHERE l.tenant_id = a.tenant_id AND l.client_id = a.client_id AND l.lot_id = r.lot
""",
    ("agg", "lot", "points"),
    _summed("agg", "lot"),
)

CLOSE_LOTS = """
UPDATE read.points_lots l SET closed = true
FROM read.points_accounts a
WHERE a.aggregate_id = %(agg)s
  AND l.tenant_id = a.tenant_id AND l.client_id = a.client_id AND l.lot_id = ANY(%(lots)s)
"""

STATEMENTS = (OPEN_ACCOUNT, ADD_LOT, MOVE, ADD_HISTORY, DRAW, CLOSE_LOTS)
"""The order a batch runs its statements in (see the module's docstring)."""


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _lot_statements(kind: str, agg: UUID, event: Any) -> Iterator[tuple[Statement, Row]]:
    """What an event does to the account's lots: the ones it credits, draws and closes."""
    match kind:
        case "PointsAccount.Earned" if event.points > 0:
            yield (
                ADD_LOT,
                {
                    "agg": agg,
                    "lot": event.lot_id,
                    "source": event.source,
                    "points": event.points,
                    "remaining": event.points - event.paid_debt,
                    "at": event.earned_at,
                    "expires_on": _day(event.expires_on),
                },
            )
        case "PointsAccount.Adjusted" if event.lot_id is not None:
            yield (
                ADD_LOT,
                {
                    "agg": agg,
                    "lot": event.lot_id,
                    "source": event.lot_id,
                    "points": event.points,
                    "remaining": event.points - event.paid_debt,
                    "at": event.at,
                    "expires_on": _day(event.expires_on),
                },
            )
        case "PointsAccount.Returned":
            for lot_id, points in event.restored:
                yield DRAW, {"agg": agg, "lot": str(lot_id), "points": int(points)}
    if kind in {
        "PointsAccount.Reversed",
        "PointsAccount.Redeemed",
        "PointsAccount.Expired",
        "PointsAccount.Adjusted",
    }:
        for lot_id, points in event.draws:
            yield DRAW, {"agg": agg, "lot": str(lot_id), "points": -int(points)}
    if kind == "PointsAccount.Expired" and event.closed:
        yield CLOSE_LOTS, {"agg": agg, "lots": list(event.closed)}


def _statements(event: Any) -> Iterator[tuple[Statement, Row]]:
    """The statements one event makes, with their parameters; none for events not projected."""
    kind = type(event).__qualname__
    if not kind.startswith("PointsAccount."):
        return
    agg: UUID = event.originator_id
    if kind == "PointsAccount.Opened":
        yield OPEN_ACCOUNT, {"tenant": event.tenant_id, "client": event.client_id, "agg": agg}
        return
    yield from _lot_statements(kind, agg, event)
    movement = movement_of(kind, event)
    if movement is None or (movement.points == 0 and kind != "PointsAccount.Earned"):
        return  # an expiry of spent lots only closes them; a give-back that all lapsed, nothing
    yield (
        MOVE,
        {
            "agg": agg,
            "points": movement.points,
            "debt": movement.debt,
            "earned": movement.earned,
            "at": movement.at,
        },
    )
    yield (
        ADD_HISTORY,
        {
            "agg": agg,
            "seq": event.originator_version,
            "at": movement.at,
            "reason": movement.reason,
            "points": movement.points,
            "balance": movement.balance,
            "source": movement.source,
            "rule": movement.rule,
            "detail": movement.detail,
            "note": movement.note,
            "expires_on": movement.expires_on,
        },
    )


class PointsProjection(StatementProjection):
    """Keeps the ``read.points_*`` tables from the loyalty service's points events."""

    name = NAME
    ddl = DDL
    tables = TABLES
    statements = STATEMENTS
    aggregates = frozenset({"PointsAccount"})

    def rows(self, event: Any) -> Iterator[tuple[Statement, Row]]:
        return _statements(event)


# -- queries -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PointsLot:
    """Points credited together, with what is left of them."""

    lot_id: str
    source: str
    points: int
    remaining: int
    earned_at: datetime
    expires_on: date | None
    """None: never expires."""


@dataclass(frozen=True)
class PointsMovementRow:
    """A row of the client's points history."""

    at: datetime
    reason: str
    """ "earned" | "bonus" | "redeemed" | "expired" | "reversed" | "adjusted"."""
    points: int
    """Signed: what the movement added to the balance."""
    balance: int
    """The balance after the movement."""
    source: str
    rule: str | None
    """A bonus's rule (a service bonus's id, "rebook", a grant's programme)."""
    detail: str | None
    note: str | None
    """An adjustment's note."""
    expires_on: date | None
    """When the points credited expire."""


@dataclass(frozen=True)
class PointsSummary:
    """The client's balance and the lots it is made of."""

    client_id: str
    balance: int
    lots: list[PointsLot]
    """Open lots with points left, in the order they are spent: soonest-expiring first, then
    oldest; never-expiring last."""
    next_expiry: tuple[date, int] | None
    """``(day, points)``: the soonest day lots expire and what is left of them."""


def points_summary(conn: psycopg.Connection[Any], tenant_id: str, client_id: str) -> PointsSummary:
    """The client's balance and open lots; a balance of 0 and no lots without an account."""
    owner = (tenant_id, client_id)
    with conn.cursor(row_factory=tuple_row) as cur:
        row = cur.execute(
            "SELECT balance FROM read.points_accounts WHERE tenant_id = %s AND client_id = %s",
            owner,
        ).fetchone()
    with conn.cursor(row_factory=class_row(PointsLot)) as cur:
        lots = cur.execute(
            "SELECT lot_id, source, points, remaining, earned_at, expires_on"
            " FROM read.points_lots"
            " WHERE tenant_id = %s AND client_id = %s AND NOT closed AND remaining > 0"
            " ORDER BY expires_on NULLS LAST, earned_at, lot_id",
            owner,
        ).fetchall()
    soonest = min((lot.expires_on for lot in lots if lot.expires_on is not None), default=None)
    next_expiry = (
        None
        if soonest is None
        else (soonest, sum(lot.remaining for lot in lots if lot.expires_on == soonest))
    )
    return PointsSummary(client_id, row[0] if row else 0, lots, next_expiry)


def points_history(
    conn: psycopg.Connection[Any], tenant_id: str, client_id: str, *, limit: int, offset: int
) -> tuple[list[PointsMovementRow], int]:
    """The client's movements, newest first (in the order the account recorded them, so each
    row's balance follows from the one below it); and how many there are in all."""
    with conn.cursor(row_factory=class_row(PointsMovementRow)) as cur:
        rows = cur.execute(
            "SELECT at, reason, points, balance_after AS balance, source, rule, detail, note,"
            " expires_on FROM read.points_history WHERE tenant_id = %s AND client_id = %s"
            " ORDER BY seq DESC LIMIT %s OFFSET %s",
            (tenant_id, client_id, limit, offset),
        ).fetchall()
    count = conn.execute(
        "SELECT count(*) FROM read.points_history WHERE tenant_id = %s AND client_id = %s",
        (tenant_id, client_id),
    ).fetchone()
    return rows, count[0] if count else 0


def clients_by_points(
    conn: psycopg.Connection[Any], tenant_id: str, *, limit: int, offset: int
) -> tuple[list[tuple[str, int]], int]:
    """``(client_id, balance)`` of the tenant's points accounts, most points first, then by
    client id; and how many there are in all."""
    with conn.cursor(row_factory=tuple_row) as cur:
        rows = cur.execute(
            "SELECT client_id, balance FROM read.points_accounts WHERE tenant_id = %s"
            " ORDER BY balance DESC, client_id LIMIT %s OFFSET %s",
            (tenant_id, limit, offset),
        ).fetchall()
        count = cur.execute(
            "SELECT count(*) FROM read.points_accounts WHERE tenant_id = %s", (tenant_id,)
        ).fetchone()
    return [(client, balance) for client, balance in rows], count[0] if count else 0


def read_balances(
    conn: psycopg.Connection[Any], tenant_id: str | None = None
) -> dict[tuple[str, str], int]:
    """``(tenant_id, client_id) -> balance`` of every account (of one tenant, if given)."""
    with conn.cursor(row_factory=tuple_row) as cur:
        rows = cur.execute(
            "SELECT tenant_id, client_id, balance FROM read.points_accounts"
            " WHERE %(tenant)s::text IS NULL OR tenant_id = %(tenant)s",
            {"tenant": tenant_id},
        ).fetchall()
    return {(tenant, client): balance for tenant, client, balance in rows}
