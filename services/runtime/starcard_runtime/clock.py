"""The scheduler that tells time-driven rules a day has begun (``starcard.clock.v1``).

It publishes today's ``ClockTicked`` for each tenant when it starts and whenever the date changes
(it looks every ``interval`` seconds). The tick of a
tenant and day has one event id, however often it is published, and the rules it drives are
idempotent, so re-publishing (by a restart or by a second instance) changes nothing. Days are UTC
days for now: tenants have no time zone yet.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from starcard_events.clock import ClockTicked, Day

log = structlog.get_logger(__name__)

CLOCK_NAMESPACE = uuid.UUID("f1d9a3c2-7b64-4e0f-9a51-3f2c8e6d0b47")


def tick(tenant_id: str, day: date) -> ClockTicked:
    """The tick of one tenant's day; its event id is the same every time."""
    return ClockTicked(
        event_id=uuid.uuid5(CLOCK_NAMESPACE, f"{tenant_id}:{day.isoformat()}"),
        type="ClockTicked",
        schema_version=1,
        occurred_at=datetime.combine(day, time(0), tzinfo=UTC),
        tenant_id=tenant_id,
        data=Day(date=day),
    )


class ClockScheduler:
    """Publishes each tenant's tick once a day (and once more at every start)."""

    def __init__(
        self,
        *,
        topic: str,
        tenants: Callable[[], Sequence[str]],
        bootstrap_servers: str,
        interval: float = 60.0,
        today: Callable[[], date] = lambda: datetime.now(UTC).date(),
    ) -> None:
        self._topic = topic
        self._tenants = tenants
        self._interval = interval
        self._today = today
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap_servers, enable_idempotence=True
        )

    async def run(self, stop: asyncio.Event) -> None:
        await self._producer.start()
        published: date | None = None
        try:
            while not stop.is_set():
                if self._today() != published:
                    try:
                        published = await self.publish_today()
                    except KafkaError:
                        log.warning("clock tick not published, retrying later")
                try:
                    await asyncio.wait_for(stop.wait(), timeout=self._interval)
                except TimeoutError:
                    continue
        finally:
            await self._producer.stop()

    async def publish_today(self) -> date:
        """Publish today's tick for every tenant; returns the day."""
        day = self._today()
        tenants = await asyncio.to_thread(self._tenants)
        for tenant_id in tenants:
            record = tick(tenant_id, day)
            await self._producer.send(
                self._topic, record.model_dump_json().encode(), key=tenant_id.encode()
            )
        await self._producer.flush()
        return day
