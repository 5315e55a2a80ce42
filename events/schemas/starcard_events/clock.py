"""The clock topic (`starcard.clock.v1`): how time-driven rules learn that a day has passed.

Domain time comes from events, never from a service's wall clock, so a replay gives the same
result. A small scheduler publishes one `ClockTicked` per tenant and day, keyed by tenant.
"""

import datetime as dt
import zoneinfo
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints

from starcard_events.envelope import Envelope
from starcard_events.wire import WireModel


def _known_zone(name: str) -> str:
    """An IANA time zone this machine's zone database knows (e.g. 'Europe/London')."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        msg = f"{name!r} is not an IANA time zone (e.g. 'Europe/London')"
        raise ValueError(msg) from None
    return name


class Day(WireModel):
    """The day that has begun."""

    date: dt.date = Field(description="The calendar day that has begun, in the tenant's time zone.")
    time_zone: Annotated[
        str, StringConstraints(min_length=1, max_length=64), AfterValidator(_known_zone)
    ] = Field(
        default="UTC",
        description=(
            "The tenant's IANA time zone (e.g. 'Europe/London'): ``occurred_at`` is midnight of "
            "``date`` there."
        ),
    )
    daytime_from: AwareDatetime | None = Field(
        default=None,
        description=(
            "When the tenant's quiet hours end on ``date`` (e.g. 09:00 there): what the tick "
            "decides to send waits until then. Absent: no quiet hours."
        ),
    )


class ClockTicked(Envelope[Day]):
    """A new day has begun for a tenant; ``occurred_at`` is its first instant."""

    type: Literal["ClockTicked"] = Field(description="Always 'ClockTicked'.")
