"""What the campaigns service asks of its own events table that the event library does not offer.

The daily tick needs the clients of a tenant whose birthday falls in the coming days. The
calendars hold the answer, one aggregate per client; rather than keep a table of birthdays in step
with them, one query reads the calendars' latest birthday event. It only finds the candidates: the
application reads each calendar before it rewards anyone. Reading a client's rewards needs the
years they were granted for, which only the rewards' events know.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from psycopg.sql import SQL
from starcard_runtime.eventstore import over_events, postgres_recorder

from starcard_campaigns.domain.birthdays import MonthDay

__all__ = ["birthday_reward_ids", "clients_with_birthday_in"]

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

BIRTHDAY_REWARD_IDS = SQL("""
SELECT originator_id FROM {events}
WHERE topic LIKE '%%:BirthdayReward.Granted'
  AND convert_from(state, 'UTF8')::jsonb ->> 'tenant_id' = %(tenant_id)s
  AND convert_from(state, 'UTF8')::jsonb ->> 'client_id' = %(client_id)s
""")


def clients_with_birthday_in(
    application: Application[Any], tenant_id: str, birthdays: Collection[MonthDay]
) -> list[str]:
    """The tenant's clients whose birthday, as their calendar last noted it, is one of
    `birthdays`."""
    if not birthdays:
        return []
    recorder = postgres_recorder(application)
    month_days = sorted(each.month * 100 + each.day for each in birthdays)
    with recorder.datastore.get_connection() as conn, conn.cursor() as cursor:
        cursor.execute(
            over_events(CLIENTS_WITH_BIRTHDAY_IN, recorder),
            {"tenant_id": tenant_id, "month_days": month_days},
        )
        return [row["client_id"] for row in cursor.fetchall()]


def birthday_reward_ids(
    application: Application[Any], tenant_id: str, client_id: str
) -> list[UUID]:
    """The ids of the client's birthday rewards, one per year they were granted for."""
    recorder = postgres_recorder(application)
    with recorder.datastore.get_connection() as conn, conn.cursor() as cursor:
        cursor.execute(
            over_events(BIRTHDAY_REWARD_IDS, recorder),
            {"tenant_id": tenant_id, "client_id": client_id},
        )
        return [row["originator_id"] for row in cursor.fetchall()]
