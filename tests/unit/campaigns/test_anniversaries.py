"""When the anniversary of a client's first visit is celebrated: from the first anniversary on,
`days_before` it, 29 February on 28 February in other years, across the year end."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starcard_campaigns.domain.anniversaries import anniversary_due
from starcard_campaigns.domain.birthdays import MonthDay, celebrated_on
from starcard_campaigns.domain.programme import MAX_DAYS_BEFORE

pytestmark = pytest.mark.unit

FIRST_VISIT = date(2024, 3, 14)


@pytest.mark.parametrize(
    ("today", "due"),
    [
        (date(2024, 3, 14), None),
        (date(2024, 3, 15), None),
        (date(2025, 3, 13), None),
        (date(2025, 3, 14), date(2025, 3, 14)),
        (date(2025, 3, 15), None),
        (date(2030, 3, 14), date(2030, 3, 14)),
    ],
)
def test_an_anniversary_is_celebrated_every_year_from_the_first_on(
    today: date, due: date | None
) -> None:
    assert anniversary_due(FIRST_VISIT, today, 0) == due


@pytest.mark.parametrize(
    ("today", "days_before", "due"),
    [
        (date(2025, 3, 6), 7, None),
        (date(2025, 3, 7), 7, date(2025, 3, 14)),
        (date(2025, 3, 14), 7, date(2025, 3, 14)),
        (date(2025, 3, 15), 7, None),
        (date(2025, 2, 14), MAX_DAYS_BEFORE, date(2025, 3, 14)),
        (date(2025, 2, 13), MAX_DAYS_BEFORE, None),
    ],
)
def test_an_anniversary_is_due_from_days_before_it_to_the_day_itself(
    today: date, days_before: int, due: date | None
) -> None:
    assert anniversary_due(FIRST_VISIT, today, days_before) == due


def test_the_days_before_never_reach_back_into_the_first_year() -> None:
    """Ten days after a first visit, with a window of 28 days, it is not yet an anniversary."""
    assert anniversary_due(FIRST_VISIT, FIRST_VISIT, MAX_DAYS_BEFORE) is None
    assert anniversary_due(FIRST_VISIT, FIRST_VISIT + timedelta(days=10), MAX_DAYS_BEFORE) is None


@pytest.mark.parametrize(
    ("today", "due"),
    [
        (date(2025, 2, 28), date(2025, 2, 28)),
        (date(2025, 3, 1), None),
        (date(2026, 2, 28), date(2026, 2, 28)),
        (date(2028, 2, 28), None),
        (date(2028, 2, 29), date(2028, 2, 29)),
    ],
)
def test_a_first_visit_on_29_february_is_celebrated_on_28_february_in_other_years(
    today: date, due: date | None
) -> None:
    assert anniversary_due(date(2024, 2, 29), today, 0) == due


@pytest.mark.parametrize(
    ("first_visit", "today", "days_before", "due"),
    [
        (date(2024, 1, 2), date(2024, 12, 28), 7, date(2025, 1, 2)),
        (date(2024, 1, 2), date(2024, 12, 25), 7, None),
        (date(2024, 12, 31), date(2024, 12, 31), 7, None),
        (date(2024, 12, 31), date(2025, 12, 31), 0, date(2025, 12, 31)),
        (date(2024, 12, 31), date(2025, 12, 26), 7, date(2025, 12, 31)),
        (date(2024, 1, 1), date(2025, 12, 31), 1, date(2026, 1, 1)),
    ],
)
def test_near_the_year_end_the_due_anniversary_is_next_years(
    first_visit: date, today: date, days_before: int, due: date | None
) -> None:
    assert anniversary_due(first_visit, today, days_before) == due


@given(
    first_visit=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
    days_after=st.integers(min_value=0, max_value=3 * 366),
    days_before=st.integers(min_value=0, max_value=MAX_DAYS_BEFORE),
)
def test_a_due_anniversary_is_a_later_year_of_the_first_visits_day_within_the_window(
    first_visit: date, days_after: int, days_before: int
) -> None:
    today = first_visit + timedelta(days=days_after)

    due = anniversary_due(first_visit, today, days_before)

    if due is not None:
        assert today <= due <= today + timedelta(days=days_before)
        assert due.year > first_visit.year
        assert (due - first_visit).days >= 365
        assert due == celebrated_on(MonthDay.of(first_visit), due.year)


@given(
    first_visit=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
    years=st.integers(min_value=1, max_value=5),
    days_before=st.integers(min_value=0, max_value=MAX_DAYS_BEFORE),
)
def test_every_anniversary_is_due_on_its_day_and_on_each_of_the_days_before(
    first_visit: date, years: int, days_before: int
) -> None:
    anniversary = celebrated_on(MonthDay.of(first_visit), first_visit.year + years)

    for early in range(days_before + 1):
        assert anniversary_due(first_visit, anniversary - timedelta(days=early), days_before) == (
            anniversary
        )
    assert anniversary_due(first_visit, anniversary + timedelta(days=1), days_before) != (
        anniversary
    )
