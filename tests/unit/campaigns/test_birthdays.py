"""When a birthday is celebrated and when its reward is due: 29 February, the week before, the
year end."""

import calendar
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starcard_campaigns.domain.birthdays import (
    MonthDay,
    celebrated_on,
    celebration_due,
    month_days_celebrated_between,
)
from starcard_campaigns.domain.errors import InvalidBirthday
from starcard_campaigns.domain.programme import MAX_DAYS_BEFORE

pytestmark = pytest.mark.unit

LEAP_DAY = MonthDay(2, 29)
YEARS = st.integers(min_value=1970, max_value=2998)
DAYS = st.dates(min_value=date(1970, 1, 1), max_value=date(2998, 12, 31))
BIRTHDAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2000, 12, 31)).map(MonthDay.of)
DAYS_BEFORE = st.integers(min_value=0, max_value=MAX_DAYS_BEFORE)


@given(YEARS)
def test_29_february_is_celebrated_on_28_february_in_a_year_without_one(year: int) -> None:
    expected = date(year, 2, 29) if calendar.isleap(year) else date(year, 2, 28)

    assert celebrated_on(LEAP_DAY, year) == expected


@given(DAYS)
def test_every_other_birthday_is_celebrated_on_its_own_day(day: date) -> None:
    assert celebrated_on(MonthDay.of(day), day.year) == day


@pytest.mark.parametrize(("month", "day"), [(2, 30), (4, 31), (13, 1), (0, 1), (1, 0), (1, 32)])
def test_a_month_and_day_of_no_year_is_refused(month: int, day: int) -> None:
    with pytest.raises(InvalidBirthday):
        MonthDay(month, day)


def test_29_february_is_a_birthday() -> None:
    assert MonthDay(2, 29).is_leap_day


@pytest.mark.parametrize(
    ("today", "days_before", "due"),
    [
        (date(2025, 3, 6), 7, None),
        (date(2025, 3, 7), 7, date(2025, 3, 14)),
        (date(2025, 3, 13), 7, date(2025, 3, 14)),
        (date(2025, 3, 14), 7, date(2025, 3, 14)),
        (date(2025, 3, 14), 0, date(2025, 3, 14)),
        (date(2025, 3, 13), 0, None),
        (date(2025, 3, 15), 7, None),
        (date(2025, 3, 15), MAX_DAYS_BEFORE, None),
    ],
)
def test_a_birthday_is_due_from_days_before_it_to_the_day_itself(
    today: date, days_before: int, due: date | None
) -> None:
    assert celebration_due(MonthDay(3, 14), today, days_before) == due


@pytest.mark.parametrize(
    ("today", "birthday", "days_before", "due"),
    [
        (date(2025, 12, 28), MonthDay(1, 2), 7, date(2026, 1, 2)),
        (date(2025, 12, 26), MonthDay(1, 2), 7, date(2026, 1, 2)),
        (date(2025, 12, 25), MonthDay(1, 2), 7, None),
        (date(2025, 12, 31), MonthDay(1, 1), 0, None),
        (date(2025, 12, 31), MonthDay(1, 1), 1, date(2026, 1, 1)),
        (date(2025, 12, 31), MonthDay(12, 31), 7, date(2025, 12, 31)),
        (date(2026, 1, 1), MonthDay(12, 31), 7, None),
    ],
)
def test_near_the_year_end_the_due_celebration_is_next_years(
    today: date, birthday: MonthDay, days_before: int, due: date | None
) -> None:
    assert celebration_due(birthday, today, days_before) == due


@pytest.mark.parametrize(
    ("today", "due"),
    [
        (date(2025, 2, 20), None),
        (date(2025, 2, 21), date(2025, 2, 28)),
        (date(2025, 2, 28), date(2025, 2, 28)),
        (date(2025, 3, 1), None),
        (date(2024, 2, 22), date(2024, 2, 29)),
        (date(2024, 2, 28), date(2024, 2, 29)),
        (date(2024, 2, 29), date(2024, 2, 29)),
        (date(2024, 3, 1), None),
        (date(2027, 12, 30), None),
    ],
)
def test_a_29_february_birthday_is_due_in_the_week_before_its_celebration(
    today: date, due: date | None
) -> None:
    assert celebration_due(LEAP_DAY, today, 7) == due


@given(BIRTHDAYS, DAYS, DAYS_BEFORE)
def test_a_due_celebration_is_the_birthdays_and_within_the_days_before(
    birthday: MonthDay, today: date, days_before: int
) -> None:
    due = celebration_due(birthday, today, days_before)

    if due is not None:
        assert today <= due <= today + timedelta(days=days_before)
        assert due == celebrated_on(birthday, due.year)


@given(BIRTHDAYS, DAYS, DAYS_BEFORE)
def test_a_birthday_is_due_exactly_when_it_is_celebrated_in_the_window(
    birthday: MonthDay, today: date, days_before: int
) -> None:
    """The tick asks the store for the birthdays of the window, then `celebration_due` for each:
    the two must agree, or a client is missed (or asked about for nothing)."""
    window = month_days_celebrated_between(today, today + timedelta(days=days_before))

    assert (celebration_due(birthday, today, days_before) is not None) == (birthday in window)


def test_28_february_of_a_year_without_29_february_celebrates_both() -> None:
    assert month_days_celebrated_between(date(2025, 2, 28), date(2025, 2, 28)) == {
        MonthDay(2, 28),
        LEAP_DAY,
    }
    assert LEAP_DAY in month_days_celebrated_between(date(2025, 2, 21), date(2025, 2, 28))
    assert LEAP_DAY in month_days_celebrated_between(date(2025, 2, 28), date(2025, 3, 7))


def test_28_february_of_a_leap_year_celebrates_only_itself() -> None:
    assert month_days_celebrated_between(date(2024, 2, 21), date(2024, 2, 28)) == {
        MonthDay(2, day) for day in range(21, 29)
    }
    assert LEAP_DAY in month_days_celebrated_between(date(2024, 2, 22), date(2024, 2, 29))


def test_a_window_across_the_year_end_names_the_days_of_both_years() -> None:
    window = month_days_celebrated_between(date(2025, 12, 28), date(2026, 1, 4))

    assert window == {MonthDay(12, day) for day in range(28, 32)} | {
        MonthDay(1, day) for day in range(1, 5)
    }


def test_a_window_ending_before_it_starts_names_nobody() -> None:
    assert month_days_celebrated_between(date(2025, 3, 14), date(2025, 3, 13)) == frozenset()


def test_a_window_of_a_year_or_more_names_every_birthday() -> None:
    every_birthday = {MonthDay.of(date(2000, 1, 1) + timedelta(days=n)) for n in range(366)}

    assert month_days_celebrated_between(date(2025, 1, 1), date(2025, 12, 31)) == every_birthday
    assert month_days_celebrated_between(date(2025, 1, 1), date(2035, 1, 1)) == every_birthday
