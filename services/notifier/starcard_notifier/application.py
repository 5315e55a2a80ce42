"""NotifierService: the notifier's use cases, on its own event store (schema ``notifier``).

Kafka records reach it through :meth:`apply_record` (one partition batch per transaction, see
``starcard_runtime.batching``): notification requests from ``starcard.notifications.v1``, and the
clients' contact details from ``booking.events.v1``. Sending is a side effect, so it happens
after the batch commits, in the dispatcher (``starcard_notifier.dispatcher``), which records
what became of each notification through the use cases at the bottom.

Two writers, one rule each: the consumer only ever *creates* a notification (and suppresses a
new one's email at once when it can never be sent: the client has no email, or a message for
the business carries no address), the dispatcher only ever changes an existing one.

A phone number's STOP and START replies (`SmsOptOut`) come from the provider's inbound webhook
(``starcard_notifier.sms_webhook``), and from the provider itself when it refuses a number that
opted out; both go through `retry_on_conflict`, since either may meet the other.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from starcard_runtime.batching import BatchApplication, UnitOfWork
from starcard_runtime.conflicts import retry_on_conflict
from starcard_runtime.records import InboundRecord

from starcard_notifier.domain.contact import Contact
from starcard_notifier.domain.ids import contact_id, sms_opt_out_id
from starcard_notifier.domain.notification import Notification, NotificationRequest
from starcard_notifier.domain.recipient import Suppress, recipient
from starcard_notifier.domain.sms_opt_out import Reply, SmsOptOut, phone_number
from starcard_notifier.handlers import handle_record

__all__ = ["NotificationRequest", "NotifierService"]


class NotifierService(BatchApplication):
    """Notifications and the contact details they are sent to."""

    name = "notifier"
    service_name: ClassVar[str] = "notifier"

    # -- Kafka -------------------------------------------------------------------------------

    def apply_record(self, record: InboundRecord, unit: UnitOfWork) -> None:
        handle_record(self, record, unit)

    def request_notification(self, unit: UnitOfWork, request: NotificationRequest) -> Notification:
        """Record a request once; requesting it again changes nothing.

        A client known to have no email address is suppressed at once: "the client must have an
        email address on file to receive the milestone email" (the reward itself still stands).
        A client not heard of yet may simply be late on the other topic: the dispatcher waits
        for them a while before suppressing. A message for the business without the business's
        address is suppressed at once too; the client's record plays no part in it.
        """
        existing = unit.get(request.notification_id, Notification)
        if existing is not None:
            return existing
        notification = Notification.request(request)
        contact = None
        if not notification.goes_to_the_business:
            # The contact is written by the booking topic's partitions: read it fresh.
            contact = unit.read(contact_id(request.tenant_id, request.client_id), Contact)
        to = recipient(notification, contact)
        if isinstance(to, Suppress):
            notification.suppress(to.reason, request.requested_at)
        unit.add(notification)
        return notification

    def record_contact(
        self,
        unit: UnitOfWork,
        tenant_id: str,
        client_id: str,
        *,
        email: str | None,
        phone: str | None,
        sms_consent: bool,
        as_of: datetime,
    ) -> None:
        """Keep the client's email, phone and SMS consent as of their latest record."""
        contact = unit.get(contact_id(tenant_id, client_id), Contact)
        if contact is None:
            unit.add(
                Contact(
                    tenant_id=tenant_id,
                    client_id=client_id,
                    email=email,
                    as_of=as_of,
                    phone=phone,
                    sms_consent=sms_consent,
                )
            )
        else:
            contact.update(email, as_of, phone=phone, sms_consent=sms_consent)

    # -- the SMS provider --------------------------------------------------------------------

    def record_sms_reply(self, phone: str, reply: Reply, at: datetime, *, source: str) -> None:
        """Keep a number's STOP or START, received at `at` (`source`: how it reached us)."""

        def take(unit: UnitOfWork) -> None:
            opt_out_id = sms_opt_out_id(phone_number(phone))
            opt_out = unit.get(opt_out_id, SmsOptOut, fresh=True)
            if opt_out is None:
                opt_out = SmsOptOut(phone=phone, at=at)
                unit.add(opt_out)
            opt_out.take(reply, at, source=source)

        retry_on_conflict(self, take)

    # -- dispatcher --------------------------------------------------------------------------

    def notification(self, notification_id: UUID) -> Notification | None:
        try:
            found: Notification = self.repository.get(notification_id)
        except AggregateNotFoundError:
            return None
        return found

    def contact(self, tenant_id: str, client_id: str) -> Contact | None:
        try:
            found: Contact = self.repository.get(contact_id(tenant_id, client_id))
        except AggregateNotFoundError:
            return None
        return found

    def opt_out(self, phone: str) -> SmsOptOut | None:
        try:
            found: SmsOptOut = self.repository.get(sms_opt_out_id(phone_number(phone)))
        except AggregateNotFoundError:
            return None
        return found

    def record_sent(self, notification: Notification, sent_at: datetime) -> None:
        notification.record_sent(sent_at)
        self.save(notification)

    def record_failure(
        self, notification: Notification, reason: str, failed_at: datetime, retry_base: timedelta
    ) -> None:
        notification.record_failure(reason, failed_at, retry_base)
        self.save(notification)

    def suppress(self, notification: Notification, reason: str, at: datetime) -> None:
        notification.suppress(reason, at)
        self.save(notification)

    def record_sms_sent(
        self, notification: Notification, provider_message_id: str, sent_at: datetime
    ) -> None:
        notification.record_sms_sent(provider_message_id, sent_at)
        self.save(notification)

    def record_sms_failure(
        self, notification: Notification, reason: str, failed_at: datetime, retry_base: timedelta
    ) -> None:
        notification.record_sms_failure(reason, failed_at, retry_base)
        self.save(notification)

    def suppress_sms(self, notification: Notification, reason: str, at: datetime) -> None:
        notification.suppress_sms(reason, at)
        self.save(notification)
