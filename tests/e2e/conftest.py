"""The whole system for end-to-end tests: real processes, real Kafka, real PostgreSQL, real HTTP.

The loyalty service and the projections run as subprocesses (``python -m starcard_loyalty``,
``python -m starcard_projections``), exactly as they are deployed; the test is the booking platform
(a Kafka producer), the operator (the ``starcard`` CLI) and the dashboard (HTTP on the gateway app).
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psycopg
import pytest
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI
from starcard_events.examples import encode
from starcard_events.topics import (
    BOOKING_EVENTS,
    CLOCK,
    LOYALTY_FACTS,
    NOTIFICATIONS,
    REFERRAL_FACTS,
    booking_key,
)
from starcard_gateway.app import create_app
from starcard_gateway.resources import Resources
from starcard_gateway.settings import GatewaySettings
from starcard_notifier.mailbox import Mailbox
from starcard_runtime.settings import RuntimeSettings

from tests.support.gateway import TenantCaller, served
from tests.support.processes import LoggedProcess, free_port, process_env, running
from tests.support.stack import create_topics, stack_settings

PARTITIONS = 4
ADMIN_KEY = "operator-e2e-key"

T = TypeVar("T")


@dataclass(frozen=True)
class Published:
    """Where Kafka put a record."""

    partition: int
    offset: int


@dataclass
class Platform:
    """A booking platform publishing to ``booking.events.v1`` with an idempotent producer."""

    producer: AIOKafkaProducer
    topic: str

    async def publish_records(self, records: Sequence[tuple[bytes, bytes]]) -> list[Published]:
        """Publish ``(key, value)`` records in order; returns where each one landed."""
        futures = [await self.producer.send(self.topic, value, key=key) for key, value in records]
        await self.producer.flush()
        published = []
        for future in futures:
            metadata = await future
            published.append(Published(metadata.partition, metadata.offset))
        return published

    async def publish(self, *events: dict[str, Any]) -> list[Published]:
        """Publish upstream events keyed as a platform must: ``tenant_id:client_id``."""
        return await self.publish_records(
            [(booking_key(e["tenant_id"], e["data"]["client_id"]), encode(e)) for e in events]
        )


def sql(database_url: str, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    with psycopg.connect(database_url) as conn:
        return conn.execute(query, params).fetchall()


def read_list(database_url: str, tenant_id: str) -> list[tuple[str, int, int]]:
    """The tenant's most-loyal list in the read model: ``(client, stars, sessions)``, in order."""
    rows = sql(
        database_url,
        "SELECT client_id, stars, sessions FROM read.loyalty_clients WHERE tenant_id = %s"
        " ORDER BY stars DESC, sessions DESC, client_id",
        (tenant_id,),
    )
    return [(row[0], row[1], row[2]) for row in rows]


def event_count(database_url: str, event_name: str) -> int:
    """How many events of this kind the loyalty event store holds (e.g. ``AppointmentRecorded``)."""
    [(count,)] = sql(
        database_url,
        "SELECT count(*) FROM loyalty.loyalty_events WHERE topic LIKE %s",
        (f"%.{event_name}",),
    )
    return int(count)


def tracked_offsets(database_url: str, topic: str) -> dict[int, int]:
    """The loyalty service's tracking rows: the last offset recorded, per partition."""
    rows = sql(
        database_url,
        "SELECT application_name, notification_id FROM loyalty.loyalty_tracking"
        " WHERE application_name LIKE %s",
        (f"{topic}/%",),
    )
    return {int(name.rsplit("/", 1)[1]): int(offset) for name, offset in rows}


def recorded(database_url: str, topic: str) -> int:
    """How many records (offsets start at 0) the service has recorded, all partitions together."""
    return sum(offset + 1 for offset in tracked_offsets(database_url, topic).values())


def assert_settled(database_url: str, topic: str, published: int) -> None:
    """Every published record is recorded, and the projections have applied every event."""
    assert recorded(database_url, topic) == published
    [(head, position)] = sql(
        database_url,
        "SELECT (SELECT max(notification_id) FROM loyalty.loyalty_events),"
        " (SELECT position FROM read.projection_positions WHERE name = 'loyalty')",
    )
    assert position == head, f"projections at {position} of {head}"


@pytest.fixture
def settings(fresh_database: str, kafka_bootstrap: str, topic_prefix: str) -> RuntimeSettings:
    return stack_settings(fresh_database, kafka_bootstrap, topic_prefix)


@pytest.fixture
async def platform(settings: RuntimeSettings) -> AsyncIterator[Platform]:
    topic = settings.topic(BOOKING_EVENTS)
    await create_topics(settings.kafka_bootstrap_servers, [topic], PARTITIONS)
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        enable_idempotence=True,
        linger_ms=10,
        max_batch_size=256 * 1024,
    )
    await producer.start()
    try:
        yield Platform(producer, topic)
    finally:
        await producer.stop()


@pytest.fixture
def projections(settings: RuntimeSettings) -> Iterator[LoggedProcess]:
    """``python -m starcard_projections`` following the fresh database."""
    with running("starcard_projections", process_env(settings)) as process:
        yield process


@pytest.fixture
def loyalty(settings: RuntimeSettings, platform: Platform) -> Iterator[LoggedProcess]:
    """``python -m starcard_loyalty`` consuming the test's booking topic."""
    with running("starcard_loyalty", process_env(settings)) as process:
        yield process


@dataclass
class Gateway:
    client: httpx.AsyncClient
    resources: Resources

    def create_tenant(self, name: str, tenant_id: str) -> TenantCaller:
        """What ``starcard tenants create`` does: the tenant, its programme and an API key."""
        tenant, api_key = self.resources.tenants.create_tenant(name, tenant_id)
        return TenantCaller(tenant.tenant_id, api_key)

    async def get(self, tenant: TenantCaller, path: str, **params: int) -> httpx.Response:
        return await self.client.get(path, params=params, headers=tenant.headers)


async def card(gateway: Gateway, tenant: TenantCaller, client: str) -> dict[str, Any]:
    """The client's loyalty card, as the tenant's dashboard reads it."""
    response = await gateway.get(tenant, f"/v1/loyalty/clients/{client}/card")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def redeem(
    gateway: Gateway, tenant: TenantCaller, client: str, code: str, booking_id: str
) -> httpx.Response:
    """Checkout: redeem ``code`` on a £60 booking."""
    return await gateway.client.post(
        "/v1/checkout/redeem",
        json={
            "client_id": client,
            "code": code,
            "booking_id": booking_id,
            "amount": {"amount_minor": 6000, "currency": "GBP"},
        },
        headers=tenant.headers,
    )


@pytest.fixture
async def gateway(settings: RuntimeSettings) -> AsyncIterator[Gateway]:
    """The gateway app over HTTP (in-process ASGI transport), started with its lifespan."""
    app: FastAPI = create_app(
        GatewaySettings(DATABASE_URL=settings.database_url, STARCARD_ADMIN_KEY=ADMIN_KEY)
    )
    async with served(app) as client:
        yield Gateway(client, app.state.resources)


# -- the mailbox and the notifier's environment -------------------------------------------------

SMTP_READY_SECONDS = 15.0
RETRY_SECONDS = 0.5
"""The notifier's first retry after a failed send (the default is 30 s)."""
CONTACT_WAIT_SECONDS = 20.0
"""How long a request waits for a client record the notifier has not seen yet."""


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass(frozen=True)
class Inbox:
    """The mailbox server's folder, read as the recipients would read their mail."""

    folder: Path
    port: int
    process: LoggedProcess

    def messages(self) -> list[EmailMessage]:
        """Every message the SMTP server accepted, oldest first."""
        return Mailbox(self.folder).messages()

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.messages() if message["To"] == address]

    def message_ids(self) -> list[str]:
        return [str(message["Message-ID"]) for message in self.messages()]


@pytest.fixture
def mailbox(tmp_path: Path) -> Iterator[Inbox]:
    """``python -m starcard_notifier.mailbox`` listening on a free port, keeping mail in a
    temporary folder."""
    port = free_port()
    folder = tmp_path / "mailbox"
    env = {
        **os.environ,
        "STARCARD_SMTP_PORT": str(port),
        "STARCARD_MAILBOX_DIR": str(folder),
        "PYTHONUNBUFFERED": "1",
    }
    with running("starcard_notifier.mailbox", env) as process:
        deadline = time.monotonic() + SMTP_READY_SECONDS
        while not _listening(port):
            process.assert_alive()
            assert time.monotonic() < deadline, f"the mailbox is not listening on {port}"
            time.sleep(0.05)
        yield Inbox(folder, port, process)


@pytest.fixture
async def notifier_topics(settings: RuntimeSettings) -> None:
    """The topics the services publish to and the notifier reads, made up front with
    the test's partition count (creating an existing topic changes nothing)."""
    await create_topics(
        settings.kafka_bootstrap_servers,
        [settings.topic(topic) for topic in (NOTIFICATIONS, LOYALTY_FACTS, REFERRAL_FACTS, CLOCK)],
        PARTITIONS,
    )


@pytest.fixture
def notifier_env(
    settings: RuntimeSettings, mailbox: Inbox, notifier_topics: None
) -> dict[str, str]:
    """The environment of ``python -m starcard_notifier`` sending to the test's mailbox."""
    return process_env(
        settings,
        STARCARD_SMTP_HOST="127.0.0.1",
        STARCARD_SMTP_PORT=str(mailbox.port),
        STARCARD_SMTP_TIMEOUT_SECONDS="5",
        STARCARD_NOTIFIER_RETRY_SECONDS=str(RETRY_SECONDS),
        STARCARD_NOTIFIER_CONTACT_WAIT_SECONDS=str(CONTACT_WAIT_SECONDS),
    )
