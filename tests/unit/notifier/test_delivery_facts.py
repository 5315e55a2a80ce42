"""What the notifier's relay publishes: each channel's outcome of a message, once, and nothing
personal."""

from __future__ import annotations

import json
from typing import Any, cast
from uuid import UUID

import pytest
from eventsourcing.utils import get_topic
from starcard_events.delivery_facts import MessageDelivered, MessageNotDelivered
from starcard_events.topics import DELIVERY_FACTS
from starcard_notifier.application import NotifierService
from starcard_notifier.domain.notification import NO_SMS_CONSENT, Notification
from starcard_notifier.publishing import DeliveryPublisher
from starcard_runtime.outbound import Outbound

from .factories import CLIENT, RETRY_BASE, TENANT, at, reward_request

pytestmark = pytest.mark.unit


class Store:
    """The one notification the publisher looks up."""

    def __init__(self, notification: Notification) -> None:
        self.found = notification
        self.lookups = 0

    def notification(self, notification_id: UUID) -> Notification | None:
        self.lookups += 1
        return self.found if notification_id == self.found.id else None


def campaign_message() -> Notification:
    notification = Notification.request(reward_request(kind="birthday_reward"))
    notification.collect_events()
    return notification


def new_events(notification: Notification) -> list[Any]:
    return list(notification.collect_events())


def published(notification: Notification) -> tuple[list[Outbound], Store]:
    """What the publisher makes of the notification's pending events."""
    store = Store(notification)
    publisher = DeliveryPublisher(cast(NotifierService, store), lambda topic: f"t.{topic}")
    return [each for event in new_events(notification) for each in publisher(event)], store


def fact(record: Outbound) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(record.value)
    return value


def test_an_email_handed_over_is_a_message_delivered_keyed_by_the_client() -> None:
    notification = campaign_message()
    notification.record_sent(at(60))

    [record], _ = published(notification)

    assert (record.topic, record.key) == (f"t.{DELIVERY_FACTS}", f"{TENANT}:{CLIENT}".encode())
    delivered = MessageDelivered.model_validate_json(record.value)
    assert delivered.tenant_id == TENANT
    assert delivered.occurred_at == at(60)
    assert delivered.data.model_dump() == {
        "notification_id": notification.id,
        "client_id": CLIENT,
        "kind": "birthday_reward",
        "channel": "email",
        "delivered_at": at(60),
    }


def test_a_suppressed_sms_is_a_message_not_delivered_with_its_reason() -> None:
    notification = campaign_message()
    notification.suppress_sms(NO_SMS_CONSENT, at(1))

    [record], _ = published(notification)

    not_delivered = MessageNotDelivered.model_validate_json(record.value)
    assert (not_delivered.data.channel, not_delivered.data.reason) == ("sms", NO_SMS_CONSENT)


def test_an_email_given_up_is_not_delivered_and_its_failures_before_are_no_fact() -> None:
    notification = campaign_message()
    for attempt in range(5):
        notification.record_failure(
            "the SMTP server refused the recipient", at(attempt), RETRY_BASE
        )

    records, _ = published(notification)

    assert [fact(each)["type"] for each in records] == ["MessageNotDelivered"]
    assert fact(records[0])["data"]["channel"] == "email"


def test_a_fact_published_again_has_the_same_event_id() -> None:
    notification = campaign_message()
    notification.record_sent(at(60))
    [sent] = new_events(notification)
    store = Store(notification)

    first, again = (DeliveryPublisher(cast(NotifierService, store), str)(sent) for _ in range(2))

    assert first == again


def test_a_fact_names_the_client_by_id_only_and_whose_message_it_is_is_looked_up_once() -> None:
    notification = campaign_message()
    notification.record_sent(at(60))
    notification.record_sms_sent("SM123", at(61))

    records, store = published(notification)

    assert [fact(each)["data"]["channel"] for each in records] == ["email", "sms"]
    assert {key for each in records for key in fact(each)["data"]} == {
        "notification_id",
        "client_id",
        "kind",
        "channel",
        "delivered_at",
    }
    assert store.lookups == 1


def test_only_the_events_that_end_a_channel_are_read() -> None:
    def topic(event: str) -> str:
        return get_topic(getattr(Notification, event))

    read = ["Sent", "Suppressed", "GaveUp", "SmsSent", "SmsSuppressed", "SmsGaveUp"]
    skipped = ["Requested", "Failed", "SmsFailed"]
    assert all(DeliveryPublisher.reads(topic(each)) for each in read)
    assert not any(DeliveryPublisher.reads(topic(each)) for each in skipped)
