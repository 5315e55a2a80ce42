"""The dispatcher: sends what the consumer recorded, after the batch that recorded it committed.

It follows the notifier's own event store notification log (as the projections follow the
loyalty service's) for two kinds of event: a notification ``Requested`` (send it now) and one
that ``Failed`` or ``SmsFailed`` (send it again at its ``retry_at``). For each due notification
it loads the notification, the client's contact (not for a message to the business, which carries
its own address) and, for a campaign's offer, the opt-out of the client's number; then, on each
channel that is due, it renders the message, hands it over (the email to the SMTP server, the SMS
to the SMS provider), and records ``Sent``, or ``Failed`` (``GaveUp`` at the 5th failure), or
``Suppressed`` when it must not be sent (see ``starcard_notifier.domain.recipient``); the same
with ``Sms...`` events for the SMS. It follows the log with the runtime's ``LogTailer``: its
position (``dispatch.<name>`` in ``notifier.log_positions``) is committed after each outcome is
recorded.

The position is a low-water mark: it never passes an event whose notification is still waiting
(a failure's retry, a client not heard of yet, a request held until the business's quiet hours
end, its ``send_after``), so after a restart the dispatcher reads those events again and nothing
waiting is forgotten. Re-reading a ``Requested`` event whose notification was already sent,
suppressed or given up sends nothing: each delivery first loads the notification and goes ahead
only on the channels still due; the notification itself says when it is next due.

At least once, with one window per channel: the SMTP server (the SMS provider) accepted the
message and the process died before ``Sent`` (``SmsSent``) was recorded. The restarted
dispatcher sends that message again: the email with the same ``Message-ID:
<notification_id@starcard.local>``, so the receiving side can recognise the copy and drop it; the
SMS with the same idempotency key (the notification id), which a provider that honours one uses
to drop the copy (Twilio's Messages API does not: the phone gets it twice). Nothing recorded as
sent is ever sent again.

One dispatcher runs at a time: it holds a PostgreSQL advisory lock for as long as it runs, and a
second notifier process waits for it (and takes over from the stored position if it dies).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg
import structlog
from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError
from eventsourcing.utils import get_topic
from starcard_runtime.clock import wall_clock
from starcard_runtime.leadership import await_leadership
from starcard_runtime.tailer import FormerPosition, LogTailer

from starcard_notifier.application import NotifierService
from starcard_notifier.domain.contact import Contact
from starcard_notifier.domain.notification import (
    SMS_NOT_CONFIGURED,
    UNSUBSCRIBED_AT_PROVIDER,
    Delivery,
    Notification,
)
from starcard_notifier.domain.recipient import (
    AwaitContact,
    Recipient,
    SendTo,
    Suppress,
    recipient,
    sms_recipient,
)
from starcard_notifier.domain.sms_opt_out import Reply, SmsOptOut
from starcard_notifier.failure_reasons import failure_reason, sms_failure_reason
from starcard_notifier.messages import RENDER_ERRORS, compose
from starcard_notifier.rendering import render_sms
from starcard_notifier.sms import SEND_ERRORS as SMS_SEND_ERRORS
from starcard_notifier.sms import SmsRefused, SmsSender
from starcard_notifier.smtp import SEND_ERRORS, EmailTransport

log = structlog.get_logger(__name__)

REQUESTED = f"{get_topic(Notification)}.Requested"
FAILED = frozenset({f"{get_topic(Notification)}.Failed", f"{get_topic(Notification)}.SmsFailed"})

STORE_ERRORS = (OperationalError, InterfaceError, psycopg.OperationalError)
"""Faults of the database connection: the pass is retried after a pause."""

CONTACT_POLL_SECONDS = 0.5


@dataclass
class Waiting:
    """A notification to deliver at `due`, put there by the log event at `position`."""

    due: datetime
    position: int
    awaiting_contact_since: datetime | None = None


class Dispatcher:
    """Delivers the notifications of `service`: emails through `transport`, texts through `sms`
    (None: no SMS provider is configured, and every SMS is suppressed)."""

    def __init__(
        self,
        *,
        service: NotifierService,
        transport: EmailTransport,
        database_url: str,
        mail_from: str,
        retry_base: timedelta,
        contact_wait: timedelta,
        name: str = "email",
        page_size: int = 500,
        idle_seconds: float = 0.1,
        clock: Callable[[], datetime] = wall_clock,
        sms: SmsSender | None = None,
    ) -> None:
        self.service = service
        self.transport = transport
        self.sms = sms
        self.database_url = database_url
        self.mail_from = mail_from
        self.retry_base = retry_base
        self.contact_wait = contact_wait
        self.name = name
        self.tailer = LogTailer(
            service,
            f"dispatch.{name}",
            page_size=page_size,
            former=FormerPosition("notifier", "dispatch_position", name),
        )
        self.idle_seconds = idle_seconds
        self.clock = clock
        self.cursor = 0
        self.committed = 0
        self.waiting: dict[UUID, Waiting] = {}

    # -- the position --------------------------------------------------------------------

    def low_water_mark(self) -> int:
        """The last log position with nothing at or before it still waiting."""
        if not self.waiting:
            return self.cursor
        return min(waiting.position for waiting in self.waiting.values()) - 1

    async def _commit_position(self, conn: psycopg.Connection[Any]) -> None:
        mark = self.low_water_mark()
        if mark != self.committed:
            await asyncio.to_thread(self.tailer.store, conn, mark)
            self.committed = mark

    # -- following the log ---------------------------------------------------------------

    def _next_page(self, cursor: int) -> tuple[int, list[tuple[int, UUID, datetime | None]]]:
        """The log after `cursor`: how far it was read, and each request or failure in it."""
        notifications = self.tailer.page_after(cursor)
        found: list[tuple[int, UUID, datetime | None]] = []
        for notification in notifications:
            if notification.topic == REQUESTED:
                found.append((notification.id, UUID(str(notification.originator_id)), None))
            elif notification.topic in FAILED:
                failed: Any = self.service.mapper.to_domain_event(notification)
                found.append((notification.id, UUID(str(failed.originator_id)), failed.retry_at))
        return (notifications[-1].id if notifications else cursor), found

    async def _read_log(self) -> bool:
        """Note what the next page of the log makes due; False when there was nothing new."""
        reached, found = await asyncio.to_thread(self._next_page, self.cursor)
        now = self.clock()
        for position, notification_id, retry_at in found:
            due = retry_at or now
            earlier = self.waiting.get(notification_id)
            if earlier is not None:
                # The email's and the SMS's failures each name their own retry: keep the first.
                due = min(due, earlier.due)
            self.waiting[notification_id] = Waiting(due=due, position=position)
        moved = reached != self.cursor
        self.cursor = reached
        return moved

    # -- delivering ----------------------------------------------------------------------

    def _load(
        self, notification_id: UUID
    ) -> tuple[Notification | None, Contact | None, SmsOptOut | None]:
        """The notification, the client's contact, and the opt-out of their number if it
        matters (a campaign's offer to a client with a phone)."""
        notification = self.service.notification(notification_id)
        if notification is None or notification.goes_to_the_business:
            return notification, None, None
        contact = self.service.contact(notification.tenant_id, notification.client_id)
        opt_out = None
        if notification.sms is not None and contact is not None and contact.phone is not None:
            opt_out = self.service.opt_out(contact.phone)
        return notification, contact, opt_out

    async def deliver(self, notification_id: UUID, waiting: Waiting) -> datetime | None:
        """Send what is due of one notification, and record what happened on each channel.

        Returns when to look at it again (a retry, the end of quiet hours, another look for a
        client not heard of yet), or None when nothing more will happen to it.
        """
        notification, contact, opt_out = await asyncio.to_thread(self._load, notification_id)
        now = self.clock()
        if notification is None:
            return None
        if not notification.is_due(now):
            return notification.next_due()
        email_to = recipient(notification, contact) if notification.email.is_due(now) else None
        sms = notification.sms
        sms_to = sms_recipient(contact, opt_out) if sms is not None and sms.is_due(now) else None
        if isinstance(email_to, AwaitContact) or isinstance(sms_to, AwaitContact):
            since = waiting.awaiting_contact_since or now
            if now - since < self.contact_wait:
                waiting.awaiting_contact_since = since
                return now + timedelta(seconds=CONTACT_POLL_SECONDS)
        if email_to is not None:
            await self._email(notification, email_to, now)
        if sms is not None and sms_to is not None:
            await self._text(notification, sms, sms_to, now)
        return notification.next_due()

    async def _email(self, notification: Notification, to: Recipient, now: datetime) -> None:
        """Send the email, or suppress it, and record what happened."""
        notification_id = str(notification.id)
        if isinstance(to, AwaitContact):
            to = Suppress(to.otherwise)
        if isinstance(to, Suppress):
            await asyncio.to_thread(self.service.suppress, notification, to.reason, now)
            log.info("notification suppressed", notification_id=notification_id, reason=to.reason)
            return
        try:
            message = compose(notification, to=to.address, mail_from=self.mail_from, at=now)
            await self.transport.send(message)
        except (*SEND_ERRORS, *RENDER_ERRORS) as error:
            reason = failure_reason(error)
            await asyncio.to_thread(
                self.service.record_failure, notification, reason, self.clock(), self.retry_base
            )
            log.warning(
                "notification not sent",
                notification_id=notification_id,
                attempt=notification.email.attempts,
                status=notification.email.status.value,
                reason=reason,
            )
            return
        # The window: the email is out, "Sent" not yet recorded (see the module's docstring).
        await asyncio.to_thread(self.service.record_sent, notification, self.clock())
        log.info("notification sent", notification_id=notification_id)

    async def _text(
        self, notification: Notification, sms: Delivery, to: Recipient, now: datetime
    ) -> None:
        """Send the SMS (`sms` is its delivery), or suppress it, and record what happened."""
        notification_id = str(notification.id)
        if isinstance(to, AwaitContact):
            to = Suppress(to.otherwise)
        if isinstance(to, SendTo) and self.sms is not None:
            await self._send_text(notification, sms, to, self.sms, now)
            return
        reason = to.reason if isinstance(to, Suppress) else SMS_NOT_CONFIGURED
        await asyncio.to_thread(self.service.suppress_sms, notification, reason, now)
        log.info("SMS suppressed", notification_id=notification_id, reason=reason)

    async def _send_text(
        self,
        notification: Notification,
        sms: Delivery,
        to: SendTo,
        sender: SmsSender,
        now: datetime,
    ) -> None:
        """Render the SMS, hand it to the provider, and record ``SmsSent`` or ``SmsFailed``."""
        notification_id = str(notification.id)
        try:
            body = render_sms(notification.kind, notification.content)
            provider_id = await sender.send(to.address, body, idempotency_key=notification_id)
        except (*SMS_SEND_ERRORS, *RENDER_ERRORS) as error:
            if isinstance(error, SmsRefused) and error.unsubscribed:
                await self._record_unsubscribed(notification, to.address, now)
                return
            reason = sms_failure_reason(error)
            await asyncio.to_thread(
                self.service.record_sms_failure,
                notification,
                reason,
                self.clock(),
                self.retry_base,
            )
            log.warning(
                "SMS not sent",
                notification_id=notification_id,
                attempt=sms.attempts,
                status=sms.status.value,
                reason=reason,
            )
            return
        # The window: the SMS is out, "SmsSent" not yet recorded (see the module's docstring).
        await asyncio.to_thread(
            self.service.record_sms_sent, notification, provider_id, self.clock()
        )
        log.info("SMS sent", notification_id=notification_id)

    async def _record_unsubscribed(
        self, notification: Notification, phone: str, now: datetime
    ) -> None:
        """The provider refused the number as opted out: a STOP the notifier had not heard of.
        Keep it on the number, so no other text is tried, and suppress this one."""
        await asyncio.to_thread(
            self.service.record_sms_reply, phone, Reply.STOP, now, source="provider"
        )
        await asyncio.to_thread(
            self.service.suppress_sms, notification, UNSUBSCRIBED_AT_PROVIDER, now
        )
        log.info(
            "SMS suppressed",
            notification_id=str(notification.id),
            reason=UNSUBSCRIBED_AT_PROVIDER,
        )

    async def _deliver_due(self, conn: psycopg.Connection[Any], stop: asyncio.Event) -> bool:
        """Deliver every waiting notification that is due, oldest first; False if none was."""
        now = self.clock()
        due = sorted(
            (waiting.position, notification_id)
            for notification_id, waiting in self.waiting.items()
            if waiting.due <= now
        )
        delivered = False
        for _, notification_id in due:
            if stop.is_set():
                break
            waiting = self.waiting[notification_id]
            next_due = await self.deliver(notification_id, waiting)
            if next_due is None:
                del self.waiting[notification_id]
                delivered = True
            else:
                # Still waiting (its log position holds the low-water mark): a retry, the end
                # of quiet hours, or a client not heard of yet.
                waiting.due = next_due
            await self._commit_position(conn)
        return delivered

    async def step(self, conn: psycopg.Connection[Any], stop: asyncio.Event) -> bool:
        """One pass: read the log, deliver what is due; False when there was nothing to do."""
        read = await self._read_log()
        delivered = await self._deliver_due(conn, stop)
        await self._commit_position(conn)
        return read or delivered

    # -- running -------------------------------------------------------------------------

    async def _dispatch(self, leadership: psycopg.Connection[Any], stop: asyncio.Event) -> None:
        """Dispatch from the stored position until `stop` is set."""
        self.committed = self.cursor = await asyncio.to_thread(
            self.tailer.stored_position, leadership
        )
        self.waiting.clear()
        log.info("dispatcher started", dispatcher=self.name, position=self.cursor)
        while not stop.is_set():
            try:
                busy = await self.step(leadership, stop)
            except IntegrityError:
                # Someone else changed a notification meanwhile; it is still waiting, and the
                # next pass loads it afresh.
                log.warning("notification changed meanwhile, retrying", dispatcher=self.name)
                continue
            if not busy:
                await _sleep(stop, self.idle_seconds)

    async def run(self, stop: asyncio.Event) -> None:
        """Dispatch until `stop` is set, while this process holds the dispatcher's lock.

        The lock's connection also stores the position. A database fault ends the leadership:
        the dispatcher waits for the lock again and starts over from the stored position.
        """
        while not stop.is_set():
            try:
                leadership = await await_leadership(
                    self.database_url, f"starcard.notifier.dispatch.{self.name}", stop
                )
            except STORE_ERRORS:
                log.warning("database unavailable, retrying", dispatcher=self.name)
                await _sleep(stop, 1.0)
                continue
            if leadership is None:
                return
            try:
                await self._dispatch(leadership, stop)
            except STORE_ERRORS:
                log.warning("dispatcher fault, starting over", dispatcher=self.name)
                await _sleep(stop, 1.0)
            finally:
                with contextlib.suppress(psycopg.Error):
                    leadership.close()


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    """Sleep, but wake as soon as `stop` is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
