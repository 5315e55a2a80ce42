"""The AsyncAPI document of Starcard's topics, generated with FastStream from the wire models.

``python -m starcard_runtime.asyncapi`` writes ``events/schemas/asyncapi.json``; ``--check`` exits
1 when the file is stale (a test runs it). Platforms in any language read it to publish what the
services consume and to consume what they publish.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI
from starcard_events.campaign_facts import CampaignPointsGranted
from starcard_events.clock import ClockTicked
from starcard_events.delivery_facts import DeliveryFact
from starcard_events.facts import LoyaltyFact
from starcard_events.notifications import NotificationRequested
from starcard_events.parsing import BookingTopicEvent, ReferralTopicEvent
from starcard_events.referral_facts import ReferralFact
from starcard_events.topics import (
    BOOKING_EVENTS,
    CAMPAIGN_FACTS,
    CLOCK,
    DELIVERY_FACTS,
    LOYALTY_FACTS,
    NOTIFICATIONS,
    REFERRAL_FACTS,
    REFERRAL_VISITS,
)

DOCUMENT = Path(__file__).resolve().parents[3] / "events" / "schemas" / "asyncapi.json"


def document() -> dict[str, Any]:
    """Topics as channels: what platforms publish, and what Starcard publishes back."""
    broker = KafkaBroker("127.0.0.1:9092")
    upstream = "Published by booking platforms, keyed tenant_id:client_id"
    broker.publisher(
        BOOKING_EVENTS, title="booking events", description=upstream, schema=BookingTopicEvent
    )
    broker.publisher(
        REFERRAL_VISITS,
        title="referral link visits",
        description="Published by booking platforms, keyed tenant_id:referral_code",
        schema=ReferralTopicEvent,
    )
    broker.publisher(
        LOYALTY_FACTS,
        title="loyalty facts",
        description="Published by Starcard's loyalty service, keyed tenant_id:client_id",
        schema=LoyaltyFact,
    )
    broker.publisher(
        REFERRAL_FACTS,
        title="referral facts",
        description="Published by Starcard's referrals service, keyed tenant_id:client_id",
        schema=ReferralFact,
    )
    broker.publisher(
        CAMPAIGN_FACTS,
        title="campaign facts",
        description=(
            "Published by Starcard's campaigns service, keyed tenant_id:client_id: a campaign's "
            "bonus points, which the loyalty service grants"
        ),
        schema=CampaignPointsGranted,
    )
    broker.publisher(
        NOTIFICATIONS,
        title="notification requests",
        description="Internal: services ask the notifier to send a message",
        schema=NotificationRequested,
    )
    broker.publisher(
        DELIVERY_FACTS,
        title="delivery facts",
        description=(
            "Published by Starcard's notifier, keyed tenant_id:client_id: each message's email "
            "and SMS delivered or not delivered"
        ),
        schema=DeliveryFact,
    )
    broker.publisher(
        CLOCK,
        title="clock",
        description="Internal: one tick per tenant and day",
        schema=ClockTicked,
    )
    spec = AsyncAPI(broker, title="Starcard", version="1", schema_version="3.0.0")
    return json.loads(spec.to_specification().to_json())  # type: ignore[no-any-return]


def render() -> str:
    return json.dumps(document(), indent=2, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not DOCUMENT.exists() or DOCUMENT.read_text() != text:
            print(f"stale: {DOCUMENT}; run python -m starcard_runtime.asyncapi")  # noqa: T201
            return 1
        return 0
    DOCUMENT.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
