"""A client's calendar: the birthday of the latest client record, bookings, cancellations, visits
and refunds, each kept once whatever the order they arrive in."""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starcard_campaigns.domain.birthdays import MonthDay
from starcard_campaigns.domain.calendar import Booking, ClientCalendar, Visit
from starcard_campaigns.domain.ids import client_calendar_id

from .factories import (
    CLIENT,
    PRICE,
    TENANT,
    client_calendar,
    event_names,
    moment,
    new_events,
    stored_and_replayed,
    visit,
)

pytestmark = pytest.mark.unit

# Each example builds and feeds an aggregate; on a busy CI machine that can outlast the default
# 200 ms deadline without anything being wrong.
no_deadline = settings(deadline=None)

START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)

Fact = Callable[[ClientCalendar], None]
"""One thing the platform tells about the client, as the calendar is told it."""


def calendar_of_client(birthday: MonthDay | None = None) -> ClientCalendar:
    """The test client's calendar, with `birthday` noted, its events collected."""
    started = client_calendar()
    started.note_birthday(birthday)
    started.collect_events()
    return started


def test_a_calendar_starts_knowing_nothing_of_the_client() -> None:
    started = ClientCalendar(tenant_id=TENANT, client_id=CLIENT)

    assert started.id == client_calendar_id(TENANT, CLIENT)
    assert (started.tenant_id, started.client_id) == (TENANT, CLIENT)
    assert (started.birthday, started.first_visit, started.last_visit) == (None, None, None)
    assert started.upcoming(since=START) == []
    assert event_names(started) == ["Started"]


# -- the birthday ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("known", "sent"),
    [(None, MonthDay(3, 14)), (MonthDay(3, 14), MonthDay(2, 29))],
    ids=["new", "changed"],
)
def test_a_new_or_changed_birthday_is_noted_with_its_month_and_day(
    known: MonthDay | None, sent: MonthDay
) -> None:
    client = calendar_of_client(known)

    client.note_birthday(sent)

    assert client.birthday == sent
    [noted] = new_events(client)
    assert (type(noted).__name__, noted.month, noted.day) == ("BirthdayNoted", sent.month, sent.day)


def test_a_resent_client_record_with_the_same_birthday_records_nothing() -> None:
    client = calendar_of_client(MonthDay(3, 14))

    client.note_birthday(MonthDay(3, 14))

    assert new_events(client) == []


def test_a_client_record_without_the_birthday_removes_it_once() -> None:
    client = calendar_of_client(MonthDay(3, 14))

    client.note_birthday(None)
    client.note_birthday(None)

    assert client.birthday is None
    assert event_names(client) == ["BirthdayRemoved"]


def test_a_client_record_without_a_birthday_never_given_records_nothing() -> None:
    client = calendar_of_client()

    client.note_birthday(None)

    assert new_events(client) == []


# -- visits ---------------------------------------------------------------------------------


def test_the_first_visit_is_the_earliest_and_the_last_the_latest_whatever_the_order() -> None:
    early, middle, late = (visit(f"b{n}", START + timedelta(days=n * 30)) for n in range(3))
    client = client_calendar(middle, late, early)

    assert (client.first_visit, client.last_visit) == (early, late)


def test_a_resent_completion_records_nothing() -> None:
    client = client_calendar()
    completed = visit("b1", START, category="injectables", paid_minor=12000)

    client.note_visit(completed)
    client.note_visit(completed)

    assert client.visits == {"b1": completed}
    [noted] = new_events(client)
    assert (type(noted).__name__, noted.booking_id, noted.category, noted.paid_minor) == (
        "VisitNoted",
        "b1",
        "injectables",
        12000,
    )


def test_a_visit_falls_on_the_day_of_the_tenants_time_zone() -> None:
    late_evening = visit("b1", datetime(2025, 3, 14, 23, 30, tzinfo=UTC))

    assert late_evening.on(UTC) == date(2025, 3, 14)
    assert late_evening.on(ZoneInfo("Europe/Berlin")) == date(2025, 3, 15)
    assert late_evening.on(ZoneInfo("America/New_York")) == date(2025, 3, 14)


# -- bookings -------------------------------------------------------------------------------


def test_a_booking_and_its_cancellation_are_each_noted_once() -> None:
    client = client_calendar()

    for _ in range(2):
        client.note_booking("b1", made_at=START, starts_at=START + timedelta(days=7))
        client.note_cancellation("b1")

    assert client.bookings == {"b1": Booking("b1", START, START + timedelta(days=7))}
    assert client.cancelled == {"b1"}
    assert event_names(client) == ["BookingNoted", "BookingCancelled"]


def test_upcoming_bookings_are_those_still_to_come_neither_cancelled_nor_visited() -> None:
    client = client_calendar()
    since = START + timedelta(days=10)
    for booking_id, starts_in_days in [
        ("no-show", 5),
        ("today", 10),
        ("next-week", 17),
        ("cancelled", 20),
        ("visited", 12),
    ]:
        client.note_booking(booking_id, made_at=START, starts_at=START + timedelta(starts_in_days))
    client.note_cancellation("cancelled")
    client.note_visit(visit("visited", START + timedelta(days=12)))

    assert {booking.booking_id for booking in client.upcoming(since=since)} == {
        "today",
        "next-week",
    }


def test_a_cancellation_seen_before_the_booking_still_cancels_it() -> None:
    client = client_calendar()

    client.note_cancellation("b1")
    client.note_booking("b1", made_at=START, starts_at=START + timedelta(days=7))

    assert client.upcoming(since=START) == []


def test_a_booking_made_after_a_moment_counts_even_when_cancelled_since() -> None:
    client = client_calendar()
    client.note_booking("b1", made_at=START, starts_at=START + timedelta(days=7))
    client.note_cancellation("b1")

    assert client.made_a_booking_after(START - timedelta(seconds=1))
    assert not client.made_a_booking_after(START)


def test_booked_between_names_bookings_made_in_the_span_and_walk_ins() -> None:
    """The span is after `after`, up to and including `until`."""
    after, until = START, START + timedelta(days=14)
    client = client_calendar(
        visit("walk-in", START + timedelta(days=3)),
        visit("walk-in-later", START + timedelta(days=15)),
        visit("booked-before", START + timedelta(days=2)),
    )
    client.note_booking("booked-before", made_at=START - timedelta(days=5), starts_at=START)
    client.note_booking("at-the-start", made_at=after, starts_at=until)
    client.note_booking("in-the-span", made_at=START + timedelta(days=1), starts_at=until)
    client.note_booking("at-the-end", made_at=until, starts_at=until + timedelta(days=1))
    client.note_booking("after-it", made_at=until + timedelta(seconds=1), starts_at=until)
    client.note_booking("cancelled", made_at=START + timedelta(days=2), starts_at=until)
    client.note_cancellation("cancelled")

    assert client.booked_between(after, until) == ["at-the-end", "in-the-span", "walk-in"]


# -- refunds --------------------------------------------------------------------------------


def test_a_visit_brings_in_what_was_paid() -> None:
    client = client_calendar(visit("b1", START, paid_minor=12000))

    assert client.net_paid("b1") == 12000
    assert client.net_paid("never-visited") == 0


def test_a_whole_refund_takes_back_everything_paid() -> None:
    client = client_calendar(visit("b1", START, paid_minor=12000))

    client.note_refund("r1", "b1", None)

    assert client.net_paid("b1") == 0


def test_partial_refunds_add_up_and_never_take_back_more_than_was_paid() -> None:
    client = client_calendar(visit("b1", START, paid_minor=12000), visit("b2", START))

    client.note_refund("r1", "b1", 2000)
    client.note_refund("r2", "b1", 3000)
    client.note_refund("r3", "b2", 1000)
    assert (client.net_paid("b1"), client.net_paid("b2")) == (7000, PRICE - 1000)

    client.note_refund("r4", "b1", 10000)
    assert client.net_paid("b1") == 0


def test_a_resent_refund_is_taken_back_once() -> None:
    client = client_calendar(visit("b1", START, paid_minor=12000))

    client.note_refund("r1", "b1", 2000)
    client.note_refund("r1", "b1", 2000)

    assert client.net_paid("b1") == 10000
    assert event_names(client) == ["RefundNoted"]


def test_a_whole_refund_seen_before_its_visit_takes_back_what_the_visit_paid() -> None:
    client = client_calendar()

    client.note_refund("r1", "b1", None)
    client.note_visit(visit("b1", START, paid_minor=12000))

    assert client.net_paid("b1") == 0


# -- whatever the order ---------------------------------------------------------------------


@st.composite
def client_lives(draw: st.DrawFn) -> list[Fact]:
    """What a platform tells about a client's bookings: each made (or its making unseen),
    then pending, cancelled or visited, a visit perhaps refunded in whole or in part. Days
    collide on purpose: two visits on the same instant must still order the same way."""
    facts: list[Fact] = []
    for n in range(draw(st.integers(min_value=1, max_value=8))):
        booking_id = f"b{n}"
        made_at = START + timedelta(days=draw(st.integers(min_value=0, max_value=6)))
        starts_at = made_at + timedelta(days=draw(st.integers(min_value=0, max_value=6)))
        if draw(st.booleans()):
            facts.append(
                partial(
                    ClientCalendar.note_booking,
                    booking_id=booking_id,
                    made_at=made_at,
                    starts_at=starts_at,
                )
            )
        fate = draw(st.sampled_from(["pending", "cancelled", "visited"]))
        if fate == "cancelled":
            facts.append(partial(ClientCalendar.note_cancellation, booking_id=booking_id))
        elif fate == "visited":
            completed = visit(
                booking_id,
                starts_at,
                category=draw(st.sampled_from([None, "facials", "injectables"])),
                paid_minor=draw(st.integers(min_value=0, max_value=20000)),
            )
            facts.append(partial(ClientCalendar.note_visit, visit=completed))
            amounts = st.none() | st.integers(min_value=1, max_value=20000)
            facts += [
                partial(
                    ClientCalendar.note_refund,
                    refund_id=f"r{n}-{k}",
                    booking_id=booking_id,
                    amount_minor=amount,
                )
                for k, amount in enumerate(draw(st.lists(amounts, max_size=2)))
            ]
    return facts


def told(facts: list[Fact]) -> ClientCalendar:
    calendar = client_calendar()
    for fact in facts:
        fact(calendar)
    return calendar


def derived(calendar: ClientCalendar) -> object:
    """Everything the campaigns read from a calendar, over the span the lives are drawn in."""
    moments = [START + timedelta(days=n) for n in range(-1, 14)]
    booking_ids = [f"b{n}" for n in range(8)]
    return (
        calendar.first_visit,
        calendar.last_visit,
        [sorted(each.booking_id for each in calendar.upcoming(since)) for since in moments],
        [calendar.booked_between(after, after + timedelta(days=7)) for after in moments],
        [calendar.made_a_booking_after(moment) for moment in moments],
        [calendar.net_paid(each) for each in booking_ids],
    )


def delivered(data: st.DataObject, facts: list[Fact]) -> list[Fact]:
    """The facts as delivered: re-sends of some, everything in any order."""
    if not facts:
        return facts
    duplicates = data.draw(st.lists(st.sampled_from(facts), max_size=len(facts)))
    return data.draw(st.permutations(facts + duplicates))


@no_deadline
@given(data=st.data(), facts=client_lives())
def test_shuffling_and_duplicating_what_the_platform_tells_never_changes_the_calendar(
    data: st.DataObject, facts: list[Fact]
) -> None:
    assert derived(told(delivered(data, facts))) == derived(told(facts))


@no_deadline
@given(data=st.data(), facts=client_lives())
def test_every_fact_is_recorded_once_however_often_it_is_told(
    data: st.DataObject, facts: list[Fact]
) -> None:
    calendar = told(delivered(data, facts))

    assert len(new_events(calendar)) == len(facts)


@no_deadline
@given(facts=client_lives())
def test_the_first_and_last_visits_are_the_earliest_and_latest_told(facts: list[Fact]) -> None:
    calendar = told(facts)
    visits: list[Visit] = list(calendar.visits.values())

    if visits:
        assert calendar.first_visit is not None
        assert calendar.last_visit is not None
        assert calendar.first_visit.at == min(each.at for each in visits)
        assert calendar.last_visit.at == max(each.at for each in visits)
    else:
        assert (calendar.first_visit, calendar.last_visit) == (None, None)


# -- storing --------------------------------------------------------------------------------


def test_a_calendar_survives_storing_and_replaying_every_kind_of_event() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    client = ClientCalendar(tenant_id=TENANT, client_id=CLIENT)
    client.note_birthday(MonthDay(2, 29))
    client.note_birthday(None)
    client.note_birthday(MonthDay(12, 31))
    client.note_booking("b1", made_at=START, starts_at=moment(date(2025, 3, 10), 23, 30, berlin))
    client.note_booking("b2", made_at=START, starts_at=START + timedelta(days=20))
    client.note_cancellation("b2")
    client.note_visit(visit("b1", moment(date(2025, 3, 10), 23, 30, berlin), category="facials"))
    client.note_visit(visit("b0", START - timedelta(days=400), category=None, paid_minor=0))
    client.note_refund("r1", "b1", 1500)
    client.note_refund("r2", "b0", None)

    replayed = stored_and_replayed(client)

    assert replayed == client
    assert replayed.birthday == MonthDay(12, 31)
    assert (replayed.first_visit, replayed.last_visit) == (client.first_visit, client.last_visit)
    assert replayed.last_visit.on(berlin) == date(2025, 3, 10)
    assert replayed.bookings == client.bookings
    assert replayed.cancelled == {"b2"}
    assert (replayed.net_paid("b1"), replayed.net_paid("b0")) == (PRICE - 1500, 0)


def test_a_calendar_stored_by_the_first_release_replays_with_its_visits_still_to_come() -> None:
    calendar = ClientCalendar(tenant_id=TENANT, client_id=CLIENT)
    calendar._note_first_treatment(day="2026-03-14")

    replayed = stored_and_replayed(calendar)

    assert replayed.first_visit is None
    assert replayed.visits == {}
