"""The loyalty service's composition root: ``python -m starcard_loyalty``.

One process runs the partition consumer of ``booking.events.v1``, ``starcard.clock.v1`` and
``starcard.campaigns.v1`` (the campaigns' bonus points) and, beside it, the outbox relay that
publishes facts and notification requests, and the scheduler that publishes each tenant's daily
clock tick, in the tenant's time zone (several instances may run: ticks are idempotent).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from starcard_events.topics import BOOKING_EVENTS, CAMPAIGN_FACTS, CLOCK
from starcard_runtime.clock import ClockScheduler, TenantClock, wall_clock
from starcard_runtime.relay import OutboxRelay
from starcard_runtime.service import Companion, run_service
from starcard_runtime.settings import RuntimeSettings

from starcard_loyalty.application import LoyaltyService
from starcard_loyalty.publishing import LoyaltyPublisher

SCHEMA = "loyalty"
GROUP_ID = "starcard-loyalty"
TOPICS = (BOOKING_EVENTS, CLOCK, CAMPAIGN_FACTS)


def outbox_relay(service: LoyaltyService, settings: RuntimeSettings) -> OutboxRelay:
    publisher = LoyaltyPublisher(service, settings.topic)
    return OutboxRelay.deployed("loyalty", service, publisher, settings, reads=publisher.reads)


def tenant_clocks(service: LoyaltyService) -> list[TenantClock]:
    """Every tenant with a programme, in its time zone, with its quiet hours."""
    return [
        TenantClock(
            tenant_id,
            settings.time_zone,
            quiet_hours=settings.quiet_hours,
        )
        for tenant_id, settings in service.tenants_time_settings().items()
    ]


def clock_scheduler(
    service: LoyaltyService,
    settings: RuntimeSettings,
    *,
    now: Callable[[], datetime] = wall_clock,
    interval: float = 60.0,
) -> ClockScheduler:
    return ClockScheduler(
        topic=settings.topic(CLOCK),
        tenants=lambda: tenant_clocks(service),
        bootstrap_servers=settings.kafka_bootstrap_servers,
        interval=interval,
        now=now,
    )


def companions(service: LoyaltyService, settings: RuntimeSettings) -> Sequence[Companion]:
    return [outbox_relay(service, settings), clock_scheduler(service, settings)]


def main() -> None:
    run_service(
        LoyaltyService, schema=SCHEMA, topics=TOPICS, group_id=GROUP_ID, companions=companions
    )
