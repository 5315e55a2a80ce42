"""The notifier running for real inside a test: Kafka in, PostgreSQL, and an SMTP server out
(and, for the SMS tests, the SMS sink).

The SMTP server is the development mailbox (aiosmtpd) on a free port, keeping what it receives
in the test's temporary folder; the SMS provider is the development smsbox, the same way. The
notifier's consumer and dispatcher (and, when SMS is configured, its inbound-SMS webhook) run as
tasks of the test's event loop, exactly as ``python -m starcard_notifier`` runs them, unless a
test starts the real process.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiokafka import AIOKafkaProducer
from starcard_events import examples
from starcard_events.notifications import NotificationRequested
from starcard_events.topics import BOOKING_EVENTS, NOTIFICATIONS, booking_key
from starcard_notifier.app import GROUP_ID, SCHEMA, TOPICS, dispatcher, sms_webhook
from starcard_notifier.application import NotifierService
from starcard_notifier.dispatcher import Dispatcher
from starcard_notifier.domain.notification import Notification, Status
from starcard_notifier.mailbox import Mailbox, MailboxServer
from starcard_notifier.settings import NotifierSettings
from starcard_runtime.service import build_application, consume

from tests.support.processes import free_port
from tests.support.stack import create_topics

T = TypeVar("T")

TENANT = "serenity-massage"
ISSUED = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
BOOKING_URL = "https://serenity.example/book"


def notifier_settings(
    database_url: str, bootstrap: str, prefix: str, smtp_port: int, **overrides: Any
) -> NotifierSettings:
    fields: dict[str, Any] = {
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "STARCARD_TOPIC_PREFIX": prefix,
        "STARCARD_BATCH_MAX_RECORDS": 500,
        "STARCARD_SMTP_HOST": "127.0.0.1",
        "STARCARD_SMTP_PORT": smtp_port,
        "STARCARD_SMTP_TIMEOUT_SECONDS": 5,
        "STARCARD_NOTIFIER_RETRY_SECONDS": 0.2,
        "STARCARD_NOTIFIER_CONTACT_WAIT_SECONDS": 5,
    }
    return NotifierSettings(**(fields | overrides))


def _request(tenant_id: str, data: dict[str, Any]) -> NotificationRequested:
    """A notification request as a publisher's relay sends it, issued at ISSUED."""
    return NotificationRequested.model_validate(
        {
            "event_id": uuid.uuid4(),
            "type": "NotificationRequested",
            "schema_version": 1,
            "occurred_at": ISSUED,
            "tenant_id": tenant_id,
            "data": {"tenant_name": "Serenity Massage"} | data,
        }
    )


def reward_request(
    client_id: str,
    *,
    notification_id: uuid.UUID | None = None,
    code: str | None = "LOYAL-7KQ2M9XD",
    message: str = "Thank you for your 5th visit!",
    tenant_id: str = TENANT,
) -> NotificationRequested:
    """A request like the loyalty service's relay publishes for a reward with a 10% code."""
    return _request(
        tenant_id,
        {
            "notification_id": notification_id or uuid.uuid4(),
            "client_id": client_id,
            "kind": "reward_issued",
            "message": message,
            "discount_percent": 10 if code else None,
            "code": code,
            "expires_at": ISSUED + timedelta(days=365) if code else None,
        },
    )


def referral_request(
    client_id: str, kind: str, *, tenant_id: str = TENANT, **data: Any
) -> NotificationRequested:
    """A referral request for `client_id`: a £10.00 discount, with the rest of `data`."""
    return _request(
        tenant_id,
        {
            "notification_id": uuid.uuid4(),
            "client_id": client_id,
            "kind": kind,
            "message": "A friend sent you our way.",
            "discount_amount": {"amount_minor": 1000, "currency": "GBP"},
        }
        | data,
    )


def campaign_request(
    client_id: str, kind: str = "birthday_reward", **data: Any
) -> NotificationRequested:
    """A campaign's offer as the campaigns service's relay publishes it, with the booking link."""
    return _request(
        TENANT,
        {
            "notification_id": uuid.uuid4(),
            "client_id": client_id,
            "kind": kind,
            "message": "Happy birthday! A treat from us for your birthday week.",
            "discount_percent": 10,
            "code": "BDAY-7KQ2M9XD",
            "expires_at": ISSUED + timedelta(days=30),
            "booking_url": BOOKING_URL,
        }
        | data,
    )


@dataclass
class NotifierStack:
    settings: NotifierSettings
    producer: AIOKafkaProducer
    mailbox: Mailbox
    store: NotifierService

    async def publish_client(
        self,
        client_id: str,
        email: str | None,
        *,
        at: datetime = ISSUED - timedelta(days=30),
        updated: bool = False,
        phone: str | None = None,
        sms_consent: bool = False,
    ) -> None:
        """A ``ClientRegistered`` (or ``ClientUpdated``) on the booking topic."""
        event = examples.client_registered(
            TENANT, at, client_id=client_id, email=email, updated=updated
        )
        event["data"] |= {"phone": phone, "sms_consent": sms_consent}
        await self.publish_raw(
            BOOKING_EVENTS, examples.encode(event), booking_key(TENANT, client_id)
        )

    async def request(self, request: NotificationRequested) -> None:
        key = booking_key(request.tenant_id, request.data.client_id)
        await self.publish_raw(NOTIFICATIONS, request.model_dump_json().encode(), key)

    async def publish_raw(self, topic: str, value: bytes | None, key: bytes | None) -> None:
        await self.producer.send_and_wait(self.settings.topic(topic), value, key=key)

    def notification(self, notification_id: uuid.UUID) -> Notification:
        found = self.store.notification(notification_id)
        assert found is not None, f"no notification {notification_id} yet"
        return found

    def emails(self) -> list[EmailMessage]:
        return self.mailbox.messages()

    def emails_to(self, address: str) -> list[EmailMessage]:
        return [email for email in self.emails() if email["To"] == address]


def exactly(messages: list[T], count: int) -> list[T]:
    """`messages` (emails or texts), if there are `count` of them."""
    assert len(messages) == count, f"expected {count} message(s), found {len(messages)}"
    return messages


def has_status(stack: NotifierStack, notification_id: uuid.UUID, status: Status) -> Notification:
    found = stack.notification(notification_id)
    assert found.email.status is status, f"{found.email.status} is not {status}"
    return found


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def mailbox_dir(tmp_path: Path) -> Path:
    return tmp_path / "mailbox"


@pytest.fixture
def settings(
    fresh_database: str, kafka_bootstrap: str, topic_prefix: str, smtp_port: int
) -> NotifierSettings:
    return notifier_settings(fresh_database, kafka_bootstrap, topic_prefix, smtp_port)


@pytest.fixture
def mailbox_server(mailbox_dir: Path, smtp_port: int) -> Iterator[MailboxServer]:
    with MailboxServer(mailbox_dir, smtp_port) as server:
        yield server


@asynccontextmanager
async def notifier_stack(
    settings: NotifierSettings, mailbox_dir: Path
) -> AsyncIterator[NotifierStack]:
    """Topics created, a producer, and the notifier's store to look into; nothing consuming."""
    await create_topics(
        settings.kafka_bootstrap_servers, [settings.topic(t) for t in TOPICS], partitions=2
    )
    store = await asyncio.to_thread(build_application, NotifierService, settings, SCHEMA)
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers, enable_idempotence=True
    )
    await producer.start()
    try:
        yield NotifierStack(settings, producer, Mailbox(mailbox_dir), store)
    finally:
        await producer.stop()
        store.close()


@asynccontextmanager
async def dispatching(running: Dispatcher) -> AsyncIterator[asyncio.Task[None]]:
    """`running` dispatching in this event loop until the block ends."""
    stop = asyncio.Event()
    task = asyncio.create_task(running.run(stop))
    try:
        yield task
    finally:
        stop.set()
        await asyncio.gather(task, return_exceptions=True)


@asynccontextmanager
async def notifier_running(
    settings: NotifierSettings, *, dispatch: bool = True
) -> AsyncIterator[NotifierService]:
    """The notifier's consumer (and, unless told otherwise, its dispatcher) in this event loop."""
    service = await asyncio.to_thread(build_application, NotifierService, settings, SCHEMA)
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(consume(service, settings, topics=TOPICS, group_id=GROUP_ID, stop=stop))
    ]
    if dispatch:
        tasks.append(asyncio.create_task(dispatcher(service, settings).run(stop)))
    if settings.sms_enabled:
        tasks.append(asyncio.create_task(sms_webhook(service, settings).run(stop)))
    try:
        yield service
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        service.close()


@pytest.fixture
async def stack(
    settings: NotifierSettings, mailbox_dir: Path, mailbox_server: MailboxServer
) -> AsyncIterator[NotifierStack]:
    """The whole notifier running against Kafka, PostgreSQL and the mailbox."""
    async with notifier_stack(settings, mailbox_dir) as running, notifier_running(settings):
        yield running
