"""The partition consumer every service runs on.

It seeks each assigned partition to the position tracked in the event store, hands the records
of one partition at a time to :meth:`BatchApplication.process_batch` in a worker thread (the
event store is synchronous), publishes what was dead-lettered to ``<topic>.dlq``, and retries
transient faults with backoff. Kafka's committed offsets are written for lag monitoring only.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError
from starcard_events.topics import dead_letter_topic

from starcard_runtime.batching import TRANSIENT_ERRORS, BatchApplication
from starcard_runtime.dead_letters import DeadLetterStore
from starcard_runtime.records import InboundRecord

log = structlog.get_logger(__name__)

T = TypeVar("T")

MAX_BACKOFF_SECONDS = 10.0


def to_inbound(message: ConsumerRecord[bytes, bytes]) -> InboundRecord:
    return InboundRecord(
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        key=message.key,
        value=message.value,
        timestamp_ms=message.timestamp,
        headers=tuple(message.headers or ()),
    )


class SeekToTracked(ConsumerRebalanceListener):  # type: ignore[misc]
    """On every assignment, start each partition just after its tracked offset."""

    def __init__(self, consumer: PartitionConsumer) -> None:
        self._owner = consumer

    async def on_partitions_revoked(self, revoked: Sequence[TopicPartition]) -> None:
        for tp in revoked:
            self._owner.positions.pop(tp, None)
        self._owner.application.working_set.clear()

    async def on_partitions_assigned(self, assigned: Sequence[TopicPartition]) -> None:
        await self._owner.seek_to_tracked(assigned)


class PartitionConsumer:
    """Consumes ``topics`` for ``application``, one partition batch per transaction."""

    def __init__(
        self,
        *,
        application: BatchApplication,
        topics: Sequence[str],
        group_id: str,
        bootstrap_servers: str,
        database_url: str,
        max_records: int = 5000,
    ) -> None:
        self.application = application
        self.topics = list(topics)
        self.max_records = max_records
        self.dead_letters = DeadLetterStore(database_url)
        self.positions: dict[TopicPartition, int] = {}
        self.ready = asyncio.Event()
        self._bootstrap_servers = bootstrap_servers
        # Built here, so a consumer must be created inside the running event loop.
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap_servers,
            group_id=group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=8 * 1024 * 1024,
            fetch_max_bytes=64 * 1024 * 1024,
            metadata_max_age_ms=5000,
        )
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap_servers, enable_idempotence=True, acks="all"
        )

    async def seek_to_tracked(self, partitions: Sequence[TopicPartition]) -> None:
        for tp in partitions:
            tracked = await self._retrying(
                lambda tp=tp: asyncio.to_thread(  # type: ignore[misc]
                    self.application.tracked_offset, tp.topic, tp.partition
                )
            )
            if tracked is None:
                self.positions[tp] = -1
                await self._consumer.seek_to_beginning(tp)
            else:
                self.positions[tp] = tracked
                self._consumer.seek(tp, tracked + 1)
        log.info(
            "partitions assigned", partitions=[f"{tp.topic}/{tp.partition}" for tp in partitions]
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop`` is set."""
        self._consumer.subscribe(self.topics, listener=SeekToTracked(self))
        await self._retrying(self._ensure_dead_letter_topics)
        await self._retrying(self._consumer.start)
        await self._retrying(self._producer.start)
        try:
            await self._retrying(self._publish_dead_letters)
            while not stop.is_set():
                fetched = await self._consumer.getmany(timeout_ms=200, max_records=self.max_records)
                if self._consumer.assignment():
                    self.ready.set()
                for tp, messages in fetched.items():
                    await self._handle(tp, messages)
        finally:
            with contextlib.suppress(KafkaError):
                await self._consumer.stop()
            with contextlib.suppress(KafkaError):
                await self._producer.stop()

    async def _handle(
        self, tp: TopicPartition, messages: list[ConsumerRecord[bytes, bytes]]
    ) -> None:
        position = self.positions.get(tp)
        if position is None:  # revoked while this fetch was in flight
            return
        records = [to_inbound(m) for m in messages if m.offset > position]
        if not records:
            return
        began = time.perf_counter()
        letters = await self._retrying(
            lambda: asyncio.to_thread(self.application.process_batch, records)
        )
        log.debug(
            "batch processed",
            topic=tp.topic,
            partition=tp.partition,
            records=len(records),
            ms=round((time.perf_counter() - began) * 1000, 1),
        )
        if letters is None:
            log.info(
                "batch already recorded, seeking to the tracked position",
                topic=tp.topic,
                partition=tp.partition,
            )
            await self.seek_to_tracked([tp])
            return
        self.positions[tp] = records[-1].offset
        if letters:
            for letter in letters:
                log.warning(
                    "record dead-lettered",
                    tenant_id=letter.record.tenant_id,
                    topic=tp.topic,
                    partition=tp.partition,
                    offset=letter.record.offset,
                    reason=letter.reason,
                )
            await self._retrying(self._publish_dead_letters)
        with contextlib.suppress(KafkaError):
            await self._consumer.commit({tp: records[-1].offset + 1})

    async def _ensure_dead_letter_topics(self) -> None:
        """Create ``<topic>.dlq`` up front, with the partitions of its topic, where missing."""
        admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap_servers)
        await admin.start()
        try:
            existing = set(await admin.list_topics())
            wanted = [dead_letter_topic(t) for t in self.topics]
            missing = [
                NewTopic(t, num_partitions=1, replication_factor=1)
                for t in wanted
                if t not in existing
            ]
            if missing:
                with contextlib.suppress(TopicAlreadyExistsError):
                    await admin.create_topics(missing)
        finally:
            await admin.close()

    async def _publish_dead_letters(self) -> None:
        pending = await asyncio.to_thread(
            self.dead_letters.unpublished, self.application.service_name
        )
        for letter in pending:
            record = letter.record
            headers = [
                ("starcard.reason", letter.reason.encode()),
                ("starcard.service", letter.service.encode()),
                ("starcard.topic", record.topic.encode()),
                ("starcard.partition", str(record.partition).encode()),
                ("starcard.offset", str(record.offset).encode()),
                ("starcard.dead_letter_id", str(letter.id).encode()),
                ("starcard.tenant", (record.tenant_id or "").encode()),
            ]
            await self._producer.send_and_wait(
                dead_letter_topic(record.topic),
                value=record.value,
                key=record.key,
                headers=headers,
            )
        if pending:
            await asyncio.to_thread(self.dead_letters.mark, "published_at", [p.id for p in pending])

    async def _retrying(self, attempt: Callable[[], Awaitable[T]]) -> T:
        """Run ``attempt`` until it succeeds, backing off on database and broker faults."""
        delay = 0.2
        while True:
            try:
                return await attempt()
            except (*TRANSIENT_ERRORS, KafkaError, OSError) as exc:
                self.application.working_set.clear()
                log.warning("transient fault, retrying", error=type(exc).__name__, delay=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF_SECONDS)
