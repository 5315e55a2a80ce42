"""The clock topic (`starcard.clock.v1`): how time-driven rules learn that a day has passed.

Domain time comes from events, never from a service's wall clock, so a replay gives the same
result. A small scheduler publishes one `ClockTicked` per tenant and day, keyed by tenant.
"""

import datetime as dt
from typing import Literal

from pydantic import Field

from starcard_events.envelope import Envelope
from starcard_events.wire import WireModel


class Day(WireModel):
    """The day that has begun."""

    date: dt.date = Field(description="The calendar day that has begun (UTC for now).")


class ClockTicked(Envelope[Day]):
    """A new day has begun for a tenant; ``occurred_at`` is its first instant."""

    type: Literal["ClockTicked"] = Field(description="Always 'ClockTicked'.")
