"""The loyalty pipeline, running for real against Kafka and PostgreSQL inside a test.

The loyalty service consumes in a task of the test's event loop and the projections follow in a
thread, exactly as their processes do; the test publishes with a real producer and reads the
read model (or the gateway) like a user would.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import date
from datetime import time as time_of_day
from typing import Any, TypeVar

import psycopg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.structs import RecordMetadata
from starcard_events.examples import encode
from starcard_events.topics import BOOKING_EVENTS, CLOCK, booking_key
from starcard_loyalty.app import GROUP_ID, SCHEMA, TOPICS, outbox_relay
from starcard_loyalty.application import LoyaltyService
from starcard_projections.failures import failures
from starcard_projections.loyalty import LoyalClient, most_loyal
from starcard_projections.runner import follow, migrate
from starcard_runtime.batching import BatchApplication
from starcard_runtime.clock import tick
from starcard_runtime.relay import OutboxRelay
from starcard_runtime.service import build_application, consume
from starcard_runtime.settings import RuntimeSettings

T = TypeVar("T")
TApp = TypeVar("TApp", bound=BatchApplication)


async def create_topics(bootstrap: str, topics: list[str], partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(name, num_partitions=partitions, replication_factor=1) for name in topics]
        )
    finally:
        await admin.close()


def stack_settings(database_url: str, bootstrap: str, prefix: str) -> RuntimeSettings:
    return RuntimeSettings(
        DATABASE_URL=database_url,
        KAFKA_BOOTSTRAP_SERVERS=bootstrap,
        STARCARD_TOPIC_PREFIX=prefix,
        STARCARD_BATCH_MAX_RECORDS=500,
    )


@dataclass
class LoyaltyStack:
    settings: RuntimeSettings
    commands: LoyaltyService
    producer: AIOKafkaProducer

    @property
    def booking_topic(self) -> str:
        return self.settings.topic(BOOKING_EVENTS)

    async def publish(self, *events: dict[str, Any]) -> None:
        """Publish upstream events keyed as a platform must: ``tenant_id:client_id``."""
        for event in events:
            key = booking_key(event["tenant_id"], event["data"]["client_id"])
            await self.producer.send(self.booking_topic, encode(event), key=key)
        await self.producer.flush()

    async def publish_raw(self, value: bytes | None, key: bytes | None) -> None:
        await self.producer.send_and_wait(self.booking_topic, value, key=key)

    def sql(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.settings.database_url) as conn:
            return conn.execute(query, params).fetchall()

    def most_loyal(self, tenant_id: str, limit: int = 1000) -> list[LoyalClient]:
        with psycopg.connect(self.settings.database_url) as conn:
            return most_loyal(conn, tenant_id, limit=limit, offset=0)[0]

    def stars(self, tenant_id: str) -> dict[str, int]:
        return {row.client_id: row.stars for row in self.most_loyal(tenant_id)}


async def eventually(check: Callable[[], T], *, within: float = 30.0) -> T:
    """Poll ``check`` until it returns without an AssertionError; re-raise the last one."""
    deadline = time.monotonic() + within
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
        await asyncio.sleep(0.1)


async def until(check: Callable[[], Awaitable[T]], *, within: float = 30.0) -> T:
    """Await ``check`` until it passes (the pipeline is asynchronous); re-raise its last failure."""
    deadline = time.monotonic() + within
    while True:
        try:
            return await check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
        await asyncio.sleep(0.1)


async def collect(
    settings: RuntimeSettings,
    topics: Sequence[str],
    into: list[dict[str, Any]],
    stop: asyncio.Event,
) -> None:
    """Append every record published on `topics` (decoded JSON) to `into` until `stop`."""
    consumer = AIOKafkaConsumer(
        *(settings.topic(topic) for topic in topics),
        bootstrap_servers=settings.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=100)
            for records in batches.values():
                into.extend(json.loads(record.value) for record in records if record.value)
    finally:
        await consumer.stop()


async def publish_tick(
    producer: AIOKafkaProducer,
    settings: RuntimeSettings,
    tenant_id: str,
    day: date,
    *,
    time_zone: str = "UTC",
    quiet_hours_end: time_of_day | None = None,
) -> RecordMetadata:
    """Publish the clock tick of the tenant's `day` (in `time_zone`, its daytime from
    `quiet_hours_end`) as the scheduler does: keyed by tenant."""
    return await producer.send_and_wait(
        settings.topic(CLOCK),
        tick(tenant_id, day, time_zone, quiet_hours_end).model_dump_json().encode(),
        key=tenant_id.encode(),
    )


async def processed(service: BatchApplication, *sent: RecordMetadata) -> None:
    """Wait until the event store of `service` has recorded each sent record: its tracking
    position on the record's partition reached the record's offset."""

    def recorded() -> None:
        for record in sent:
            position = service.tracked_offset(record.topic, record.partition)
            assert (-1 if position is None else position) >= record.offset, record

    await eventually(recorded)


@asynccontextmanager
async def consuming(
    kind: type[TApp],
    relay: Callable[[TApp, RuntimeSettings], OutboxRelay],
    settings: RuntimeSettings,
    *,
    schema: str,
    topics: Sequence[str],
    group_id: str,
) -> AsyncIterator[TApp]:
    """A service in this event loop until the block ends: its consumer and its outbox relay."""
    service = await asyncio.to_thread(build_application, kind, settings, schema)
    stop = asyncio.Event()
    task = asyncio.gather(
        consume(service, settings, topics=topics, group_id=group_id, stop=stop),
        relay(service, settings).run(stop),
    )
    try:
        yield service
    finally:
        stop.set()
        await task
        service.close()


def consuming_service(settings: RuntimeSettings) -> AbstractAsyncContextManager[LoyaltyService]:
    """The loyalty service in this event loop until the block ends: its consumer and relay.

    No clock scheduler: a test publishes the ticks it wants, at the dates it wants.
    """
    return consuming(
        LoyaltyService, outbox_relay, settings, schema=SCHEMA, topics=TOPICS, group_id=GROUP_ID
    )


@asynccontextmanager
async def following_projections(settings: RuntimeSettings) -> AsyncIterator[None]:
    """The projections following in a thread; their tables exist before the block starts.

    A read model that could not apply an event skips that tenant's events from then on, which
    a test's figures might not show; the block fails if any event was left unapplied.
    """
    await asyncio.to_thread(migrate, settings.database_url)
    stop = threading.Event()
    thread = threading.Thread(target=follow, args=(settings.database_url, stop), daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        await asyncio.to_thread(thread.join)
    with psycopg.connect(settings.database_url) as conn:
        unapplied = failures(conn)
    assert unapplied == [], f"a read model could not apply events: {unapplied}"


@asynccontextmanager
async def loyalty_stack(
    database_url: str, bootstrap: str, prefix: str, *, partitions: int = 4, consume: bool = True
) -> AsyncIterator[LoyaltyStack]:
    settings = stack_settings(database_url, bootstrap, prefix)
    await create_topics(bootstrap, [settings.topic(topic) for topic in TOPICS], partitions)
    commands = await asyncio.to_thread(build_application, LoyaltyService, settings, SCHEMA)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()
    stack = LoyaltyStack(settings, commands, producer)
    try:
        async with following_projections(settings):
            if consume:
                async with consuming_service(settings):
                    yield stack
            else:
                yield stack
    finally:
        await producer.stop()
        commands.close()
