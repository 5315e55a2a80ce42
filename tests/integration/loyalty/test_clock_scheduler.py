"""The loyalty service's clock scheduler, on a real database and a real Kafka topic, driven by
an injected clock: each tenant gets the tick of its own local day when that day begins in its
time zone, saying when the day began and when its quiet hours end."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from starcard_events.topics import CLOCK
from starcard_loyalty.app import SCHEMA, clock_scheduler
from starcard_loyalty.application import LoyaltyService
from starcard_runtime.service import build_application
from starcard_runtime.settings import RuntimeSettings

from tests.support.stack import collect, create_topics, eventually, stack_settings

pytestmark = pytest.mark.integration


def utc(moment: str) -> datetime:
    return datetime.fromisoformat(moment).replace(tzinfo=UTC)


def iso(moment: str) -> str:
    return utc(moment).isoformat().replace("+00:00", "Z")


@dataclass
class Clock:
    """The scheduler's wall clock, moved by the test."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Running:
    service: LoyaltyService
    clock: Clock
    published: list[dict[str, Any]]

    def ticks(self, tenant_id: str) -> list[tuple[str, str, str | None, str]]:
        """The tenant's ticks on the topic: ``(date, occurred_at, daytime_from, time_zone)``."""
        return [
            (
                each["data"]["date"],
                each["occurred_at"],
                each["data"]["daytime_from"],
                each["data"]["time_zone"],
            )
            for each in self.published
            if each["tenant_id"] == tenant_id
        ]


@pytest.fixture
async def running(
    fresh_database: str, kafka_bootstrap: str, topic_prefix: str
) -> AsyncIterator[Running]:
    """Anna in London (quiet 21:00 to 09:00, the default) and Brook in Auckland (quiet 22:00 to
    07:30); the scheduler of the loyalty app looking every 50 ms at the test's clock."""
    settings: RuntimeSettings = stack_settings(fresh_database, kafka_bootstrap, topic_prefix)
    await create_topics(kafka_bootstrap, [settings.topic(CLOCK)], 1)
    service = await asyncio.to_thread(build_application, LoyaltyService, settings, SCHEMA)
    service.open_programme("anna", "Anna Massage")
    service.change_time_settings("anna", {"time_zone": "Europe/London"})
    service.open_programme("brook", "Brook Spa")
    service.change_time_settings(
        "brook",
        {"time_zone": "Pacific/Auckland", "quiet_hours": {"start": "22:00", "end": "07:30"}},
    )
    clock = Clock(utc("2026-03-13 10:59"))
    published: list[dict[str, Any]] = []
    stop = asyncio.Event()
    tasks = asyncio.gather(
        clock_scheduler(service, settings, now=clock, interval=0.05).run(stop),
        collect(settings, [CLOCK], published, stop),
    )
    try:
        yield Running(service, clock, published)
    finally:
        stop.set()
        await tasks
        service.close()


async def test_each_tenant_gets_the_tick_of_its_own_day_at_its_own_midnight(
    running: Running,
) -> None:
    # 10:59 UTC on 13 March: 10:59 in London, 23:59 in Auckland; both on the 13th.
    def ticked_the_13th() -> None:
        assert running.ticks("anna") == [
            ("2026-03-13", iso("2026-03-13 00:00"), iso("2026-03-13 09:00"), "Europe/London")
        ]
        # Published at 23:59 in Auckland, inside its quiet hours: what it decides waits for
        # their end, 07:30 the next morning, not for the morning's end already past.
        assert running.ticks("brook") == [
            ("2026-03-13", iso("2026-03-12 11:00"), iso("2026-03-13 18:30"), "Pacific/Auckland")
        ]

    await eventually(ticked_the_13th)

    # 11:00 UTC: midnight in Auckland, the 14th begins there (and not yet in London).
    running.clock.now = utc("2026-03-13 11:00")

    def ticked_auckland_14th() -> None:
        assert running.ticks("brook")[1:] == [
            ("2026-03-14", iso("2026-03-13 11:00"), iso("2026-03-13 18:30"), "Pacific/Auckland")
        ]

    await eventually(ticked_auckland_14th)
    assert len(running.ticks("anna")) == 1

    # A tenant opened during the day, in UTC with no quiet hours, gets its tick within the
    # quarter hour; London's midnight brings Anna the 14th.
    running.service.open_programme("cara", "Cara Clinic")
    running.service.change_time_settings("cara", {"quiet_hours": None})
    running.clock.now = utc("2026-03-14 00:00")

    def ticked_the_14th() -> None:
        assert running.ticks("anna")[1:] == [
            ("2026-03-14", iso("2026-03-14 00:00"), iso("2026-03-14 09:00"), "Europe/London")
        ]
        assert running.ticks("cara") == [("2026-03-14", iso("2026-03-14 00:00"), None, "UTC")]

    await eventually(ticked_the_14th)
    assert len(running.ticks("brook")) == 2
