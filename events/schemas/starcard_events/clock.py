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

MAX_TIME_ZONE_LENGTH = 64

MACHINE_ZONES = frozenset({"localtime", "posixrules"})
"""Files of the zone database that name a machine's settings, not a place."""


def is_place_zone(name: str) -> bool:
    """Whether `name` is an IANA time zone of a place the zone database knows ('Europe/London'):
    not a folder of zones ('Europe'), not the machine's own setting ('localtime')."""
    if not name or len(name) > MAX_TIME_ZONE_LENGTH or name in MACHINE_ZONES:
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder of zones
        return False
    return True


def _known_zone(name: str) -> str:
    if not is_place_zone(name):
        msg = f"{name[:80]!r} is not an IANA time zone (e.g. 'Europe/London')"
        raise ValueError(msg)
    return name


class Day(WireModel):
    """The day that has begun."""

    date: dt.date = Field(description="The calendar day that has begun, in the tenant's time zone.")
    time_zone: Annotated[
        str,
        StringConstraints(min_length=1, max_length=MAX_TIME_ZONE_LENGTH),
        AfterValidator(_known_zone),
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
