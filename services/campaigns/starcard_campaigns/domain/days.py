"""A tenant's day, as the clock tells it: what every campaign is decided on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

__all__ = ["DayBegun"]


@dataclass(frozen=True)
class DayBegun:
    """The day that has begun for a tenant, in its time zone: the day, its first instant, the
    zone, and when its quiet hours end (None: it has none), which is when the offers decided on
    it may be sent."""

    tenant_id: str
    day: date
    at: datetime
    zone: ZoneInfo
    daytime_from: datetime | None
