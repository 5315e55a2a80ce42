"""The attendance read models, projected from a real loyalty event store on PostgreSQL.

Bookings, check-ins and settings go through the loyalty service's own use cases; the projection
follows in pages of two events (so a report meets its booking's row in an earlier batch), then
is rebuilt in one page (so they meet in the same batch), and both must read the same. Under every
counting setting, the read model's count is the loyalty domain's own.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from starcard_loyalty.app import SCHEMA
from starcard_loyalty.application import LoyaltyService
from starcard_loyalty.domain.attendance import KINDS, AttendanceMilestone, Source
from starcard_loyalty.domain.client import ClientLoyalty
from starcard_loyalty.domain.counting import Appointment
from starcard_loyalty.domain.ids import client_loyalty_id
from starcard_projections.attendance import (
    AttendanceCount,
    AttendanceProjection,
    CheckInCount,
    NextAttendanceMilestone,
    ReachedMilestone,
    SegmentMember,
    TagCount,
    attendance_count,
    check_in_count,
    client_tags,
    reached_milestones,
    segment,
    tags,
)
from starcard_projections.runner import Follower, rebuild

from tests.integration.projections.conftest import Following, event_store, in_one_batch

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
ANNA, BROOK = "anna", "brook"
CLIENTS = [(ANNA, "ada"), (ANNA, "bea"), (ANNA, "cy"), (BROOK, "ada"), (BROOK, "eve")]
TABLES = AttendanceProjection.tables


def at(day: int) -> datetime:
    return T0 + timedelta(days=day)


class Studio:
    """The loyalty service driven as its Kafka handlers and the gateway drive it."""

    def __init__(self, service: LoyaltyService) -> None:
        self.service = service

    def book(self, tenant: str, client: str, booking: str, kind: str, day: int) -> None:
        in_one_batch(
            self.service,
            lambda unit: self.service.record_booking(
                unit, tenant, client, booking, kind=kind, starts_at=at(day), at=at(day)
            ),
        )

    def check_in(self, tenant: str, client: str, booking: str, day: int) -> None:
        in_one_batch(
            self.service,
            lambda unit: self.service.record_check_in(unit, tenant, client, booking, at(day)),
        )

    def cancel(self, tenant: str, client: str, booking: str, day: int) -> None:
        in_one_batch(
            self.service,
            lambda unit: self.service.record_cancellation(unit, tenant, client, booking, at(day)),
        )

    def complete(self, tenant: str, client: str, booking: str, day: int) -> None:
        appointment = Appointment(
            booking_id=booking,
            client_id=client,
            visit_key=booking,
            minutes=60,
            list_price_minor=6000,
            price_minor=6000,
            currency="GBP",
            discount_kinds=frozenset(),
            payment_method="card",
            occurred_at=at(day),
            provider_id=None,
            kind="appointment",
        )
        in_one_batch(
            self.service, lambda unit: self.service.record_appointment(unit, tenant, appointment)
        )

    def domain_count(self, tenant: str, client: str) -> int:
        """The client's total as the loyalty domain counts it."""
        record: ClientLoyalty = self.service.repository.get(client_loyalty_id(tenant, client))
        return record.attendance_count(self.service.programme(tenant).rules())


@pytest.fixture
def studio(fresh_database: str) -> Iterator[Studio]:
    with event_store(LoyaltyService, fresh_database, SCHEMA) as service:
        yield Studio(service)


@pytest.fixture
def follower(following: Following) -> Iterator[Follower]:
    """The projection following in pages of two events."""
    with following("attendance", page_size=2) as running:
        yield running


def build(studio: Studio, follower: Follower) -> None:
    """Two studios' clients, some reports arriving before their booking."""
    service = studio.service
    for tenant in (ANNA, BROOK):
        service.open_programme(tenant, tenant.title())
    regulars = AttendanceMilestone("m-2", 2, "Two classes!", None, "regulars", active=True)
    fourth = AttendanceMilestone("m-4", 4, None, None, "four", active=True)
    service.put_attendance_milestone(ANNA, regulars)
    service.put_attendance_milestone(ANNA, fourth)
    studio.book(ANNA, "ada", "a-1", "group_class", 0)
    studio.check_in(ANNA, "ada", "a-1", 0)
    studio.book(ANNA, "ada", "a-2", "video", 1)
    follower.catch_up()
    studio.complete(ANNA, "ada", "a-3", 2)
    # Classes before Starcard: the automations at or below them never fire for Bea.
    service.set_original_count(ANNA, "bea", 10, at(0))
    studio.check_in(ANNA, "bea", "walk-in", 0)
    studio.book(ANNA, "bea", "b-2", "group_class", 1)
    studio.cancel(ANNA, "bea", "b-2", 1)
    studio.book(ANNA, "cy", "c-1", "group_class", 0)
    # Reports before their booking: the booking's kind outranks a check-in's, a completion's
    # outranks the booking's, and a cancellation is final.
    studio.check_in(BROOK, "eve", "e-1", 0)
    studio.book(BROOK, "eve", "e-1", "video", 0)
    studio.complete(BROOK, "eve", "e-2", 1)
    studio.book(BROOK, "eve", "e-2", "group_class", 1)
    studio.cancel(BROOK, "eve", "e-3", 2)
    studio.book(BROOK, "eve", "e-3", "group_class", 2)
    studio.book(BROOK, "ada", "x-1", "group_class", 0)
    studio.book(BROOK, "ada", "x-2", "group_class", 1)
    follower.catch_up()


def snapshot(conn: psycopg.Connection[Any]) -> dict[str, list[tuple[Any, ...]]]:
    return {
        table: sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
        for table in TABLES
    }


def test_counts_tags_and_segments_per_studio(
    studio: Studio, follower: Follower, conn: psycopg.Connection[Any]
) -> None:
    build(studio, follower)

    assert attendance_count(conn, ANNA, "ada") == AttendanceCount(original=0, counted=3)
    assert attendance_count(conn, ANNA, "bea") == AttendanceCount(original=10, counted=1)
    assert attendance_count(conn, ANNA, "bea").total == 11
    assert attendance_count(conn, BROOK, "ada") == AttendanceCount(original=0, counted=2)
    assert attendance_count(conn, ANNA, "nobody") == AttendanceCount(original=0, counted=0)
    assert tags(conn, ANNA) == [TagCount("regulars", 1)]
    assert tags(conn, BROOK) == []
    assert segment(conn, ANNA, "regulars", limit=10, offset=0) == ([SegmentMember("ada", at(1))], 1)
    assert segment(conn, BROOK, "regulars", limit=10, offset=0) == ([], 0)
    assert client_tags(conn, ANNA, "ada") == ["regulars"]
    assert client_tags(conn, ANNA, "bea") == []
    assert reached_milestones(conn, ANNA, "ada") == [ReachedMilestone("m-2", 2, at(1))]
    assert reached_milestones(conn, BROOK, "ada") == []


def test_the_check_in_count_includes_the_class_once(
    studio: Studio, follower: Follower, conn: psycopg.Connection[Any]
) -> None:
    build(studio, follower)
    fourth = NextAttendanceMilestone("m-4", 4, to_go=0)

    assert check_in_count(conn, ANNA, "ada", "a-4") == CheckInCount(
        4, True, "group_class", False, fourth
    )
    assert check_in_count(conn, ANNA, "ada", "a-2") == CheckInCount(
        3, True, "video", True, NextAttendanceMilestone("m-4", 4, to_go=1)
    )
    assert check_in_count(conn, ANNA, "bea", "b-2") == CheckInCount(
        11, False, "group_class", True, None
    )
    assert check_in_count(conn, BROOK, "ada", "a-4") == CheckInCount(
        3, True, "group_class", False, None
    )

    studio.service.set_attendance_counting(ANNA, source=Source.CHECK_INS, kinds=["group_class"])
    follower.catch_up()

    # Ada's count fell below 2, but she was celebrated at 2 already: her next one is the 4th.
    assert check_in_count(conn, ANNA, "ada", "a-1") == CheckInCount(
        1, True, "group_class", True, NextAttendanceMilestone("m-4", 4, to_go=3)
    )
    assert check_in_count(conn, ANNA, "cy", "c-1") == CheckInCount(
        1, True, "group_class", True, NextAttendanceMilestone("m-2", 2, to_go=1)
    )
    assert check_in_count(conn, ANNA, "ada", "a-2").including_this_one is False
    assert check_in_count(conn, ANNA, "ada", "a-9", "video") == CheckInCount(
        1, False, "video", False, NextAttendanceMilestone("m-4", 4, to_go=3)
    )
    # A class that does not count fires nothing, even at the milestone's count.
    assert check_in_count(conn, ANNA, "cy", "c-9", "video").next_milestone == (
        NextAttendanceMilestone("m-2", 2, to_go=2)
    )


def test_reports_before_their_booking_make_the_same_booking_rows(
    studio: Studio, follower: Follower, conn: psycopg.Connection[Any]
) -> None:
    build(studio, follower)

    rows = conn.execute(
        "SELECT booking_id, kind, booked, checked_in, completed, cancelled"
        " FROM read.attendance_bookings WHERE tenant_id = %s AND client_id = 'eve'"
        " ORDER BY booking_id",
        (BROOK,),
    ).fetchall()

    assert rows == [
        ("e-1", "video", True, True, False, False),
        ("e-2", "appointment", True, False, True, False),
        ("e-3", "group_class", True, False, False, True),
    ]


@pytest.mark.parametrize("source", list(Source))
def test_under_every_setting_the_read_model_counts_as_the_domain(
    studio: Studio, follower: Follower, conn: psycopg.Connection[Any], source: Source
) -> None:
    build(studio, follower)
    for size in range(1, len(KINDS) + 1):
        for kinds in itertools.combinations(KINDS, size):
            studio.service.set_attendance_counting(ANNA, source=source, kinds=kinds)
            studio.service.set_attendance_counting(BROOK, source=source, kinds=kinds)
            follower.catch_up()
            for tenant, client in CLIENTS:
                shown = attendance_count(conn, tenant, client).total
                assert shown == studio.domain_count(tenant, client), (source, kinds, client)


def test_a_rebuild_reads_the_same_as_following(
    studio: Studio, follower: Follower, conn: psycopg.Connection[Any], fresh_database: str
) -> None:
    build(studio, follower)
    studio.service.delete_attendance_milestone(ANNA, "m-4")
    follower.catch_up()
    followed = snapshot(conn)

    reached = rebuild(fresh_database, "attendance", lambda *_: None)

    assert reached == follower.head()
    assert snapshot(conn) == followed
    assert conn.execute("SELECT milestone_id FROM read.attendance_milestones").fetchall() == [
        ("m-2",)
    ]


def stored(name: str, **state: Any) -> Any:
    """A ``ClientLoyalty`` event as the event store's mapper decodes it: only the state that was
    stored."""
    event = object.__new__(vars(ClientLoyalty)[name])
    object.__setattr__(event, "__dict__", state)
    return event


def test_an_appointment_recorded_before_events_carried_a_kind_counts_as_an_appointment(
    studio: Studio, follower: Follower, conn: psycopg.Connection[Any], fresh_database: str
) -> None:
    studio.service.open_programme(ANNA, "Anna")
    follower.catch_up()
    agg = client_loyalty_id(ANNA, "old")
    events = [
        stored("Started", originator_id=agg, tenant_id=ANNA, client_id="old"),
        stored(
            "AppointmentRecorded",
            originator_id=agg,
            booking_id="o-1",
            visit_key="o-1",
            minutes=60,
            full_price=True,
            occurred_at=at(0),
            provider_id=None,
        ),
    ]
    with psycopg.connect(fresh_database) as writer, writer.transaction():
        AttendanceProjection().apply(writer, events)

    assert attendance_count(conn, ANNA, "old") == AttendanceCount(original=0, counted=1)
    studio.service.set_attendance_counting(ANNA, source=Source.CHECK_INS, kinds=["group_class"])
    follower.catch_up()
    assert attendance_count(conn, ANNA, "old") == AttendanceCount(original=0, counted=0)
