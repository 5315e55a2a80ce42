"""One function per upstream event type: a validated event becomes one application call."""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog
from starcard_events import ClientRegistered, ClientUpdated
from starcard_events.notifications import NotificationRequested
from starcard_events.topics import NOTIFICATIONS
from starcard_runtime.batching import UnitOfWork
from starcard_runtime.contracts import BOOKINGS, NOTIFICATION_REQUESTS
from starcard_runtime.inbound import accept, accept_or_skip
from starcard_runtime.records import InboundRecord

from starcard_notifier.domain.notification import NotificationRequest

if TYPE_CHECKING:
    from starcard_notifier.application import NotifierService

log = structlog.get_logger(__name__)


def handle_record(service: NotifierService, record: InboundRecord, unit: UnitOfWork) -> None:
    """Route a record by its topic: notification requests, or the booking platform's events."""
    if record.topic.endswith(NOTIFICATIONS):
        handle_notification_record(service, record, unit)
    else:
        handle_booking_record(service, record, unit)


def handle_notification_record(
    service: NotifierService, record: InboundRecord, unit: UnitOfWork
) -> None:
    """Read a ``starcard.notifications.v1`` record; refuse what cannot be processed."""
    when_a_notification_is_requested_record_it(service, accept(record, NOTIFICATION_REQUESTS), unit)


def handle_booking_record(
    service: NotifierService, record: InboundRecord, unit: UnitOfWork
) -> None:
    """Keep contact details from ``booking.events.v1``; every other event type is not ours.

    A record that breaks the topic's contract is skipped, not dead-lettered: the loyalty service
    owns that topic's dead letters, and one bad record must not be set aside twice.
    """
    match accept_or_skip(record, BOOKINGS):
        case ClientRegistered() | ClientUpdated() as event:
            when_a_client_changes_keep_their_contact(service, event, unit)
        case _:
            pass


def when_a_notification_is_requested_record_it(
    service: NotifierService, request: NotificationRequested, unit: UnitOfWork
) -> None:
    data = request.data
    amount = data.discount_amount
    service.request_notification(
        unit,
        NotificationRequest(
            notification_id=data.notification_id,
            kind=data.kind,
            tenant_id=request.tenant_id,
            client_id=data.client_id,
            tenant_name=data.tenant_name,
            message=data.message,
            discount_percent=data.discount_percent,
            discount_amount_minor=amount.amount_minor if amount else None,
            currency=amount.currency if amount else None,
            code=data.code,
            expires_at=data.expires_at,
            business_email=data.business_email,
            requested_at=request.occurred_at,
            booking_url=str(data.booking_url) if data.booking_url else None,
            send_after=data.send_after,
            valid_until=data.valid_until,
            add_on=data.add_on,
        ),
    )


def when_a_client_changes_keep_their_contact(
    service: NotifierService, event: ClientRegistered | ClientUpdated, unit: UnitOfWork
) -> None:
    """Both events carry the client's full record: an update without an email (a phone, the
    SMS consent) removes it."""
    service.record_contact(
        unit,
        event.tenant_id,
        event.data.client_id,
        email=event.data.email,
        phone=event.data.phone,
        sms_consent=event.data.sms_consent,
        as_of=event.occurred_at,
    )
