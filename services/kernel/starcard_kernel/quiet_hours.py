"""Quiet hours: the local hours of a business's night, when nothing it decided is sent.

"Quiet hours keep sends within the tenant's daytime." From `start` to `end`, local time; 21:00 to
09:00 runs past midnight. A message decided inside them (a day's tick at midnight, a reminder)
waits for their end. One home for the rule, used by the clock (which names, on each day's tick,
when the daytime begins) and by the services that send what a tick decided.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["QuietHours", "local_instant"]


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """`at` on `day` in `zone`, in UTC. A local time that does not exist (skipped by a
    daylight-saving change) or happens twice is read with ``fold=0``: the offset before the
    change, so a skipped midnight is the instant the clocks jump."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True)
class QuietHours:
    """From `start` to `end`, local time (they differ); past midnight when `end` < `start`."""

    start: time
    end: time

    def until(self, moment: datetime, zone: ZoneInfo) -> datetime | None:
        """When the quiet hours `moment` falls in end, in UTC (None: `moment` is in the daytime).

        With 21:00 to 09:00: at 22:30 they end at 09:00 the next day, at 06:00 at 09:00 the same
        day, at 14:00 they do not hold.
        """
        local = moment.astimezone(zone)
        at = local.time()
        wraps_midnight = self.end < self.start
        quiet = (
            (at >= self.start or at < self.end) if wraps_midnight else self.start <= at < self.end
        )
        if not quiet:
            return None
        day = local.date() if at < self.end else local.date() + timedelta(days=1)
        return local_instant(day, self.end, zone)
