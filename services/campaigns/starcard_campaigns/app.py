"""The campaigns service's composition root: ``python -m starcard_campaigns``.

One process runs the partition consumer of ``booking.events.v1`` (the clients' birthdays, their
treatments), ``starcard.clock.v1`` (the days) and ``starcard.deliveries.v1`` (what became of the
messages sent, for the results), and beside it the outbox relay that asks the notifier to send
what the campaigns decided.
"""

from __future__ import annotations

from collections.abc import Sequence

from starcard_events.topics import BOOKING_EVENTS, CLOCK, DELIVERY_FACTS
from starcard_runtime.relay import OutboxRelay
from starcard_runtime.service import Companion, run_service
from starcard_runtime.settings import RuntimeSettings

from starcard_campaigns.application import CampaignsService
from starcard_campaigns.publishing import CampaignsPublisher

SCHEMA = "campaigns"
GROUP_ID = "starcard-campaigns"
TOPICS = (BOOKING_EVENTS, CLOCK, DELIVERY_FACTS)


def outbox_relay(service: CampaignsService, settings: RuntimeSettings) -> OutboxRelay:
    publisher = CampaignsPublisher(service, settings.topic)
    return OutboxRelay.deployed("campaigns", service, publisher, settings, reads=publisher.reads)


def companions(service: CampaignsService, settings: RuntimeSettings) -> Sequence[Companion]:
    return [outbox_relay(service, settings)]


def main() -> None:
    run_service(
        CampaignsService, schema=SCHEMA, topics=TOPICS, group_id=GROUP_ID, companions=companions
    )
