"""Re-engagement: which message of a lapsed client's sequence is due on a day, if any.

"A client who has not booked for 60, 90 or 120 days (thresholds per treatment category) gets a
time-limited offer with a direct booking link. Not sent to a client with a future booking; a
client's sequence stops when they book; one sequence at a time."

A sequence belongs to the client's last visit: its steps are the days after that visit at which a
message goes (the steps of the visit's treatment category, or the tenant's default ones). A new
visit starts a new sequence and ends the old, so there is one at a time. The step due on a day is
the last one reached; a step a missed tick skipped is not sent late on top of a later one, and a
step more than `CATCH_UP_DAYS` old is not sent at all (a message about "60 days" is wrong at 75).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from starcard_campaigns.domain.calendar import ClientCalendar
from starcard_campaigns.domain.programme import ReengagementSettings

__all__ = ["CATCH_UP_DAYS", "Step", "step_due", "step_occasion"]

CATCH_UP_DAYS = 7
"""How many days late a step may still go (the clock was down, the service was)."""


@dataclass(frozen=True)
class Step:
    """A message of the sequence that follows the visit `anchor` (a booking id)."""

    anchor: str
    number: int
    """1 for the first message of the sequence."""
    days_since_visit: int

    @property
    def occasion(self) -> str:
        return step_occasion(self.anchor, self.number)


def step_occasion(anchor: str, number: int) -> str:
    """The occasion of an offer: the visit the sequence follows and the step's number."""
    return f"{anchor}#{number}"


def step_due(
    calendar: ClientCalendar,
    *,
    day: date,
    day_begins: datetime,
    zone: tzinfo,
    settings: ReengagementSettings,
    steps_made: Collection[int],
    sequence_began: datetime | None,
) -> Step | None:
    """The step of the client's sequence due on `day` (which begins at `day_begins`), or None.

    `steps_made` are the numbers of the steps already decided for the last visit's sequence
    (sent or held out), and `sequence_began` when its first was. None when the client has not
    visited, has a booking still to come, booked since the sequence began, or no step is due.
    """
    last = calendar.last_visit
    if last is None or calendar.upcoming(since=day_begins):
        return None
    if sequence_began is not None and calendar.made_a_booking_after(sequence_began):
        return None
    days = (day - last.on(zone)).days
    steps = settings.steps_for(last.category)
    reached = [number for number, after in enumerate(steps, start=1) if after <= days]
    if not reached:
        return None
    number = reached[-1]
    if days - steps[number - 1] > CATCH_UP_DAYS or any(made >= number for made in steps_made):
        return None
    return Step(anchor=last.booking_id, number=number, days_since_visit=days)
