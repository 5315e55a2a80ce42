"""What the campaigns service asks of its own events table that the event library does not offer.

The daily tick needs the clients of a tenant whose birthday falls in the coming days, whose first
visit's anniversary does, and whose last visit is as far behind as a re-engagement step. The
calendars hold the answers, one aggregate per client; rather than keep tables in step with them,
one query per campaign reads the calendars' events. Each only finds candidates: the application
reads each calendar and applies the campaign's rule (the one home of the rule) before it makes
any offer. Reading a tenant's offers needs their occasions, which only the offers' events know.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from psycopg.sql import SQL
from starcard_runtime.eventstore import over_events, postgres_recorder

from starcard_campaigns.domain.birthdays import MonthDay

__all__ = [
    "clients_first_visited_on",
    "clients_last_visited_between",
    "clients_with_birthday_in",
    "offer_ids",
]

CLIENTS_WITH_BIRTHDAY_IN = SQL("""
WITH started AS (
    SELECT originator_id, convert_from(state, 'UTF8')::jsonb ->> 'client_id' AS client_id
    FROM {events}
    WHERE topic LIKE '%%:ClientCalendar.Started'
      AND convert_from(state, 'UTF8')::jsonb ->> 'tenant_id' = %(tenant_id)s
),
latest AS (
    SELECT DISTINCT ON (e.originator_id) e.originator_id, e.topic,
           convert_from(e.state, 'UTF8')::jsonb AS birthday
    FROM {events} AS e JOIN started USING (originator_id)
    WHERE e.topic LIKE '%%:ClientCalendar.BirthdayNoted'
       OR e.topic LIKE '%%:ClientCalendar.BirthdayRemoved'
    ORDER BY e.originator_id, e.originator_version DESC
)
SELECT started.client_id FROM latest JOIN started USING (originator_id)
WHERE latest.topic LIKE '%%.BirthdayNoted'
  AND (latest.birthday ->> 'month')::int * 100 + (latest.birthday ->> 'day')::int
      = ANY(%(month_days)s::int[])
ORDER BY 1
""")
"""Clients of a tenant whose calendar's latest birthday event notes one of ``month_days``
(``month * 100 + day``); a birthday removed since is no birthday."""

VISITS = """
WITH started AS (
    SELECT originator_id, convert_from(state, 'UTF8')::jsonb ->> 'client_id' AS client_id
    FROM {events}
    WHERE topic LIKE '%%:ClientCalendar.Started'
      AND convert_from(state, 'UTF8')::jsonb ->> 'tenant_id' = %(tenant_id)s
),
visits AS (
    SELECT e.originator_id, (convert_from(e.state, 'UTF8')::jsonb ->> 'at')::timestamptz AS at
    FROM {events} AS e JOIN started USING (originator_id)
    WHERE e.topic LIKE '%%:ClientCalendar.VisitNoted'
)
"""

CLIENTS_FIRST_VISITED_ON = SQL(
    VISITS
    + """
SELECT started.client_id FROM visits JOIN started USING (originator_id)
GROUP BY started.client_id
HAVING extract(month FROM min(at) AT TIME ZONE %(zone)s)::int * 100
       + extract(day FROM min(at) AT TIME ZONE %(zone)s)::int = ANY(%(month_days)s::int[])
ORDER BY 1
"""
)
"""Clients of a tenant whose earliest visit, in the tenant's zone, fell on one of
``month_days``."""

CLIENTS_LAST_VISITED_BETWEEN = SQL(
    VISITS
    + """
SELECT started.client_id FROM visits JOIN started USING (originator_id)
GROUP BY started.client_id
HAVING max(at) > %(after)s AND max(at) < %(before)s
ORDER BY 1
"""
)
"""Clients of a tenant whose latest visit was between two instants."""

OFFER_IDS = SQL("""
SELECT originator_id FROM {events}
WHERE topic LIKE '%%:Offer.Decided'
  AND convert_from(state, 'UTF8')::jsonb ->> 'tenant_id' = %(tenant_id)s
  AND (%(client_id)s::text IS NULL
       OR convert_from(state, 'UTF8')::jsonb ->> 'client_id' = %(client_id)s)
""")


def clients_with_birthday_in(
    application: Application[Any], tenant_id: str, birthdays: Collection[MonthDay]
) -> list[str]:
    """The tenant's clients whose birthday, as their calendar last noted it, is one of
    `birthdays`."""
    if not birthdays:
        return []
    return _client_ids(
        application,
        CLIENTS_WITH_BIRTHDAY_IN,
        {"tenant_id": tenant_id, "month_days": _month_days(birthdays)},
    )


def clients_first_visited_on(
    application: Application[Any], tenant_id: str, days: Collection[MonthDay], zone: str
) -> list[str]:
    """The tenant's clients whose first visit, in the time zone `zone`, fell on one of `days`."""
    if not days:
        return []
    return _client_ids(
        application,
        CLIENTS_FIRST_VISITED_ON,
        {"tenant_id": tenant_id, "zone": zone, "month_days": _month_days(days)},
    )


def clients_last_visited_between(
    application: Application[Any], tenant_id: str, *, after: datetime, before: datetime
) -> list[str]:
    """The tenant's clients whose last visit was after `after` and before `before`."""
    return _client_ids(
        application,
        CLIENTS_LAST_VISITED_BETWEEN,
        {"tenant_id": tenant_id, "after": after, "before": before},
    )


def offer_ids(
    application: Application[Any], tenant_id: str, client_id: str | None = None
) -> list[UUID]:
    """The ids of the tenant's offers (or one client's), sent or held out."""
    recorder = postgres_recorder(application)
    with recorder.datastore.get_connection() as conn, conn.cursor() as cursor:
        cursor.execute(
            over_events(OFFER_IDS, recorder), {"tenant_id": tenant_id, "client_id": client_id}
        )
        return [row["originator_id"] for row in cursor.fetchall()]


def _month_days(days: Collection[MonthDay]) -> list[int]:
    return sorted(each.month * 100 + each.day for each in days)


def _client_ids(application: Application[Any], query: SQL, params: dict[str, Any]) -> list[str]:
    recorder = postgres_recorder(application)
    with recorder.datastore.get_connection() as conn, conn.cursor() as cursor:
        cursor.execute(over_events(query, recorder), params)
        return [row["client_id"] for row in cursor.fetchall()]
