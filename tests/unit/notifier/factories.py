"""Small factories for notifier domain tests: a reward or referral request, a notification, a
contact."""

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from starcard_notifier.domain.contact import Contact
from starcard_notifier.domain.notification import Content, Notification, NotificationRequest
from starcard_notifier.rendering import render

TENANT = "serenity-massage"
CLIENT = "client-1"
NOTIFICATION_ID = UUID("5f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f")
ISSUED = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
EXPIRES = datetime(2027, 11, 24, 9, 30, tzinfo=UTC)
RETRY_BASE = timedelta(seconds=30)
PARTS = ["text", "html"]


def at(seconds: float) -> datetime:
    """A moment `seconds` after the reward was issued."""
    return ISSUED + timedelta(seconds=seconds)


def reward_request(**overrides: Any) -> NotificationRequest:
    """A 10%-off reward with a code, for client-1 of Serenity Massage, unless told otherwise."""
    fields: dict[str, Any] = {
        "notification_id": NOTIFICATION_ID,
        "kind": "reward_issued",
        "tenant_id": TENANT,
        "client_id": CLIENT,
        "tenant_name": "Serenity Massage",
        "message": "Thank you for your 5th visit!",
        "discount_percent": 10,
        "discount_amount_minor": None,
        "currency": None,
        "code": "LOYAL-7KQ2M9XD",
        "expires_at": EXPIRES,
        "business_email": None,
        "requested_at": ISSUED,
    }
    return NotificationRequest(**(fields | overrides))


def referral_alert_request(**overrides: Any) -> NotificationRequest:
    """The business told that client-1's referral of client-2 earned them £10.00."""
    fields: dict[str, Any] = {
        "kind": "referral_alert",
        "message": "Client client-1 referred client client-2, who completed their first session.",
        "discount_percent": None,
        "discount_amount_minor": 1000,
        "currency": "GBP",
        "code": None,
        "expires_at": None,
        "business_email": "owner@serenity.example",
    }
    return reward_request(**(fields | overrides))


def content(**fields: Any) -> Content:
    """What an email says, to client-1 of Serenity Massage unless told otherwise."""
    return Content(**({"tenant_name": "Serenity Massage", "client_id": CLIENT} | fields))


def rendered_part(kind: str, content: Content, part: str) -> str:
    """One part ("text" or "html") of the email of `kind` about `content`."""
    body: str = getattr(render(kind, content), part)
    return body


def notification(**overrides: Any) -> Notification:
    return Notification.request(reward_request(**overrides))


def contact(
    email: str | None = "ada@example.com",
    as_of: datetime = ISSUED,
    *,
    phone: str | None = None,
    sms_consent: bool = False,
) -> Contact:
    return Contact(
        tenant_id=TENANT,
        client_id=CLIENT,
        email=email,
        as_of=as_of,
        phone=phone,
        sms_consent=sms_consent,
    )


def event_names(aggregate: Aggregate) -> list[str]:
    """The names of the events not yet saved (and forget them)."""
    return [type(e).__name__ for e in aggregate.collect_events()]
