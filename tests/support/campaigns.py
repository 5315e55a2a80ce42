"""The campaigns pipeline, running for real against Kafka and PostgreSQL inside a test.

The campaigns service consumes the booking topic and the clock, and relays, in tasks of the
test's event loop, as its process does. The test publishes clients, bookings, visits and the days
it wants, each waited for until the service has recorded it, and reads what came out: the offers
in the service's event store and the notification requests it published to Kafka.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

from aiokafka import AIOKafkaProducer
from eventsourcing.utils import get_topic
from starcard_campaigns.app import GROUP_ID, SCHEMA, TOPICS, outbox_relay
from starcard_campaigns.application import CampaignsService
from starcard_campaigns.domain.offers import Offer
from starcard_events.examples import encode
from starcard_events.topics import BOOKING_EVENTS, CAMPAIGN_FACTS, NOTIFICATIONS, booking_key
from starcard_runtime.outbound import notification_id
from starcard_runtime.service import build_application
from starcard_runtime.settings import RuntimeSettings

from tests.support.stack import (
    collect,
    consuming,
    create_topics,
    eventually,
    processed,
    publish_tick,
    stack_settings,
)

DECIDED = f"{get_topic(Offer)}.Decided"
"""The stored topic of the event that makes an offer (sent or held out)."""

CAMPAIGN_KINDS = ("birthday_reward", "anniversary_offer", "reengagement_offer")


@dataclass
class CampaignsStack:
    settings: RuntimeSettings
    commands: CampaignsService
    producer: AIOKafkaProducer
    published: list[dict[str, Any]] = field(default_factory=list)
    """Every notification request the service published, in arrival order (copies included)."""
    facts: list[dict[str, Any]] = field(default_factory=list)
    """Every campaign fact (``starcard.campaigns.v1``) it published, likewise."""

    async def publish(self, *events: dict[str, Any]) -> None:
        """Publish upstream events keyed as a platform must (``tenant_id:client_id``); return once
        the service has recorded them."""
        topic = self.settings.topic(BOOKING_EVENTS)
        sending = [
            await self.producer.send(
                topic,
                encode(event),
                key=booking_key(event["tenant_id"], event["data"]["client_id"]),
            )
            for event in events
        ]
        await processed(self.commands, *await asyncio.gather(*sending))

    async def tick(
        self,
        tenant_id: str,
        *days: date,
        time_zone: str = "UTC",
        quiet_hours_end: time | None = None,
    ) -> None:
        """The clock ticks of the tenant's `days` (in `time_zone`), in order; return once the
        service has recorded them."""
        for day in days:
            sent = await publish_tick(
                self.producer,
                self.settings,
                tenant_id,
                day,
                time_zone=time_zone,
                quiet_hours_end=quiet_hours_end,
            )
            await processed(self.commands, sent)

    def decided(self, campaign: str | None = None) -> list[Any]:
        """Every offer the service's event store holds (of `campaign`, else of every one), sent
        and held out: its ``Decided`` event, with the offer's attributes, in the order made."""
        found = self.commands.recorder.select_notifications(
            start=1, limit=100_000, topics=[DECIDED]
        )
        events: list[Any] = [self.commands.mapper.to_domain_event(each) for each in found]
        return [each for each in events if campaign in (None, each.campaign)]

    def granted(self, campaign: str | None = None) -> list[Any]:
        """The offers sent (not held out)."""
        return [each for each in self.decided(campaign) if each.terms is not None]

    async def settle(self) -> None:
        """Wait until the request of every offer sent has been published and read here; nothing
        else can follow, since the service asks for a message only for an offer sent."""

        def all_arrived() -> None:
            wanted = {str(notification_id(offer)) for offer in self.granted()}
            arrived = {notice["notification_id"] for notice in self.notices()}
            assert wanted <= arrived, f"{len(wanted - arrived)} requests still to come"

        await eventually(all_arrived)

    def notices(self, tenant_id: str | None = None) -> list[dict[str, Any]]:
        """The campaign messages asked for (of `tenant_id`, else every tenant's), each once."""
        seen: dict[str, dict[str, Any]] = {}
        for record in self.published:
            notice = record["data"]
            if notice["kind"] in CAMPAIGN_KINDS and tenant_id in (None, record["tenant_id"]):
                seen.setdefault(notice["notification_id"], notice)
        return list(seen.values())


def consuming_campaigns(settings: RuntimeSettings) -> AbstractAsyncContextManager[CampaignsService]:
    """The campaigns service in this event loop until the block ends: its consumer and relay.

    No clock scheduler: a test publishes the ticks it wants, at the dates it wants.
    """
    return consuming(
        CampaignsService, outbox_relay, settings, schema=SCHEMA, topics=TOPICS, group_id=GROUP_ID
    )


@asynccontextmanager
async def campaigns_stack(
    database_url: str, bootstrap: str, prefix: str, *, partitions: int = 4, consume: bool = True
) -> AsyncIterator[CampaignsStack]:
    """The stack on a fresh database and topic prefix; with ``consume=False`` the test runs the
    service itself (``consuming_campaigns``), to stop and start it."""
    settings = stack_settings(database_url, bootstrap, prefix)
    topics = [*TOPICS, NOTIFICATIONS, CAMPAIGN_FACTS]
    await create_topics(bootstrap, [settings.topic(topic) for topic in topics], partitions)
    commands = await asyncio.to_thread(build_application, CampaignsService, settings, SCHEMA)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()
    stack = CampaignsStack(settings, commands, producer)
    stop = asyncio.Event()
    collectors = [
        asyncio.create_task(collect(settings, [NOTIFICATIONS], stack.published, stop)),
        asyncio.create_task(collect(settings, [CAMPAIGN_FACTS], stack.facts, stop)),
    ]
    try:
        if consume:
            async with consuming_campaigns(settings):
                yield stack
        else:
            yield stack
    finally:
        stop.set()
        await asyncio.gather(*collectors)
        await producer.stop()
        commands.close()
