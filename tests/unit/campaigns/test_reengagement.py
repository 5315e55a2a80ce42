"""Re-engagement: the step of a lapsed client's sequence due on a day.

Steps per treatment category, due on the day reached and not before, the last reached only, at
most `CATCH_UP_DAYS` late; a booking still to come suppresses it, a booking made since the
sequence began stops it, a new visit starts a new one; the days are the tenant's."""

from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starcard_campaigns.domain.calendar import ClientCalendar
from starcard_campaigns.domain.programme import ReengagementSettings
from starcard_campaigns.domain.reengagement import CATCH_UP_DAYS, Step, step_due

from .factories import client_calendar, moment, visit

pytestmark = pytest.mark.unit

SETTINGS = ReengagementSettings(
    enabled=True, steps_days=(60, 90, 120), category_steps={"injectables": (90, 120, 150)}
)
LAST_VISIT = date(2025, 1, 6)
BERLIN = ZoneInfo("Europe/Berlin")


def day(days_after_the_visit: int) -> date:
    return LAST_VISIT + timedelta(days=days_after_the_visit)


def lapsed(category: str | None = "facials") -> ClientCalendar:
    """A client whose last visit, "b1", was at 10:00 UTC on LAST_VISIT."""
    return client_calendar(visit("b1", moment(LAST_VISIT, 10), category=category))


def begins(on: date, zone: tzinfo = UTC) -> datetime:
    """The first instant of the tenant's day `on`."""
    return datetime.combine(on, time(0), tzinfo=zone)


def due(
    calendar: ClientCalendar,
    on: date,
    *,
    steps_made: Collection[int] = (),
    sequence_began: datetime | None = None,
    zone: tzinfo = UTC,
) -> Step | None:
    return step_due(
        calendar,
        day=on,
        day_begins=begins(on, zone),
        zone=zone,
        settings=SETTINGS,
        steps_made=steps_made,
        sequence_began=sequence_began,
    )


def step(number: int, days: int, anchor: str = "b1") -> Step:
    return Step(anchor=anchor, number=number, days_since_visit=days)


def test_a_client_who_never_visited_gets_no_message() -> None:
    assert due(client_calendar(), day(60)) is None


def test_a_step_is_due_on_the_day_it_is_reached_and_not_before() -> None:
    client = lapsed()

    assert due(client, day(59)) is None
    assert due(client, day(60)) == step(1, 60)


def test_a_step_names_its_occasion_by_the_visit_it_follows_and_its_number() -> None:
    assert step(2, 90).occasion == "b1#2"


@pytest.mark.parametrize(
    ("category", "first_step"),
    [("injectables", 90), ("facials", 60), (None, 60)],
    ids=["injectables", "a category without its own steps", "no category"],
)
def test_each_treatment_category_lapses_on_its_own_cycle(
    category: str | None, first_step: int
) -> None:
    """ "Injectables clients rebook on another cycle than facial clients." """
    client = lapsed(category)

    assert due(client, day(first_step - 1)) is None
    assert due(client, day(first_step)) == step(1, first_step)


def test_each_step_goes_once_in_turn() -> None:
    client = lapsed()

    assert due(client, day(60)) == step(1, 60)
    assert due(client, day(61), steps_made=[1]) is None
    assert due(client, day(90), steps_made=[1]) == step(2, 90)
    assert due(client, day(120), steps_made=[1, 2]) == step(3, 120)
    assert due(client, day(121), steps_made=[1, 2, 3]) is None


def test_after_missed_ticks_only_the_last_reached_step_goes() -> None:
    """The clock was down from day 59 to day 92: the 60-day message is not sent late on top of
    the 90-day one."""
    client = lapsed()

    assert due(client, day(92)) == step(2, 92)
    assert due(client, day(92), steps_made=[1]) == step(2, 92)
    assert due(client, day(93), steps_made=[2]) is None


def test_a_step_may_go_up_to_the_catch_up_days_late_and_no_later() -> None:
    """A message about "60 days" is wrong at 75."""
    client = lapsed()

    assert due(client, day(60 + CATCH_UP_DAYS)) == step(1, 60 + CATCH_UP_DAYS)
    assert due(client, day(60 + CATCH_UP_DAYS + 1)) is None
    assert due(client, day(120 + CATCH_UP_DAYS + 1), steps_made=[1, 2]) is None
    assert due(client, day(400), steps_made=[1, 2]) is None


def test_a_booking_still_to_come_suppresses_the_message() -> None:
    client = lapsed()
    client.note_booking("b2", made_at=moment(day(50)), starts_at=moment(day(70)))

    assert due(client, day(60)) is None


def test_a_booking_later_the_same_day_suppresses_the_message() -> None:
    client = lapsed()
    client.note_booking("b2", made_at=moment(day(50)), starts_at=moment(day(60), 17))

    assert due(client, day(60)) is None


def test_a_cancelled_booking_does_not_suppress_the_message() -> None:
    client = lapsed()
    client.note_booking("b2", made_at=moment(day(50)), starts_at=moment(day(70)))
    client.note_cancellation("b2")

    assert due(client, day(60)) == step(1, 60)


def test_a_no_show_booking_in_the_past_does_not_suppress_the_message() -> None:
    """Booked for day 58, never came: on day 60 there is nothing to come."""
    client = lapsed()
    client.note_booking("b2", made_at=moment(day(40)), starts_at=moment(day(58)))

    assert due(client, day(60)) == step(1, 60)


def test_a_booking_made_after_the_sequence_began_stops_it_even_if_cancelled_later() -> None:
    client = lapsed()
    began = begins(day(60))
    client.note_booking("b2", made_at=moment(day(65)), starts_at=moment(day(70)))
    client.note_cancellation("b2")

    assert due(client, day(90), steps_made=[1], sequence_began=began) is None
    assert due(client, day(120), steps_made=[1], sequence_began=began) is None


def test_a_booking_made_and_cancelled_before_the_sequence_began_does_not_stop_it() -> None:
    client = lapsed()
    client.note_booking("b2", made_at=moment(day(40)), starts_at=moment(day(45)))
    client.note_cancellation("b2")

    assert due(client, day(60)) == step(1, 60)
    assert due(client, day(90), steps_made=[1], sequence_began=begins(day(60))) == step(2, 90)


def test_a_new_visit_starts_a_new_sequence_after_it() -> None:
    """One sequence at a time: the sequence follows the last visit, and its offers are those of
    that visit (none yet), so nothing of the old sequence stops or skips the new one."""
    client = lapsed()
    client.note_booking("b2", made_at=moment(day(65)), starts_at=moment(day(80)))
    client.note_visit(visit("b2", moment(day(80), 10), category="injectables"))

    assert due(client, day(90)) is None
    assert due(client, day(80 + 89)) is None
    assert due(client, day(80 + 90)) == step(1, 90, anchor="b2")


def test_a_late_completion_of_an_earlier_visit_keeps_the_sequence_of_the_last() -> None:
    client = lapsed()
    client.note_visit(visit("b0", moment(day(-30)), category="injectables"))

    assert due(client, day(60)) == step(1, 60)


@pytest.mark.parametrize(
    ("zone", "visited_at", "first_due"),
    [
        (UTC, datetime(2025, 1, 6, 23, 30, tzinfo=UTC), date(2025, 3, 7)),
        (BERLIN, datetime(2025, 1, 6, 23, 30, tzinfo=UTC), date(2025, 3, 8)),
        (ZoneInfo("America/New_York"), datetime(2025, 1, 7, 3, 0, tzinfo=UTC), date(2025, 3, 7)),
        (UTC, datetime(2025, 1, 7, 3, 0, tzinfo=UTC), date(2025, 3, 8)),
    ],
    ids=["23:30 UTC in UTC", "23:30 UTC in Berlin", "03:00 UTC in New York", "03:00 UTC in UTC"],
)
def test_the_days_since_a_visit_are_counted_in_the_tenants_time_zone(
    zone: tzinfo, visited_at: datetime, first_due: date
) -> None:
    """A visit at 23:30 UTC on 6 January is on 7 January in Berlin: day 60 comes a day later
    there; one at 03:00 UTC on 7 January is still 6 January in New York."""
    client = client_calendar(visit("b1", visited_at))

    assert due(client, first_due - timedelta(days=1), zone=zone) is None
    assert due(client, first_due, zone=zone) == step(1, 60)


def test_ticking_every_day_sends_each_step_once_on_its_day() -> None:
    client = lapsed()
    sent = daily_ticks(client, range(400))

    assert sent == [(60, 1), (90, 2), (120, 3)]


def daily_ticks(client: ClientCalendar, days: Collection[int]) -> list[tuple[int, int]]:
    """The (days since the visit, step) sent on each of `days`, as the service decides them:
    each decided step remembered, the sequence begun at the first."""
    made: list[int] = []
    began: datetime | None = None
    sent = []
    for each in sorted(days):
        decided = due(client, day(each), steps_made=made, sequence_began=began)
        if decided is not None:
            made.append(decided.number)
            began = began or begins(day(each))
            sent.append((each, decided.number))
    return sent


@given(ticks=st.sets(st.integers(min_value=0, max_value=200)))
def test_whatever_ticks_are_missed_steps_go_once_in_order_and_never_too_late(
    ticks: set[int],
) -> None:
    """And a step goes whenever a tick falls in its days before the next step's."""
    sent = daily_ticks(lapsed(), ticks)

    numbers = [number for _, number in sent]
    assert numbers == sorted(set(numbers))
    for days, number in sent:
        reached = SETTINGS.steps_days[number - 1]
        assert reached <= days <= reached + CATCH_UP_DAYS
    for number, reached in enumerate(SETTINGS.steps_days, start=1):
        next_reached = (*SETTINGS.steps_days, 10**6)[number]
        last_day = min(reached + CATCH_UP_DAYS, next_reached - 1)
        if any(reached <= each <= last_day for each in ticks):
            assert number in numbers
