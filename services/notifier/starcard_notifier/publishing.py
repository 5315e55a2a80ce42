"""What the notifier publishes through its outbox relay: what became of each message.

Each outcome that ends a channel of a `Notification` becomes a fact on ``starcard.deliveries.v1``,
keyed by the client: ``Sent`` and ``SmsSent`` a `MessageDelivered` (the SMTP server or the SMS
provider accepted it), ``Suppressed``, ``GaveUp``, ``SmsSuppressed`` and ``SmsGaveUp`` a
`MessageNotDelivered` with the stored reason (written safe to show: never a server's own words).
A failure that will be retried is no outcome yet, and a request is none.

The event ids derive from the notification's event, so a fact published again after a crash is
the same fact. The facts name the client by id: no address or phone number leaves the notifier.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple, cast
from uuid import UUID

from eventsourcing.utils import get_topic
from pydantic import BaseModel
from starcard_events.delivery_facts import (
    Delivery,
    DeliveryChannel,
    MessageDelivered,
    MessageNotDelivered,
    NonDelivery,
    Outcome,
)
from starcard_events.notifications import NoticeKind
from starcard_events.topics import DELIVERY_FACTS
from starcard_runtime.outbound import Outbound, client_record

from starcard_notifier.application import NotifierService
from starcard_notifier.domain.notification import Notification

__all__ = ["DeliveryPublisher"]

DELIVERED: dict[str, DeliveryChannel] = {"Sent": "email", "SmsSent": "sms"}
"""The events of a message accepted, and the channel of each (their moment is ``sent_at``)."""

NOT_DELIVERED: dict[str, tuple[DeliveryChannel, str]] = {
    "Suppressed": ("email", "suppressed_at"),
    "GaveUp": ("email", "gave_up_at"),
    "SmsSuppressed": ("sms", "suppressed_at"),
    "SmsGaveUp": ("sms", "gave_up_at"),
}
"""The events of a message that will not go out: the channel of each, and its moment's name."""

PUBLISHED = frozenset(f"{get_topic(Notification)}.{name}" for name in DELIVERED | NOT_DELIVERED)
"""The stored topics of the events published (a stored topic is ``<module>:<qualified name>``)."""


class Subject(NamedTuple):
    """What a fact says about its notification: whose it is and which message."""

    tenant_id: str
    client_id: str
    kind: NoticeKind


class DeliveryPublisher:
    """Translates a notification's outcomes into delivery facts (the relay's ``translate``)."""

    def __init__(self, service: NotifierService, topic: Callable[[str], str]) -> None:
        self._service = service
        self._topic = topic

    @staticmethod
    def reads(stored_topic: str) -> bool:
        """Whether events stored under `stored_topic` publish anything (the relay decodes no
        other: requests, failures to retry, contacts, STOP replies...)."""
        return stored_topic in PUBLISHED

    def __call__(self, event: Any) -> Sequence[Outbound]:
        name = type(event).__name__
        if name in DELIVERED:
            sent_at = event.sent_at
            fact = self._fact(
                MessageDelivered, Delivery, event, DELIVERED[name], sent_at, delivered_at=sent_at
            )
            return [fact]
        if name in NOT_DELIVERED:
            channel, moment = NOT_DELIVERED[name]
            fact = self._fact(
                MessageNotDelivered,
                NonDelivery,
                event,
                channel,
                getattr(event, moment),
                reason=event.reason,
            )
            return [fact]
        return ()

    def _fact(
        self,
        fact: type[BaseModel],
        outcome: type[Outcome],
        event: Any,
        channel: DeliveryChannel,
        at: datetime,
        **details: Any,
    ) -> Outbound:
        """The record of `fact` (dated `at`) about the channel of the notification of `event`:
        its `outcome` with `details`."""
        subject = self._subject(event.originator_id)
        data = outcome.model_validate(
            {
                "notification_id": event.originator_id,
                "client_id": subject.client_id,
                "kind": subject.kind,
                "channel": channel,
                **details,
            }
        )
        return client_record(
            DELIVERY_FACTS,
            fact,
            event,
            data,
            owner=(subject.tenant_id, subject.client_id),
            at=at,
            resolve=self._topic,
        )

    @lru_cache(maxsize=4096)  # noqa: B019 - one publisher per process, for its lifetime
    def _subject(self, notification_id: UUID) -> Subject:
        """Whose notification it is and which message: these never change, and the outcomes of
        its email and its SMS are mostly published close together."""
        notification = self._service.notification(notification_id)
        if notification is None:
            msg = f"no notification {notification_id}, yet its event is in the log"
            raise LookupError(msg)
        return Subject(
            notification.tenant_id, notification.client_id, cast(NoticeKind, notification.kind)
        )
