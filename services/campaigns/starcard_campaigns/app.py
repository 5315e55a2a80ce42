"""The campaigns service's composition root: ``python -m starcard_campaigns``.

One process runs the partition consumer of ``booking.events.v1`` (the clients' birthdays, their
treatments) and ``starcard.clock.v1`` (the days), and beside it the outbox relay that asks the
notifier to send what the campaigns decided.
"""

from __future__ import annotations

from collections.abc import Sequence

from starcard_events.topics import BOOKING_EVENTS, CLOCK
from starcard_runtime.service import Companion, run_service
from starcard_runtime.settings import RuntimeSettings

from starcard_campaigns.application import CampaignsService

SCHEMA = "campaigns"
GROUP_ID = "starcard-campaigns"
TOPICS = (BOOKING_EVENTS, CLOCK)


def companions(service: CampaignsService, settings: RuntimeSettings) -> Sequence[Companion]:
    return []


def main() -> None:
    run_service(
        CampaignsService, schema=SCHEMA, topics=TOPICS, group_id=GROUP_ID, companions=companions
    )
