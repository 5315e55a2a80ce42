"""The referrals service's composition root: ``python -m starcard_referrals``.

One process runs the partition consumer of ``referral.visits.v1`` and ``booking.events.v1`` and,
beside it, the outbox relay that publishes referral facts and notification requests.
"""

from __future__ import annotations

from collections.abc import Sequence

from starcard_events.topics import BOOKING_EVENTS, REFERRAL_VISITS
from starcard_runtime.relay import OutboxRelay
from starcard_runtime.service import Companion, run_service
from starcard_runtime.settings import RuntimeSettings

from starcard_referrals.application import ReferralsService
from starcard_referrals.publishing import ReferralsPublisher

SCHEMA = "referrals"
GROUP_ID = "starcard-referrals"
TOPICS = (REFERRAL_VISITS, BOOKING_EVENTS)


def outbox_relay(service: ReferralsService, settings: RuntimeSettings) -> OutboxRelay:
    return OutboxRelay.deployed(
        "referrals", service, ReferralsPublisher(service, settings.topic), settings
    )


def companions(service: ReferralsService, settings: RuntimeSettings) -> Sequence[Companion]:
    return [outbox_relay(service, settings)]


def main() -> None:
    run_service(
        ReferralsService, schema=SCHEMA, topics=TOPICS, group_id=GROUP_ID, companions=companions
    )
