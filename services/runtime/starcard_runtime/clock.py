"""The scheduler that tells time-driven rules a tenant's day has begun (``starcard.clock.v1``).

Each tenant has a time zone, and its days are the days of that zone: the scheduler publishes a
tenant's ``ClockTicked`` when it starts and whenever the tenant's local date changes, so a
tenant in Pacific/Auckland gets the tick of 14 March at 11:00 UTC on 13 March (midnight there).
The tick of a tenant and day has one event id, however often it is published, and the rules it
drives are idempotent, so re-publishing (by a restart or by a second instance) changes nothing.

What a tick says:

- ``data.date``: the tenant's local date that has begun; ``data.time_zone``: the zone's name.
- ``occurred_at``: the first instant of that date there, in UTC. A local midnight that does not
  exist (a daylight-saving change at 00:00, as in America/Havana or America/Santiago) is read
  with zoneinfo's ``fold=0``, the offset before the change: that is the instant the clocks jump,
  the first instant of the day. A midnight that happens twice is its first occurrence.
- ``data.daytime_from``: the instant the tenant's quiet hours end that day (their local end time,
  read the same way), which campaign sends wait for; None when the tenant has no quiet hours. A
  tick published inside the quiet hours (the day ticked again by a scheduler restarted at
  22:30) names the end of those quiet hours instead: the next morning's.

The scheduler reads the tenants (and their zones) once each quarter hour of UTC: every UTC
offset in use is a whole number of quarter hours, so every tenant's midnight falls on one, and
a tenant added or moved to another zone is ticked within a quarter hour. It remembers the last
date it ticked for each tenant and ticks only a later one, so a tenant that changes zone gets at
most one tick per local date, and never a day it has passed.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from starcard_events.clock import ClockTicked, Day
from starcard_kernel.quiet_hours import QuietHours, local_instant

log = structlog.get_logger(__name__)

CLOCK_NAMESPACE = uuid.UUID("f1d9a3c2-7b64-4e0f-9a51-3f2c8e6d0b47")

READ_EVERY = timedelta(minutes=15)
"""How often the tenants are read: every tenant's midnight falls on a quarter hour of UTC."""


@dataclass(frozen=True)
class TenantClock:
    """A tenant as the clock sees it: its IANA time zone and its quiet hours (None: none)."""

    tenant_id: str
    time_zone: str = "UTC"
    quiet_hours: QuietHours | None = None


def tick(
    tenant_id: str, day: date, time_zone: str = "UTC", quiet_hours_end: time | None = None
) -> ClockTicked:
    """The tick of one tenant's local `day`; its event id is the same every time."""
    zone = ZoneInfo(time_zone)
    return ClockTicked(
        event_id=uuid.uuid5(CLOCK_NAMESPACE, f"{tenant_id}:{day.isoformat()}"),
        type="ClockTicked",
        schema_version=1,
        occurred_at=local_instant(day, time(0), zone),
        tenant_id=tenant_id,
        data=Day(
            date=day,
            time_zone=time_zone,
            daytime_from=None
            if quiet_hours_end is None
            else local_instant(day, quiet_hours_end, zone),
        ),
    )


def _daytime_after(record: ClockTicked, tenant: TenantClock, now: datetime) -> ClockTicked:
    """The tick as published at `now`: one published inside the tenant's quiet hours (a
    scheduler restarted at 22:30 ticks the day again) has its daytime begin when they end, not
    at the morning's end already past, so what it decides still waits for the daytime."""
    if tenant.quiet_hours is None:
        return record
    held = tenant.quiet_hours.until(now, ZoneInfo(tenant.time_zone))
    begins = record.data.daytime_from
    if held is None or (begins is not None and begins >= held):
        return record
    return record.model_copy(update={"data": record.data.model_copy(update={"daytime_from": held})})


class TickLedger:
    """The last local date ticked for each tenant, and so which ticks are due now."""

    def __init__(self) -> None:
        self._ticked: dict[str, date] = {}

    def due(self, tenants: Iterable[TenantClock], now: datetime) -> list[ClockTicked]:
        """The tick of each tenant whose local date at `now` (an aware instant) is later than the
        last one ticked: every tenant at the first look, a tenant only once its date moves on."""
        ticks = []
        for tenant in tenants:
            day = now.astimezone(ZoneInfo(tenant.time_zone)).date()
            last = self._ticked.get(tenant.tenant_id)
            if last is None or day > last:
                end = None if tenant.quiet_hours is None else tenant.quiet_hours.end
                record = tick(tenant.tenant_id, day, tenant.time_zone, end)
                ticks.append(_daytime_after(record, tenant, now))
        return ticks

    def ticked(self, ticks: Iterable[ClockTicked]) -> None:
        """Remember ticks once they are published."""
        for each in ticks:
            self._ticked[each.tenant_id] = each.data.date


def quarter_hour(now: datetime) -> datetime:
    """The quarter hour of UTC that `now` falls in."""
    utc = now.astimezone(UTC)
    return utc.replace(minute=utc.minute - utc.minute % 15, second=0, microsecond=0)


def wall_clock() -> datetime:
    return datetime.now(UTC)


class ClockScheduler:
    """Publishes each tenant's tick once a local day (and once more at every start)."""

    def __init__(
        self,
        *,
        topic: str,
        tenants: Callable[[], Sequence[TenantClock]],
        bootstrap_servers: str,
        interval: float = 60.0,
        now: Callable[[], datetime] = wall_clock,
    ) -> None:
        self._topic = topic
        self._tenants = tenants
        self._interval = interval
        self._now = now
        self._ledger = TickLedger()
        self._known: Sequence[TenantClock] = ()
        self._read_in: datetime | None = None
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap_servers, enable_idempotence=True
        )

    async def run(self, stop: asyncio.Event) -> None:
        await self._producer.start()
        try:
            while not stop.is_set():
                try:
                    await self.publish_due()
                except KafkaError:
                    log.warning("clock ticks not published, retrying later")
                try:
                    await asyncio.wait_for(stop.wait(), timeout=self._interval)
                except TimeoutError:
                    continue
        finally:
            await self._producer.stop()

    async def publish_due(self) -> list[ClockTicked]:
        """Publish the ticks due now (the tenants read again in a new quarter hour); returns
        them. A tick not published stays due for the next look."""
        now = self._now()
        if self._read_in != quarter_hour(now):
            self._known = await asyncio.to_thread(self._tenants)
            self._read_in = quarter_hour(now)
        due = self._ledger.due(self._known, now)
        deliveries = [
            await self._producer.send(
                self._topic, record.model_dump_json().encode(), key=record.tenant_id.encode()
            )
            for record in due
        ]
        await asyncio.gather(*deliveries)
        self._ledger.ticked(due)
        return due
