"""The loyalty service's composition root: ``python -m starcard_loyalty``.

One process runs the partition consumer of ``booking.events.v1`` and ``starcard.clock.v1`` and,
beside it, the outbox relay that publishes facts and notification requests, and the scheduler
that publishes each tenant's daily clock tick (several instances may run: ticks are idempotent).
"""

from __future__ import annotations

from collections.abc import Sequence

from starcard_events.topics import BOOKING_EVENTS, CLOCK
from starcard_runtime.clock import ClockScheduler
from starcard_runtime.relay import OutboxRelay
from starcard_runtime.service import Companion, run_service
from starcard_runtime.settings import RuntimeSettings

from starcard_loyalty.application import LoyaltyService
from starcard_loyalty.publishing import LoyaltyPublisher

SCHEMA = "loyalty"
GROUP_ID = "starcard-loyalty"
TOPICS = (BOOKING_EVENTS, CLOCK)


def outbox_relay(service: LoyaltyService, settings: RuntimeSettings) -> OutboxRelay:
    publisher = LoyaltyPublisher(service, settings.topic)
    return OutboxRelay.deployed("loyalty", service, publisher, settings, reads=publisher.reads)


def clock_scheduler(service: LoyaltyService, settings: RuntimeSettings) -> ClockScheduler:
    return ClockScheduler(
        topic=settings.topic(CLOCK),
        tenants=service.tenant_ids,
        bootstrap_servers=settings.kafka_bootstrap_servers,
    )


def companions(service: LoyaltyService, settings: RuntimeSettings) -> Sequence[Companion]:
    return [outbox_relay(service, settings), clock_scheduler(service, settings)]


def main() -> None:
    run_service(
        LoyaltyService, schema=SCHEMA, topics=TOPICS, group_id=GROUP_ID, companions=companions
    )
