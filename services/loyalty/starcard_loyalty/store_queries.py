"""What the loyalty service asks of its own events table that the event library does not offer.

Operational queries over ``eventsourcing``'s stored format, run on the service's own schema: the
tenants with a programme and their time settings (the clock scheduler ticks for each in its
zone) and the clients whose outstanding code ran out (the daily clock tick expires them). One
scan of the events each, no table of their own to keep in step with the events. Events are
stored by the library's JSON transcoder, so a datetime is
``{"_type_": "datetime_iso", "_data_": "<ISO 8601>"}``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from eventsourcing.application import Application
from psycopg.sql import SQL
from starcard_runtime.eventstore import over_events, postgres_recorder

__all__ = [
    "memberships_due",
    "outstanding_codes_due",
    "package_holdings_due",
    "points_account_owners",
    "points_accounts_due",
    "tenants_time_settings",
]

TENANTS_TIME_SETTINGS = SQL("""
WITH programmes AS (
    SELECT originator_id, convert_from(state, 'UTF8')::jsonb ->> 'tenant_id' AS tenant_id
    FROM {events} WHERE topic LIKE '%%:LoyaltyProgramme.Opened'
),
latest AS (
    SELECT DISTINCT ON (originator_id) originator_id,
           convert_from(state, 'UTF8')::jsonb AS settings
    FROM {events} WHERE topic LIKE '%%:LoyaltyProgramme.TimeSettingsChanged'
    ORDER BY originator_id, originator_version DESC
)
SELECT programmes.tenant_id, latest.settings
FROM programmes LEFT JOIN latest USING (originator_id)
ORDER BY 1
""")
"""Every tenant with a programme, and the fields of its last time settings change (none: it
never changed them)."""

OUTSTANDING_CODES_DUE = SQL("""
WITH rewards AS (
    SELECT originator_id, topic, convert_from(state, 'UTF8')::jsonb AS event
    FROM {events}
    WHERE topic LIKE '%%:ClientLoyalty.RewardIssued'
       OR topic LIKE '%%:ClientLoyalty.RewardRedeemed'
       OR topic LIKE '%%:ClientLoyalty.RewardExpired'
),
due AS (
    SELECT DISTINCT issued.originator_id
    FROM rewards AS issued
    WHERE issued.topic LIKE '%%.RewardIssued'
      AND issued.event ->> 'code' IS NOT NULL
      AND (issued.event -> 'expires_at' ->> '_data_')::timestamptz <= %(at)s
      AND NOT EXISTS (
          SELECT 1 FROM rewards AS settled
          WHERE settled.originator_id = issued.originator_id
            AND settled.topic NOT LIKE '%%.RewardIssued'
            AND settled.event ->> 'code' = issued.event ->> 'code'
      )
),
clients AS (
    SELECT convert_from(started.state, 'UTF8')::jsonb AS event
    FROM {events} AS started JOIN due USING (originator_id)
    WHERE started.topic LIKE '%%:ClientLoyalty.Started'
)
SELECT event ->> 'tenant_id' AS tenant_id, event ->> 'client_id' AS client_id
FROM clients
WHERE %(tenant_id)s::text IS NULL OR event ->> 'tenant_id' = %(tenant_id)s::text
ORDER BY 1, 2
""")
"""Clients whose outstanding code ran out by ``at``: a code issued and neither redeemed nor
expired."""


POINTS_ACCOUNTS_DUE = SQL("""
WITH opened AS (
    SELECT originator_id, convert_from(state, 'UTF8')::jsonb ->> 'client_id' AS client_id
    FROM {events}
    WHERE topic LIKE '%%:PointsAccount.Opened'
      AND convert_from(state, 'UTF8')::jsonb ->> 'tenant_id' = %(tenant_id)s
),
lots AS (
    SELECT e.originator_id, convert_from(e.state, 'UTF8')::jsonb AS event
    FROM {events} AS e JOIN opened USING (originator_id)
    WHERE e.topic LIKE '%%:PointsAccount.Earned'
       OR e.topic LIKE '%%:PointsAccount.Adjusted'
),
closed AS (
    SELECT e.originator_id, jsonb_array_elements_text(
        convert_from(e.state, 'UTF8')::jsonb -> 'closed') AS lot_id
    FROM {events} AS e JOIN opened USING (originator_id)
    WHERE e.topic LIKE '%%:PointsAccount.Expired'
)
SELECT DISTINCT opened.client_id
FROM lots JOIN opened USING (originator_id)
WHERE (lots.event ->> 'points')::bigint > 0
  AND (lots.event ->> 'expires_on')::date <= %(horizon)s
  AND NOT EXISTS (
      SELECT 1 FROM closed
      WHERE closed.originator_id = lots.originator_id
        AND closed.lot_id = lots.event ->> 'lot_id'
  )
ORDER BY 1
""")
"""Clients of a tenant with a lot that expires by ``horizon`` and is not closed yet."""

REVIEWS_DUE = SQL("""
WITH opened AS (
    SELECT originator_id, convert_from(state, 'UTF8')::jsonb ->> 'client_id' AS client_id
    FROM {events}
    WHERE topic LIKE %(opened)s
      AND convert_from(state, 'UTF8')::jsonb ->> 'tenant_id' = %(tenant_id)s
),
latest AS (
    SELECT DISTINCT ON (e.originator_id) e.originator_id,
           convert_from(e.state, 'UTF8')::jsonb AS outlook
    FROM {events} AS e JOIN opened USING (originator_id)
    WHERE e.topic NOT LIKE %(opened)s
    ORDER BY e.originator_id, e.originator_version DESC
)
SELECT opened.client_id FROM latest JOIN opened USING (originator_id)
WHERE (latest.outlook ->> 'review_on')::date <= %(day)s
   OR coalesce((latest.outlook ->> 'settings_version')::int, 0) < %(version)s
ORDER BY 1
""")
"""Clients of a tenant whose aggregate of one kind (a membership, package holdings) is due a
look by ``day``: its next review (``review_on``, on every event after the first) has come, or it
was last judged under older settings than ``version``."""

POINTS_ACCOUNT_OWNERS = SQL("""
SELECT convert_from(state, 'UTF8')::jsonb ->> 'tenant_id' AS tenant_id,
       convert_from(state, 'UTF8')::jsonb ->> 'client_id' AS client_id
FROM {events} WHERE topic LIKE '%%:PointsAccount.Opened' ORDER BY 1, 2
""")


def points_accounts_due(
    application: Application[Any], tenant_id: str, day: date, notice_days: int
) -> list[str]:
    """Clients of the tenant with points expiring by `day`, or within `notice_days` of it (the
    tick expires the first and tells the second)."""
    recorder = postgres_recorder(application)
    with recorder.datastore.get_connection() as conn, conn.cursor() as cursor:
        cursor.execute(
            over_events(POINTS_ACCOUNTS_DUE, recorder),
            {"tenant_id": tenant_id, "horizon": day + timedelta(days=notice_days)},
        )
        return [row["client_id"] for row in cursor.fetchall()]


def memberships_due(
    application: Application[Any], tenant_id: str, day: date, settings_version: int
) -> list[str]:
    """Clients of the tenant to look at on `day`: a drop, a warning or a purchase leaving the
    window is due, or the tier settings changed since they were last judged."""
    return _reviews_due(application, "Membership", tenant_id, day, settings_version)


def package_holdings_due(
    application: Application[Any], tenant_id: str, day: date, settings_version: int
) -> list[str]:
    """Clients of the tenant whose packages expire, or must be reminded of it, by `day`, or
    whose reminders were scheduled under older package settings."""
    return _reviews_due(application, "PackageHoldings", tenant_id, day, settings_version)


def _reviews_due(
    application: Application[Any], kind: str, tenant_id: str, day: date, settings_version: int
) -> list[str]:
    recorder = postgres_recorder(application)
    with recorder.datastore.get_connection() as conn, conn.cursor() as cursor:
        cursor.execute(
            over_events(REVIEWS_DUE, recorder),
            {
                "opened": f"%:{kind}.Opened",
                "tenant_id": tenant_id,
                "day": day,
                "version": settings_version,
            },
        )
        return [row["client_id"] for row in cursor.fetchall()]


def points_account_owners(application: Application[Any]) -> list[tuple[str, str]]:
    """``(tenant_id, client_id)`` of every points account."""
    recorder = postgres_recorder(application)
    with recorder.datastore.get_connection() as conn, conn.cursor() as cursor:
        cursor.execute(over_events(POINTS_ACCOUNT_OWNERS, recorder))
        return [(row["tenant_id"], row["client_id"]) for row in cursor.fetchall()]


def tenants_time_settings(application: Application[Any]) -> dict[str, dict[str, Any] | None]:
    """Every tenant with a programme, with the fields of its last ``TimeSettingsChanged`` (None
    when it never changed its time settings)."""
    recorder = postgres_recorder(application)
    with recorder.datastore.get_connection() as conn, conn.cursor() as cursor:
        cursor.execute(over_events(TENANTS_TIME_SETTINGS, recorder))
        return {row["tenant_id"]: row["settings"] for row in cursor.fetchall()}


def outstanding_codes_due(
    application: Application[Any], at: datetime, tenant_id: str | None = None
) -> list[tuple[str, str]]:
    """``(tenant_id, client_id)`` of every client (of one tenant, when given) whose outstanding
    code ran out by `at`."""
    recorder = postgres_recorder(application)
    with recorder.datastore.get_connection() as conn, conn.cursor() as cursor:
        cursor.execute(
            over_events(OUTSTANDING_CODES_DUE, recorder), {"at": at, "tenant_id": tenant_id}
        )
        return [(row["tenant_id"], row["client_id"]) for row in cursor.fetchall()]
