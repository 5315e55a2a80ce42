"""Tiers read models: each client's tier and what keeps it, the tier changes they were told of,
and the clients by tier.

Follows the loyalty event store, like ``starcard_projections.points``, under a position of its
own. Only ``Membership.Opened`` names the tenant and the client: it makes the member's row, and
the statements of later events find their owner by joining to it.

The tier a member shows is the one they were *told* of (the ``to_tier`` of their last
``TierChanged``), not one computed here: the account computes its history from its facts, and
what it tells the client is the fact this model follows. ``tier_id`` stays NULL until the first
change: the member is in the first tier, whatever the settings call it. A member who dropped
back to the first tier shows its id.

Every event after ``Opened`` records the account's outlook after it (the spend in the window, the
day the tier drops unless more is spent, what spending before then keeps it): the member's row
shows the last one. A batch may hold several events of one account, and an update can touch a
row only once a statement, so each statement keeps, per account, the row of its latest event.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import class_row, tuple_row

from starcard_projections.statements import Row, SetStatement, Statement, StatementProjection

NAME = "tiers"

DDL = """
CREATE TABLE IF NOT EXISTS read.tier_members (
    tenant_id text NOT NULL,
    client_id text NOT NULL,
    aggregate_id uuid NOT NULL UNIQUE,
    tier_id text,
    spend_minor bigint NOT NULL DEFAULT 0,
    drops_on date,
    shortfall_minor bigint NOT NULL DEFAULT 0,
    tier_since timestamptz,
    updated_at timestamptz,
    PRIMARY KEY (tenant_id, client_id)
);
CREATE INDEX IF NOT EXISTS tier_members_by_tier
    ON read.tier_members (tenant_id, tier_id, spend_minor DESC, client_id);
CREATE TABLE IF NOT EXISTS read.tier_history (
    tenant_id text NOT NULL,
    client_id text NOT NULL,
    seq integer NOT NULL,
    at timestamptz NOT NULL,
    from_tier text NOT NULL,
    to_tier text NOT NULL,
    direction text NOT NULL CHECK (direction IN ('up', 'down')),
    reason text NOT NULL,
    spend_minor bigint NOT NULL,
    PRIMARY KEY (tenant_id, client_id, seq)
);
"""

TABLES = ("read.tier_members", "read.tier_history")

OUTLOOKS = frozenset(
    {
        "Membership.SpendCounted",
        "Membership.RefundNoted",
        "Membership.TierChanged",
        "Membership.DropWarned",
        "Membership.Reviewed",
    }
)
"""The events that record the account's outlook after them: all but ``Opened``."""


def _latest_of_each_member(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An account with several events in the batch: the row of its latest (highest ``seq``)."""
    latest: dict[UUID, dict[str, Any]] = {}
    for row in rows:
        seen = latest.get(row["agg"])
        if seen is None or row["seq"] > seen["seq"]:
            latest[row["agg"]] = row
    return list(latest.values())


OPEN_MEMBER = SetStatement(
    """
INSERT INTO read.tier_members (tenant_id, client_id, aggregate_id, updated_at)
SELECT * FROM unnest(%(tenant)s::text[], %(client)s::text[], %(agg)s::uuid[],
                     %(at)s::timestamptz[])
ON CONFLICT DO NOTHING
""",
    ("tenant", "client", "agg", "at"),
)

SET_OUTLOOK = SetStatement(
    """
UPDATE read.tier_members m SET
    spend_minor = r.spend, drops_on = r.drops_on, shortfall_minor = r.shortfall,
    updated_at = r.at
FROM unnest(%(agg)s::uuid[], %(spend)s::bigint[], %(drops_on)s::date[], %(shortfall)s::bigint[],
            %(at)s::timestamptz[]) AS r(agg, spend, drops_on, shortfall, at)
WHERE m.aggregate_id = r.agg
""",
    ("agg", "spend", "drops_on", "shortfall", "at"),
    _latest_of_each_member,
)

SET_TIER = SetStatement(
    """
UPDATE read.tier_members m SET tier_id = r.tier, tier_since = r.since
FROM unnest(%(agg)s::uuid[], %(tier)s::text[], %(since)s::timestamptz[]) AS r(agg, tier, since)
WHERE m.aggregate_id = r.agg
""",
    ("agg", "tier", "since"),
    _latest_of_each_member,
)

ADD_HISTORY = SetStatement(
    """
INSERT INTO read.tier_history
    (tenant_id, client_id, seq, at, from_tier, to_tier, direction, reason, spend_minor)
SELECT m.tenant_id, m.client_id, r.seq, r.at, r.from_tier, r.to_tier, r.direction, r.reason,
       r.spend
FROM unnest(%(agg)s::uuid[], %(seq)s::integer[], %(at)s::timestamptz[], %(from_tier)s::text[],
            %(to_tier)s::text[], %(direction)s::text[], %(reason)s::text[], %(spend)s::bigint[])
    AS r(agg, seq, at, from_tier, to_tier, direction, reason, spend)
JOIN read.tier_members m ON m.aggregate_id = r.agg
ON CONFLICT DO NOTHING
""",
    ("agg", "seq", "at", "from_tier", "to_tier", "direction", "reason", "spend"),
)

STATEMENTS = (OPEN_MEMBER, SET_OUTLOOK, SET_TIER, ADD_HISTORY)
"""The order a batch runs its statements in: the member's row first, which the others join."""


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _statements(event: Any) -> Iterator[tuple[Statement, Row]]:
    """The statements one event makes, with their parameters; none for events not projected.

    ``updated_at`` is the event's timestamp, when the account recorded it: the events' own
    moments are of the facts (a purchase arriving late is months old), and ``Reviewed`` has none.
    """
    kind = type(event).__qualname__
    agg: UUID = event.originator_id
    if kind == "Membership.Opened":
        yield (
            OPEN_MEMBER,
            {
                "tenant": event.tenant_id,
                "client": event.client_id,
                "agg": agg,
                "at": event.timestamp,
            },
        )
        return
    if kind not in OUTLOOKS:
        return
    seq: int = event.originator_version
    yield (
        SET_OUTLOOK,
        {
            "agg": agg,
            "seq": seq,
            "spend": event.spend_minor,
            "drops_on": _day(event.drops_on),
            "shortfall": event.shortfall_minor,
            "at": event.timestamp,
        },
    )
    if kind != "Membership.TierChanged":
        return
    yield SET_TIER, {"agg": agg, "seq": seq, "tier": event.to_tier, "since": event.at}
    yield (
        ADD_HISTORY,
        {
            "agg": agg,
            "seq": seq,
            "at": event.at,
            "from_tier": event.from_tier,
            "to_tier": event.to_tier,
            "direction": event.direction,
            "reason": event.reason,
            "spend": event.spend_minor,
        },
    )


class TiersProjection(StatementProjection):
    """Keeps the ``read.tier_*`` tables from the loyalty service's membership events."""

    name = NAME
    ddl = DDL
    tables = TABLES
    statements = STATEMENTS
    aggregates = frozenset({"Membership"})

    def rows(self, event: Any) -> Iterator[tuple[Statement, Row]]:
        return _statements(event)


# -- queries -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TierMember:
    """A client's tier and what keeps it, as their account last recorded."""

    client_id: str
    tier_id: str | None
    """None: never moved from the first tier."""
    spend_minor: int
    """The spend in the rolling window."""
    drops_on: date | None
    """The day the tier drops unless more is spent before it (None: it cannot drop)."""
    shortfall_minor: int
    """What spending before `drops_on` keeps the tier."""
    tier_since: datetime | None
    """When the history reached the tier the client was last told of (None: never told)."""
    updated_at: datetime | None
    """When the account last recorded an event."""


@dataclass(frozen=True)
class TierHistoryRow:
    """A tier change the client was told of."""

    at: datetime
    from_tier: str
    to_tier: str
    direction: str
    """ "up" | "down"."""
    reason: str
    """ "spend_reached" | "spend_left_window" | "refunded" | "keep_period_ended" |
    "corrected"."""
    spend_minor: int
    """The spend in the window when the change was recorded."""


_MEMBER_COLUMNS = (
    "client_id, tier_id, spend_minor, drops_on, shortfall_minor, tier_since, updated_at"
)


def tier_member(conn: psycopg.Connection[Any], tenant_id: str, client_id: str) -> TierMember | None:
    """The client's row; None if they have no membership yet (nothing of theirs was counted or
    refunded since their tenant's tiers were on)."""
    with conn.cursor(row_factory=class_row(TierMember)) as cur:
        return cur.execute(
            f"SELECT {_MEMBER_COLUMNS} FROM read.tier_members"
            " WHERE tenant_id = %s AND client_id = %s",
            (tenant_id, client_id),
        ).fetchone()


def tier_history(
    conn: psycopg.Connection[Any], tenant_id: str, client_id: str, *, limit: int, offset: int
) -> tuple[list[TierHistoryRow], int]:
    """The tier changes the client was told of, newest first (in the order they were told); and
    how many there are in all."""
    owner = (tenant_id, client_id)
    with conn.cursor(row_factory=class_row(TierHistoryRow)) as cur:
        rows = cur.execute(
            "SELECT at, from_tier, to_tier, direction, reason, spend_minor FROM read.tier_history"
            " WHERE tenant_id = %s AND client_id = %s ORDER BY seq DESC LIMIT %s OFFSET %s",
            (*owner, limit, offset),
        ).fetchall()
    with conn.cursor(row_factory=tuple_row) as cur:
        count = cur.execute(
            "SELECT count(*) FROM read.tier_history WHERE tenant_id = %s AND client_id = %s",
            owner,
        ).fetchone()
    return rows, count[0] if count else 0


def tier_distribution(conn: psycopg.Connection[Any], tenant_id: str) -> dict[str | None, int]:
    """How many of the tenant's members show each tier id (None: never moved from the first
    tier; a member who dropped back to it counts under its id)."""
    with conn.cursor(row_factory=tuple_row) as cur:
        rows = cur.execute(
            "SELECT tier_id, count(*) FROM read.tier_members WHERE tenant_id = %s GROUP BY tier_id",
            (tenant_id,),
        ).fetchall()
    return dict(rows)


def clients_in_tier(
    conn: psycopg.Connection[Any], tenant_id: str, tier_id: str | None, *, limit: int, offset: int
) -> tuple[list[TierMember], int]:
    """The tenant's members showing `tier_id` (None: never moved from the first tier), highest
    spend first, then by client id; and how many there are in all."""
    # Two statements rather than ``IS NOT DISTINCT FROM``, which no index serves.
    where = "tenant_id = %s AND " + ("tier_id IS NULL" if tier_id is None else "tier_id = %s")
    params: tuple[str, ...] = (tenant_id,) if tier_id is None else (tenant_id, tier_id)
    with conn.cursor(row_factory=class_row(TierMember)) as cur:
        rows = cur.execute(
            f"SELECT {_MEMBER_COLUMNS} FROM read.tier_members WHERE {where}"
            " ORDER BY spend_minor DESC, client_id LIMIT %s OFFSET %s",
            (*params, limit, offset),
        ).fetchall()
    with conn.cursor(row_factory=tuple_row) as cur:
        count = cur.execute(f"SELECT count(*) FROM read.tier_members WHERE {where}", params)
        found = count.fetchone()
    return rows, found[0] if found else 0
