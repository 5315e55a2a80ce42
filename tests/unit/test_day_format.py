"""Days as a page or an email shows them: day, month name, year, with no leading zero."""

from datetime import date

import pytest
from starcard_events.day_format import format_day

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("day", "shown"),
    [
        (date(2027, 3, 1), "1 March 2027"),
        (date(2026, 11, 12), "12 November 2026"),
        (date(2028, 2, 29), "29 February 2028"),
    ],
)
def test_a_day_reads_as_its_number_month_and_year(day: date, shown: str) -> None:
    assert format_day(day) == shown
