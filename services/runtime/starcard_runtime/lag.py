"""How far each consumer group is behind the end of each partition it consumes.

The partition consumer commits Kafka offsets after every batch for exactly this (its position of
record is the tracking row in the event store): lag = the partition's end offset minus the group's
committed offset, read from the broker, so it is known even when the consumer is down.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

REQUEST_TIMEOUT_MS = 3000
GROUP_PREFIX = "starcard-"
"""Every Starcard service's consumer group id starts so (after the deployment's topic prefix)."""


@dataclass(frozen=True)
class PartitionLag:
    group: str
    topic: str
    partition: int
    committed: int | None
    """The group's next offset to read; None before it has committed any."""
    end: int
    """The offset the next record written to the partition will get."""

    @property
    def lag(self) -> int:
        """Records written that the group has not processed yet."""
        return max(self.end - (self.committed or 0), 0)


async def consumer_lags(bootstrap_servers: str, group_prefix: str) -> list[PartitionLag]:
    """The lag of every partition of each consumer group whose id starts with ``group_prefix``.

    A group's topics are those it has committed offsets on; every partition of such a topic is
    listed, a partition it has not committed yet as lagging from the start. Raises
    ``KafkaError`` when the broker does not answer.
    """
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap_servers, request_timeout_ms=REQUEST_TIMEOUT_MS
    )
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        enable_auto_commit=False,
        request_timeout_ms=REQUEST_TIMEOUT_MS,
    )
    try:
        await admin.start()
        await consumer.start()
        groups = sorted(
            group
            for group, *_ in await admin.list_consumer_groups()
            if group.startswith(group_prefix)
        )
        committed = {group: await admin.list_consumer_group_offsets(group) for group in groups}
        topics = sorted({tp.topic for offsets in committed.values() for tp in offsets})
        described = await admin.describe_topics(topics) if topics else []
        partitions = {
            t["topic"]: sorted(p["partition"] for p in t["partitions"]) for t in described
        }
        every = [TopicPartition(t, p) for t, ps in partitions.items() for p in ps]
        ends = await consumer.end_offsets(every) if every else {}
        lags: list[PartitionLag] = []
        for group, offsets in committed.items():
            for topic in sorted({tp.topic for tp in offsets}):
                for partition in partitions.get(topic, ()):
                    tp = TopicPartition(topic, partition)
                    mark = offsets.get(tp)
                    offset = mark.offset if mark is not None and mark.offset >= 0 else None
                    lags.append(PartitionLag(group, topic, partition, offset, ends[tp]))
        return lags
    finally:
        with contextlib.suppress(KafkaError):
            await consumer.stop()
        with contextlib.suppress(KafkaError):
            await admin.close()
