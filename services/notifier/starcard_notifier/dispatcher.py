"""The dispatcher: sends what the consumer recorded, after the batch that recorded it committed.

It follows the notifier's own event store notification log (as the projections follow the
loyalty service's) for two kinds of event: a notification ``Requested`` (send it now) and one
that ``Failed`` (send it again at its ``retry_at``). For each due notification it loads the
notification and the client's contact (not for a message to the business, which carries its own
address), renders the email, hands it to the SMTP server, and records ``Sent``, or ``Failed``
(``GaveUp`` at the 5th failure), or ``Suppressed`` when there is no email on file (see
``starcard_notifier.domain.recipient``). It follows the log with the runtime's ``LogTailer``:
its position (``dispatch.<name>`` in ``notifier.log_positions``) is committed after each outcome
is recorded.

The position is a low-water mark: it never passes an event whose notification is still waiting
(a failure's retry, a client not heard of yet), so after a restart the dispatcher reads those
events again and nothing waiting is forgotten. Re-reading a ``Requested`` event whose
notification was already sent, suppressed or given up sends nothing: each delivery first loads
the notification and goes ahead only if it is still due.

At least once, with one window: the SMTP server accepted the email and the process died before
``Sent`` was recorded. The restarted dispatcher sends that email again, with the same
``Message-ID: <notification_id@starcard.local>``, so the receiving side can recognise the copy
and drop it. Nothing recorded as ``Sent`` is ever sent again.

One dispatcher runs at a time: it holds a PostgreSQL advisory lock for as long as it runs, and a
second notifier process waits for it (and takes over from the stored position if it dies).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

import aiosmtplib
import psycopg
import structlog
from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError
from eventsourcing.utils import get_topic
from starcard_runtime.leadership import await_leadership
from starcard_runtime.tailer import FormerPosition, LogTailer

from starcard_notifier.application import NotifierService
from starcard_notifier.domain.contact import Contact
from starcard_notifier.domain.notification import NO_EMAIL_ON_FILE, Notification
from starcard_notifier.domain.recipient import AwaitContact, SendTo, Suppress, recipient
from starcard_notifier.messages import RENDER_ERRORS, compose
from starcard_notifier.smtp import SEND_ERRORS, EmailTransport

log = structlog.get_logger(__name__)

REQUESTED = f"{get_topic(Notification)}.Requested"
FAILED = f"{get_topic(Notification)}.Failed"

STORE_ERRORS = (OperationalError, InterfaceError, psycopg.OperationalError)
"""Faults of the database connection: the pass is retried after a pause."""

CONTACT_POLL_SECONDS = 0.5


class Outcome(StrEnum):
    SENT = "sent"
    FAILED = "failed"
    SUPPRESSED = "suppressed"
    NOT_DUE = "not_due"
    AWAITING_CONTACT = "awaiting_contact"


@dataclass
class Waiting:
    """A notification to deliver at `due`, put there by the log event at `position`."""

    due: datetime
    position: int
    awaiting_contact_since: datetime | None = None


def utc_now() -> datetime:
    return datetime.now(UTC)


class Dispatcher:
    """Delivers the notifications of `service` through `transport`."""

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
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.service = service
        self.transport = transport
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
            elif notification.topic == FAILED:
                failed: Any = self.service.mapper.to_domain_event(notification)
                found.append((notification.id, UUID(str(failed.originator_id)), failed.retry_at))
        return (notifications[-1].id if notifications else cursor), found

    async def _read_log(self) -> bool:
        """Note what the next page of the log makes due; False when there was nothing new."""
        reached, found = await asyncio.to_thread(self._next_page, self.cursor)
        now = self.clock()
        for position, notification_id, retry_at in found:
            self.waiting[notification_id] = Waiting(due=retry_at or now, position=position)
        moved = reached != self.cursor
        self.cursor = reached
        return moved

    # -- delivering ----------------------------------------------------------------------

    def _load(self, notification_id: UUID) -> tuple[Notification | None, Contact | None]:
        notification = self.service.notification(notification_id)
        if notification is None or notification.goes_to_the_business:
            return notification, None
        return notification, self.service.contact(notification.tenant_id, notification.client_id)

    async def deliver(self, notification_id: UUID, waiting: Waiting) -> Outcome:
        """Send one notification if it is still due, and record what happened."""
        notification, contact = await asyncio.to_thread(self._load, notification_id)
        now = self.clock()
        if notification is None or not notification.is_due(now):
            return Outcome.NOT_DUE
        to = recipient(notification, contact)
        if isinstance(to, AwaitContact):
            since = waiting.awaiting_contact_since or now
            if now - since < self.contact_wait:
                waiting.awaiting_contact_since = since
                return Outcome.AWAITING_CONTACT
            to = Suppress(NO_EMAIL_ON_FILE)
        if isinstance(to, Suppress):
            await asyncio.to_thread(self.service.suppress, notification, to.reason, now)
            log.info(
                "notification suppressed", notification_id=str(notification_id), reason=to.reason
            )
            return Outcome.SUPPRESSED
        return await self._send(notification, to, now)

    async def _send(self, notification: Notification, to: SendTo, now: datetime) -> Outcome:
        """Compose and send the email, and record ``Sent`` or ``Failed``."""
        notification_id = notification.id
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
                notification_id=str(notification_id),
                attempt=notification.attempts,
                status=notification.status.value,
                reason=reason,
            )
            return Outcome.FAILED
        # The window: the email is out, "Sent" not yet recorded (see the module's docstring).
        await asyncio.to_thread(self.service.record_sent, notification, self.clock())
        log.info("notification sent", notification_id=str(notification_id))
        return Outcome.SENT

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
            outcome = await self.deliver(notification_id, waiting)
            if outcome is Outcome.AWAITING_CONTACT:
                waiting.due = self.clock() + timedelta(seconds=CONTACT_POLL_SECONDS)
            else:
                # A failure comes back through the log, as a "Failed" event with its retry time.
                del self.waiting[notification_id]
                delivered = True
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


def failure_reason(error: Exception) -> str:
    """Why an attempt failed, in words safe to store and log: never the server's text, which
    may quote the recipient's address."""
    if isinstance(error, RENDER_ERRORS):
        return f"the email could not be composed ({type(error).__name__})"
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused | aiosmtplib.SMTPRecipientRefused):
        return "the SMTP server refused the recipient"
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return f"the SMTP server answered {error.code} ({type(error).__name__})"
    return f"the SMTP server could not be reached ({type(error).__name__})"


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    """Sleep, but wake as soon as `stop` is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
