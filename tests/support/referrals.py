"""The referrals pipeline, running for real against Kafka and PostgreSQL inside a test.

The referrals service consumes and relays in tasks of the test's event loop, as its process does;
the test publishes link visits and bookings with a real producer, and reads what came out: the
service's aggregates, and the facts and notification requests it published to Kafka.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaProducer
from starcard_events.examples import encode
from starcard_events.topics import (
    BOOKING_EVENTS,
    NOTIFICATIONS,
    REFERRAL_FACTS,
    REFERRAL_VISITS,
    booking_key,
    referral_visit_key,
)
from starcard_referrals.app import GROUP_ID, SCHEMA, TOPICS, outbox_relay
from starcard_referrals.application import ReferralsService
from starcard_runtime.service import build_application
from starcard_runtime.settings import RuntimeSettings

from tests.support.stack import (
    collect,
    consuming,
    create_topics,
    following_projections,
    stack_settings,
)


@dataclass
class ReferralsStack:
    settings: RuntimeSettings
    commands: ReferralsService
    producer: AIOKafkaProducer
    published: list[dict[str, Any]] = field(default_factory=list)
    """Every record the service published (facts and notification requests), in arrival order."""

    async def publish(self, *events: dict[str, Any]) -> None:
        """Publish upstream events on their topics, keyed as a platform must."""
        for event in events:
            if event["type"] == "LinkVisited":
                topic = self.settings.topic(REFERRAL_VISITS)
                key = referral_visit_key(event["tenant_id"], event["data"]["referral_code"])
            else:
                topic = self.settings.topic(BOOKING_EVENTS)
                key = booking_key(event["tenant_id"], event["data"]["client_id"])
            await self.producer.send(topic, encode(event), key=key)
        await self.producer.flush()

    async def publish_raw(self, topic: str, value: bytes | None, key: bytes | None) -> None:
        await self.producer.send_and_wait(self.settings.topic(topic), value, key=key)

    def facts(self, kind: str) -> list[dict[str, Any]]:
        """The `data` of each published record of type `kind`, distinct by event id."""
        seen: dict[str, dict[str, Any]] = {}
        for record in self.published:
            if record["type"] == kind:
                seen.setdefault(record["event_id"], record["data"])
        return list(seen.values())


def consuming_referrals(settings: RuntimeSettings) -> AbstractAsyncContextManager[ReferralsService]:
    """The referrals service in this event loop until the block ends: consumer and relay."""
    return consuming(
        ReferralsService, outbox_relay, settings, schema=SCHEMA, topics=TOPICS, group_id=GROUP_ID
    )


@asynccontextmanager
async def referrals_stack(
    database_url: str, bootstrap: str, prefix: str, *, partitions: int = 4
) -> AsyncIterator[ReferralsStack]:
    settings = stack_settings(database_url, bootstrap, prefix)
    topics = [*TOPICS, REFERRAL_FACTS, NOTIFICATIONS]
    await create_topics(bootstrap, [settings.topic(topic) for topic in topics], partitions)
    commands = await asyncio.to_thread(build_application, ReferralsService, settings, SCHEMA)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()
    stack = ReferralsStack(settings, commands, producer)
    stop = asyncio.Event()
    collector = asyncio.create_task(
        collect(settings, [REFERRAL_FACTS, NOTIFICATIONS], stack.published, stop)
    )
    try:
        async with following_projections(settings), consuming_referrals(settings):
            yield stack
    finally:
        stop.set()
        await collector
        await producer.stop()
        commands.close()
