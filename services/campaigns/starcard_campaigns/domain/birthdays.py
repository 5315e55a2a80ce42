"""When a birthday is celebrated, and when its reward is due.

"Automated birthday reward delivered in the week before the client's birthday." A birthday is a
day of the year without a year (the platform sends no more, and less PII is kept). 29 February is
celebrated on 28 February in the years without one, so a client born on a leap day is rewarded
every year, once.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from starcard_campaigns.domain.errors import InvalidBirthday

__all__ = [
    "MonthDay",
    "celebrated_on",
    "celebration_due",
    "month_days_celebrated_between",
]

_LEAP_YEAR = 2000
"""A leap year: the one in which every birthday, 29 February included, is a real day."""

_DAYS_IN_A_LEAP_YEAR = 366


@dataclass(frozen=True, order=True)
class MonthDay:
    """A day of the year: a real month and day, 29 February allowed."""

    month: int
    day: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise InvalidBirthday(f"There is no month {self.month}: a month is 1 to 12.")
        last = calendar.monthrange(_LEAP_YEAR, self.month)[1]
        if not 1 <= self.day <= last:
            month = calendar.month_name[self.month]
            raise InvalidBirthday(f"{month} has no day {self.day}: it has days 1 to {last}.")

    @classmethod
    def of(cls, day: date) -> MonthDay:
        """The day of the year of `day`."""
        return cls(day.month, day.day)

    @property
    def is_leap_day(self) -> bool:
        return (self.month, self.day) == (2, 29)


LEAP_DAY = MonthDay(2, 29)


def celebrated_on(birthday: MonthDay, year: int) -> date:
    """The day `birthday` is celebrated in `year`: itself, but 29 February is celebrated on 28
    February in a year without one (the client's birthday stays in February)."""
    if birthday.is_leap_day and not calendar.isleap(year):
        return date(year, 2, 28)
    return date(year, birthday.month, birthday.day)


def celebration_due(birthday: MonthDay, day: date, days_before: int) -> date | None:
    """The birthday's next celebration on or after `day`, if it is at most `days_before` days
    after `day`; else None.

    "In the week before the client's birthday": with 7 days before, a birthday on 14 March is due
    from 7 March to 14 March itself. Near the year end the next celebration is next year's (a tick
    on 28 December for a 2 January birthday gives 2 January of the next year), and its `.year` is
    the year whose reward it is.
    """
    next_one = celebrated_on(birthday, day.year)
    if next_one < day:
        next_one = celebrated_on(birthday, day.year + 1)
    return next_one if (next_one - day).days <= days_before else None


def month_days_celebrated_between(first: date, last: date) -> frozenset[MonthDay]:
    """The birthdays celebrated on a day from `first` to `last`, both included.

    A 28 February of a year without 29 February is also the celebration of `MonthDay(2, 29)`, so a
    range over it names both. The range is empty when `last` is before `first`; past a year it
    names every birthday.
    """
    span = min((last - first).days, _DAYS_IN_A_LEAP_YEAR)
    birthdays: set[MonthDay] = set()
    for offset in range(span + 1):
        day = first + timedelta(days=offset)
        birthdays.add(MonthDay.of(day))
        if (day.month, day.day) == (2, 28) and not calendar.isleap(day.year):
            birthdays.add(LEAP_DAY)
    return frozenset(birthdays)
