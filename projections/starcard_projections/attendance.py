"""Attendance read models (studios): the client's milestone count, the check-in screen's count,
the automations a client reached, and the marketing segments their tags make.

Follows the loyalty event store, like ``starcard_projections.loyalty``, under a position of its
own. Only facts are kept: one row per booking (``read.attendance_bookings``: booked, checked in,
completed, cancelled, and the service's kind), the client's original count, the tenant's counting
settings and automations, the automations each client reached and the tags they got. Counts are
derived when read, under the tenant's settings *now*, the rule of
``ClientLoyalty.attendance_count``: the original count plus the bookings that are not cancelled,
of a kind the tenant counts and, when only check-ins count, checked in (a completed appointment
is attended). A check-in whose booking has not arrived is a group class. So a settings change
applies to every client at once, with nothing to recompute.

Only creation events name their aggregate's tenant and client: ``ClientLoyalty.Started`` makes
the client's row (``read.attendance_clients``) and ``LoyaltyProgramme.Opened`` the tenant's
settings row, and later events find their owner by joining to that row. A batch runs its
statements kind by kind in the order of ``STATEMENTS``, creations first; within a kind, rows keep
event order. Every booking statement only ever sets its flag, and a completion's kind outranks
the booking's, so the booking rows do not depend on which report came first.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import class_row
from starcard_loyalty.api import AttendanceSettings, Source

from starcard_projections.statements import Row, StatementProjection

NAME = "attendance"

CHECK_IN_KIND = "group_class"
"""What a check-in counts as while its booking has not arrived: a class."""

APPOINTMENT_KIND = "appointment"
"""The kind of an ``AppointmentRecorded`` stored before events carried one."""

DDL = """
CREATE TABLE IF NOT EXISTS read.attendance_settings (
    tenant_id text PRIMARY KEY,
    programme_id uuid NOT NULL UNIQUE,
    source text NOT NULL CHECK (source IN ('bookings', 'check_ins')),
    kinds text[] NOT NULL
);
CREATE TABLE IF NOT EXISTS read.attendance_milestones (
    tenant_id text NOT NULL,
    milestone_id text NOT NULL,
    count integer NOT NULL,
    message text,
    discount_percent integer,
    tag text,
    active boolean NOT NULL,
    PRIMARY KEY (tenant_id, milestone_id)
);
CREATE INDEX IF NOT EXISTS attendance_milestones_by_count
    ON read.attendance_milestones (tenant_id, count) WHERE active;
CREATE TABLE IF NOT EXISTS read.attendance_clients (
    tenant_id text NOT NULL,
    client_id text NOT NULL,
    aggregate_id uuid NOT NULL UNIQUE,
    original_count integer NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, client_id)
);
CREATE TABLE IF NOT EXISTS read.attendance_bookings (
    tenant_id text NOT NULL,
    client_id text NOT NULL,
    booking_id text NOT NULL,
    kind text,
    booked boolean NOT NULL DEFAULT false,
    checked_in boolean NOT NULL DEFAULT false,
    completed boolean NOT NULL DEFAULT false,
    cancelled boolean NOT NULL DEFAULT false,
    PRIMARY KEY (tenant_id, client_id, booking_id)
);
CREATE TABLE IF NOT EXISTS read.attendance_reached (
    tenant_id text NOT NULL,
    client_id text NOT NULL,
    milestone_id text NOT NULL,
    count integer NOT NULL,
    tag text,
    reached_at timestamptz NOT NULL,
    booking_id text,
    PRIMARY KEY (tenant_id, client_id, milestone_id)
);
CREATE TABLE IF NOT EXISTS read.attendance_tags (
    tenant_id text NOT NULL,
    tag text NOT NULL,
    client_id text NOT NULL,
    tagged_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, tag, client_id)
);
CREATE INDEX IF NOT EXISTS attendance_tags_by_client
    ON read.attendance_tags (tenant_id, client_id, tag);
"""

TABLES = (
    "read.attendance_settings",
    "read.attendance_milestones",
    "read.attendance_clients",
    "read.attendance_bookings",
    "read.attendance_reached",
    "read.attendance_tags",
)

# -- creations: they name the owner ---------------------------------------------------------

OPEN_PROGRAMME = """
INSERT INTO read.attendance_settings (tenant_id, programme_id, source, kinds)
VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING
"""

START_CLIENT = """
INSERT INTO read.attendance_clients (aggregate_id, tenant_id, client_id)
VALUES (%s, %s, %s) ON CONFLICT DO NOTHING
"""

# -- later events: the owner comes from the creation's row ---------------------------------

CHANGE_COUNTING = """
UPDATE read.attendance_settings SET source = %(source)s, kinds = %(kinds)s
WHERE programme_id = %(agg)s
"""

PUT_MILESTONE = """
INSERT INTO read.attendance_milestones AS m
    (tenant_id, milestone_id, count, message, discount_percent, tag, active)
SELECT tenant_id, %(milestone)s, %(count)s, %(message)s, %(discount)s, %(tag)s, %(active)s
FROM read.attendance_settings WHERE programme_id = %(agg)s
ON CONFLICT (tenant_id, milestone_id) DO UPDATE SET
    count = excluded.count, message = excluded.message,
    discount_percent = excluded.discount_percent, tag = excluded.tag, active = excluded.active
"""

DELETE_MILESTONE = """
DELETE FROM read.attendance_milestones m USING read.attendance_settings s
WHERE s.programme_id = %(agg)s AND m.tenant_id = s.tenant_id AND m.milestone_id = %(milestone)s
"""


def _booking(column: str, kind: str) -> str:
    """Set a booking's ``column`` flag, making its row when it is the first report of it.

    ``kind`` is what the kind becomes on a row already there."""
    return f"""
INSERT INTO read.attendance_bookings AS b (tenant_id, client_id, booking_id, kind, {column})
SELECT tenant_id, client_id, %(booking)s, %(kind)s, true
FROM read.attendance_clients WHERE aggregate_id = %(agg)s
ON CONFLICT (tenant_id, client_id, booking_id) DO UPDATE SET {column} = true, kind = {kind}
"""


# A completion's kind is the one the appointment was delivered as: it outranks the booking's,
# and the latest report of a completion replaces the earlier ones.
NOTE_BOOKING = _booking("booked", "CASE WHEN b.completed THEN b.kind ELSE excluded.kind END")
COMPLETE = _booking("completed", "excluded.kind")
CHECK_IN = _booking("checked_in", "b.kind")
CANCEL = _booking("cancelled", "b.kind")

SET_ORIGINAL = """
UPDATE read.attendance_clients SET original_count = %(count)s WHERE aggregate_id = %(agg)s
"""

REACH = """
INSERT INTO read.attendance_reached
    (tenant_id, client_id, milestone_id, count, tag, reached_at, booking_id)
SELECT tenant_id, client_id, %(milestone)s, %(count)s, %(tag)s, %(at)s, %(booking)s
FROM read.attendance_clients WHERE aggregate_id = %(agg)s
ON CONFLICT DO NOTHING
"""

# A client keeps the tag from the first automation that gave it (``ClientLoyalty.tags``).
TAG = """
INSERT INTO read.attendance_tags (tenant_id, tag, client_id, tagged_at)
SELECT tenant_id, %(tag)s, client_id, %(at)s
FROM read.attendance_clients WHERE aggregate_id = %(agg)s
ON CONFLICT DO NOTHING
"""

STATEMENTS = (
    OPEN_PROGRAMME,
    START_CLIENT,
    CHANGE_COUNTING,
    PUT_MILESTONE,
    DELETE_MILESTONE,
    NOTE_BOOKING,
    COMPLETE,
    CHECK_IN,
    CANCEL,
    SET_ORIGINAL,
    REACH,
    TAG,
)
"""The order a batch runs its statements in (see the module's docstring)."""


def _statements(event: Any) -> Iterator[tuple[str, Row]]:
    """The statements one event makes, with their parameters; none for events not projected."""
    agg = event.originator_id
    match type(event).__qualname__:
        case "LoyaltyProgramme.Opened":
            default = AttendanceSettings()
            yield (
                OPEN_PROGRAMME,
                (event.tenant_id, agg, default.source.value, sorted(default.kinds)),
            )
        case "ClientLoyalty.Started":
            yield START_CLIENT, (agg, event.tenant_id, event.client_id)
        case "LoyaltyProgramme.AttendanceCountingChanged":
            yield CHANGE_COUNTING, {"agg": agg, "source": event.source, "kinds": event.kinds}
        case "LoyaltyProgramme.AttendanceMilestonePut":
            yield (
                PUT_MILESTONE,
                {
                    "agg": agg,
                    "milestone": event.milestone_id,
                    "count": event.count,
                    "message": event.message,
                    "discount": event.discount_percent,
                    "tag": event.tag,
                    "active": event.active,
                },
            )
        case "LoyaltyProgramme.AttendanceMilestoneDeleted":
            yield DELETE_MILESTONE, {"agg": agg, "milestone": event.milestone_id}
        case "ClientLoyalty.BookingNoted":
            yield NOTE_BOOKING, {"agg": agg, "booking": event.booking_id, "kind": event.kind}
        case "ClientLoyalty.AppointmentRecorded":
            kind = getattr(event, "kind", APPOINTMENT_KIND)
            yield COMPLETE, {"agg": agg, "booking": event.booking_id, "kind": kind}
        case "ClientLoyalty.CheckedIn":
            yield CHECK_IN, {"agg": agg, "booking": event.booking_id, "kind": None}
        case "ClientLoyalty.BookingCancelled":
            yield CANCEL, {"agg": agg, "booking": event.booking_id, "kind": None}
        case "ClientLoyalty.OriginalCountSet":
            yield SET_ORIGINAL, {"agg": agg, "count": event.count}
        case "ClientLoyalty.AttendanceMilestoneReached":
            reached = {
                "agg": agg,
                "milestone": event.milestone_id,
                "count": event.count,
                "tag": event.tag,
                "at": event.reached_at,
                "booking": event.booking_id,
            }
            yield REACH, reached
            if event.tag is not None:
                yield TAG, reached


class AttendanceProjection(StatementProjection):
    """Keeps the ``read.attendance_*`` tables from the loyalty service's events."""

    name = NAME
    ddl = DDL
    tables = TABLES
    statements = STATEMENTS
    aggregates = frozenset({"ClientLoyalty", "LoyaltyProgramme"})

    def rows(self, event: Any) -> Iterator[tuple[str, Row]]:
        return _statements(event)


# -- queries -------------------------------------------------------------------------------


def _counts(booking: str) -> str:
    """Whether the booking row ``booking`` counts under the settings row ``s``."""
    return (
        f"(NOT {booking}.cancelled"
        f" AND coalesce({booking}.kind, '{CHECK_IN_KIND}') = ANY(s.kinds)"
        f" AND (s.source = '{Source.BOOKINGS.value}' OR {booking}.checked_in"
        f" OR {booking}.completed))"
    )


# One round trip: the tenant's settings, the client's original count and counted bookings, and
# (when ``booking`` is given) that booking as attendance knows it.
CLIENT_ATTENDANCE = f"""
SELECT s.kinds, coalesce(c.original_count, 0) AS original,
       (SELECT count(*) FROM read.attendance_bookings b
        WHERE b.tenant_id = s.tenant_id AND b.client_id = %(client)s AND {_counts("b")}
       ) AS counted,
       t.booking_id IS NOT NULL AS known, coalesce(t.kind, '{CHECK_IN_KIND}') AS kind,
       coalesce(t.cancelled, false) AS cancelled, coalesce({_counts("t")}, false) AS counts
FROM read.attendance_settings s
LEFT JOIN read.attendance_clients c ON c.tenant_id = s.tenant_id AND c.client_id = %(client)s
LEFT JOIN read.attendance_bookings t
    ON t.tenant_id = s.tenant_id AND t.client_id = %(client)s AND t.booking_id = %(booking)s
WHERE s.tenant_id = %(tenant)s
"""


@dataclass(frozen=True)
class AttendanceCount:
    """A client's milestone count: "The original milestone is added to their ... booking count
    for their total"."""

    original: int
    """Classes before Starcard, as the tenant entered them."""
    counted: int
    """What Starcard counted, under the tenant's settings now."""

    @property
    def total(self) -> int:
        return self.original + self.counted


@dataclass(frozen=True)
class _ClientAttendance:
    kinds: list[str]
    original: int
    counted: int
    known: bool
    kind: str
    cancelled: bool
    counts: bool


def _client_attendance(
    conn: psycopg.Connection[Any], tenant_id: str, client_id: str, booking_id: str | None
) -> _ClientAttendance:
    """Before the tenant's programme is projected, nothing is counted yet under the default
    settings."""
    with conn.cursor(row_factory=class_row(_ClientAttendance)) as cur:
        found = cur.execute(
            CLIENT_ATTENDANCE, {"tenant": tenant_id, "client": client_id, "booking": booking_id}
        ).fetchone()
    if found is None:
        kinds = sorted(AttendanceSettings().kinds)
        return _ClientAttendance(kinds, 0, 0, False, CHECK_IN_KIND, False, False)
    return found


def attendance_count(
    conn: psycopg.Connection[Any], tenant_id: str, client_id: str
) -> AttendanceCount:
    """The client's count as their profile shows it; zero for a client never seen."""
    found = _client_attendance(conn, tenant_id, client_id, None)
    return AttendanceCount(found.original, found.counted)


@dataclass(frozen=True)
class NextAttendanceMilestone:
    """The first active automation at or after a count."""

    milestone_id: str
    count: int
    to_go: int
    """Classes after this one until it fires; 0 when this class is the one."""


@dataclass(frozen=True)
class CheckInCount:
    """The class check-in screen's count for one client and one class."""

    count: int
    """The client's total with this class in it when it counts, even before check-in."""
    including_this_one: bool
    """This class counts: not cancelled, and of a kind the tenant counts."""
    kind: str
    """The class's kind: the booking's when known, else the one asked about."""
    booking_known: bool
    next_milestone: NextAttendanceMilestone | None


NEXT_MILESTONE = """
SELECT m.milestone_id, m.count FROM read.attendance_milestones m
WHERE m.tenant_id = %(tenant)s AND m.active AND m.count >= %(count)s AND m.count > %(original)s
  AND NOT EXISTS (
      SELECT 1 FROM read.attendance_reached r
      WHERE r.tenant_id = m.tenant_id AND r.client_id = %(client)s
        AND r.milestone_id = m.milestone_id
  )
ORDER BY m.count, m.milestone_id
LIMIT 1
"""
"""The next automation that can still fire for the client: not fired for them yet, and above
their original count (passed before Starcard)."""


def check_in_count(
    conn: psycopg.Connection[Any],
    tenant_id: str,
    client_id: str,
    booking_id: str,
    kind: str = CHECK_IN_KIND,
) -> CheckInCount:
    """ "The count includes the current class even before they've been checked in": the
    client's total, plus this class when it counts and is not counted yet (not checked in while
    only check-ins count, or not known yet). A booking not known yet is a class of ``kind``.
    Checking in never counts the class twice."""
    found = _client_attendance(conn, tenant_id, client_id, booking_id)
    kind = found.kind if found.known else kind
    including = not found.cancelled and kind in found.kinds
    count = found.original + found.counted + int(including and not found.counts)
    # A class that does not count fires nothing: the next one is at least one class away.
    floor = count if including else count + 1
    row = conn.execute(
        NEXT_MILESTONE,
        {"tenant": tenant_id, "client": client_id, "count": floor, "original": found.original},
    ).fetchone()
    upcoming = None if row is None else NextAttendanceMilestone(row[0], row[1], row[1] - count)
    return CheckInCount(count, including, kind, found.known, upcoming)


@dataclass(frozen=True)
class ReachedMilestone:
    """An automation that fired for the client."""

    milestone_id: str
    count: int
    reached_at: datetime


def reached_milestones(
    conn: psycopg.Connection[Any], tenant_id: str, client_id: str
) -> list[ReachedMilestone]:
    """The automations that fired for the client, lowest count first."""
    with conn.cursor(row_factory=class_row(ReachedMilestone)) as cur:
        return cur.execute(
            "SELECT milestone_id, count, reached_at FROM read.attendance_reached"
            " WHERE tenant_id = %s AND client_id = %s ORDER BY count, milestone_id",
            (tenant_id, client_id),
        ).fetchall()


def client_tags(conn: psycopg.Connection[Any], tenant_id: str, client_id: str) -> list[str]:
    """The tags automations gave the client, alphabetically."""
    rows = conn.execute(
        "SELECT tag FROM read.attendance_tags WHERE tenant_id = %s AND client_id = %s ORDER BY tag",
        (tenant_id, client_id),
    ).fetchall()
    return [tag for (tag,) in rows]


@dataclass(frozen=True)
class TagCount:
    tag: str
    clients: int


def tags(conn: psycopg.Connection[Any], tenant_id: str) -> list[TagCount]:
    """Every tag the tenant's automations gave, with how many clients have it."""
    with conn.cursor(row_factory=class_row(TagCount)) as cur:
        return cur.execute(
            "SELECT tag, count(*) AS clients FROM read.attendance_tags WHERE tenant_id = %s"
            " GROUP BY tag ORDER BY tag",
            (tenant_id,),
        ).fetchall()


@dataclass(frozen=True)
class SegmentMember:
    client_id: str
    tagged_at: datetime


def segment(
    conn: psycopg.Connection[Any], tenant_id: str, tag: str, *, limit: int, offset: int
) -> tuple[list[SegmentMember], int]:
    """One page of the clients with ``tag``, by client id; and how many have it in all."""
    with conn.cursor(row_factory=class_row(SegmentMember)) as cur:
        rows = cur.execute(
            "SELECT client_id, tagged_at FROM read.attendance_tags"
            " WHERE tenant_id = %s AND tag = %s ORDER BY client_id LIMIT %s OFFSET %s",
            (tenant_id, tag, limit, offset),
        ).fetchall()
    count = conn.execute(
        "SELECT count(*) FROM read.attendance_tags WHERE tenant_id = %s AND tag = %s",
        (tenant_id, tag),
    ).fetchone()
    return rows, count[0] if count else 0
