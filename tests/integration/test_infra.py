"""The servers that integration and e2e tests rely on answer, and the isolation fixtures isolate."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import psycopg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

pytestmark = pytest.mark.integration


async def test_kafka_round_trip(kafka_bootstrap: str, topic_prefix: str) -> None:
    topic = f"{topic_prefix}infra"
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        sent = await producer.send_and_wait(
            topic, b"ping", key=b"client-1", headers=[("kind", b"infra-check")]
        )
    finally:
        await producer.stop()
    assert sent.topic == topic
    assert sent.offset == 0

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka_bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        async with asyncio.timeout(30):
            record = await consumer.getone()
    finally:
        await consumer.stop()
    assert (record.topic, record.partition, record.offset) == (sent.topic, sent.partition, 0)
    assert record.key == b"client-1"
    assert record.value == b"ping"
    assert list(record.headers) == [("kind", b"infra-check")]


async def test_postgres_fresh_database(database_url: str, fresh_database: str) -> None:
    name = urlsplit(fresh_database).path.lstrip("/")
    assert name.startswith("t_")
    assert name != urlsplit(database_url).path.lstrip("/")

    async with await psycopg.AsyncConnection.connect(fresh_database) as conn:
        cursor = await conn.execute("SELECT 1, current_database()")
        assert await cursor.fetchone() == (1, name)
        cursor = await conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', "
            "'information_schema')"
        )
        assert await cursor.fetchone() == (0,)
        await conn.execute("CREATE TABLE probe (id int PRIMARY KEY, note text)")
        await conn.execute("INSERT INTO probe VALUES (1, 'café')")
        cursor = await conn.execute("SELECT note FROM probe WHERE id = 1")
        assert await cursor.fetchone() == ("café",)

    async with await psycopg.AsyncConnection.connect(database_url) as admin:
        cursor = await admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        assert await cursor.fetchone() == (1,)


def test_topic_prefixes_are_unique(topic_prefix: str) -> None:
    assert topic_prefix.startswith("t")
    assert topic_prefix.endswith(".")
    assert len(topic_prefix) > 5
