"""When the anniversary of a client's first visit is celebrated, and its offer due.

"Anniversary rewards" of the client's first treatment: celebrated on the same day of the year as
that first visit (in the tenant's time zone), from the first anniversary on, like a birthday: a
first visit on 29 February is celebrated on 28 February in the years without one.
"""

from __future__ import annotations

from datetime import date

from starcard_campaigns.domain.birthdays import MonthDay, celebration_due

__all__ = ["anniversary_due"]


def anniversary_due(first_visit_on: date, day: date, days_before: int) -> date | None:
    """The next anniversary of `first_visit_on` on or after `day`, if it is at most
    `days_before` days after `day` and is at least the first; else None. Its `.year` is the year
    whose offer it is."""
    celebrated = celebration_due(MonthDay.of(first_visit_on), day, days_before)
    if celebrated is None or celebrated.year <= first_visit_on.year:
        return None
    return celebrated
