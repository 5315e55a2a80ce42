"""A tenant's time settings: its time zone, and the quiet hours when no campaign message is sent.

"Tenants get a time zone: the clock ticks once per tenant-local day, and quiet hours keep sends
within the tenant's daytime." The settings hang off the tenant's `LoyaltyProgramme`, since the
clock scheduler already lists tenants from the loyalty service; they apply from the next tick.
Quiet hours are local times ("21:00" to "09:00"), and may run past midnight.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from typing import Any, NotRequired, TypedDict

from starcard_events.clock import MAX_TIME_ZONE_LENGTH, is_place_zone
from starcard_kernel.quiet_hours import QuietHours

from starcard_loyalty.domain.errors import InvalidTimeSettings

__all__ = [
    "DEFAULT_QUIET_HOURS",
    "MAX_TIME_ZONE_LENGTH",
    "QuietHours",
    "QuietHoursRecord",
    "TimeSettings",
    "TimeSettingsChanges",
    "TimeSettingsRecord",
    "quiet_hours_record",
]

LOCAL_TIME = re.compile(r"(?P<hour>[01][0-9]|2[0-3]):(?P<minute>[0-5][0-9])")


class QuietHoursRecord(TypedDict):
    """Quiet hours as a tenant writes them and as they are stored: local ``HH:MM`` times."""

    start: str
    end: str


class TimeSettingsRecord(TypedDict):
    time_zone: str
    quiet_hours: QuietHoursRecord | None


class TimeSettingsChanges(TypedDict):
    """The fields a change sets; the others stay as they are."""

    time_zone: NotRequired[str]
    quiet_hours: NotRequired[QuietHoursRecord | None]


DEFAULT_QUIET_HOURS = QuietHours(start=time(21), end=time(9))
"""A tenant that never set its quiet hours sends nothing between 21:00 and 09:00 its time."""


@dataclass(frozen=True)
class TimeSettings:
    """A tenant's time zone (an IANA name) and quiet hours (None: none)."""

    time_zone: str = "UTC"
    quiet_hours: QuietHours | None = DEFAULT_QUIET_HOURS

    @classmethod
    def parse(cls, record: TimeSettingsRecord) -> TimeSettings:
        """The settings as a tenant writes them, or `InvalidTimeSettings` naming every problem."""
        problems = time_zone_problems(record["time_zone"])
        quiet_hours = None
        if (hours := record["quiet_hours"]) is not None:
            start = _local_time("quiet_hours.start", hours["start"])
            end = _local_time("quiet_hours.end", hours["end"])
            problems += [problem for problem in (start, end) if isinstance(problem, str)]
            if isinstance(start, time) and isinstance(end, time):
                quiet_hours = QuietHours(start, end)
                problems += quiet_hours_problems(quiet_hours)
        if problems:
            raise InvalidTimeSettings(problems)
        return cls(time_zone=record["time_zone"], quiet_hours=quiet_hours)

    def check(self) -> TimeSettings:
        """Refuse a zone the zone database does not know, and quiet hours of no length."""
        problems = time_zone_problems(self.time_zone)
        if self.quiet_hours is not None:
            problems += quiet_hours_problems(self.quiet_hours)
        if problems:
            raise InvalidTimeSettings(problems)
        return self

    def to_record(self) -> TimeSettingsRecord:
        quiet_hours = None if self.quiet_hours is None else quiet_hours_record(self.quiet_hours)
        return {"time_zone": self.time_zone, "quiet_hours": quiet_hours}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> TimeSettings:
        """Stored settings (checked when they were made, so not checked again)."""
        hours = record["quiet_hours"]
        return cls(
            time_zone=record["time_zone"],
            quiet_hours=None
            if hours is None
            else QuietHours(time.fromisoformat(hours["start"]), time.fromisoformat(hours["end"])),
        )


def time_zone_problems(name: str) -> list[str]:
    """What is wrong with a zone name (nothing: the zone database knows it as a place)."""
    if is_place_zone(name):
        return []
    return [f"time_zone must be an IANA time zone such as Europe/London (got {name[:80]!r})."]


def quiet_hours_problems(hours: QuietHours) -> list[str]:
    if hours.start == hours.end:
        shown = hours.start.strftime("%H:%M")
        return [
            f"quiet_hours must start and end at different times (got {shown} to {shown}); "
            "send null for no quiet hours."
        ]
    return []


def _local_time(field: str, text: str) -> time | str:
    """``HH:MM`` as a time, or what is wrong with it."""
    matched = LOCAL_TIME.fullmatch(text)
    if matched is None:
        return f"{field} must be a local time as HH:MM, such as 21:00 (got {text[:20]!r})."
    return time(int(matched["hour"]), int(matched["minute"]))


def quiet_hours_record(hours: QuietHours) -> QuietHoursRecord:
    """Quiet hours as a tenant writes them and as they are stored: ``{"start": "21:00", ...}``."""
    return {"start": hours.start.strftime("%H:%M"), "end": hours.end.strftime("%H:%M")}
