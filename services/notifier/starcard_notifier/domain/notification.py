"""One message the notifier was asked to send, and what became of it.

Lifecycle::

    Requested ──► Sent
        │    ├──► Suppressed   (e.g. "no email on file": the reward itself still stands)
        │    └──► Failed ──► (retried) ──► Sent
        │                          └──► ... the 5th failure ──► GaveUp
        └── a request received again is the same notification: nothing changes

Most kinds go to the client (their address on file, see ``Contact``); a ``referral_alert`` goes
to the business, at the address the request carries (see ``starcard_notifier.domain.recipient``).

The id is the request's ``notification_id``, derived by the sender from the cause (the reward's
aggregate event), so a re-published request finds the notification it already made. The email's
``Message-ID`` follows from the same id: a copy sent again after a crash (see
``starcard_notifier.dispatcher``) carries the same ``Message-ID``, and the receiver can drop it.

Time comes in as arguments: ``requested_at`` from the request, and the moments of sending and
failing from the dispatcher, which is the one that meets the SMTP server.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from starcard_notifier.domain.errors import NotificationSettled

__all__ = [
    "FOR_THE_BUSINESS",
    "MAX_ATTEMPTS",
    "MESSAGE_ID_DOMAIN",
    "NO_BUSINESS_EMAIL_ON_FILE",
    "NO_EMAIL_ON_FILE",
    "Content",
    "Notification",
    "NotificationRequest",
    "Status",
    "retry_delay",
]

MAX_ATTEMPTS = 5
"""Sending is tried at most this many times; the last failure gives up."""

MESSAGE_ID_DOMAIN = "starcard.local"

NO_EMAIL_ON_FILE = "no email on file"
"""Why a notification is suppressed when "the client must have an email address on file to
receive the milestone email" and has none."""

NO_BUSINESS_EMAIL_ON_FILE = "no business email on file"
"""Why a message for the business is suppressed when its request carries no address."""

FOR_THE_BUSINESS = frozenset({"referral_alert"})
"""The kinds sent to the business's own address rather than to the client's."""


class Status(StrEnum):
    REQUESTED = "requested"
    FAILED = "failed"
    SENT = "sent"
    SUPPRESSED = "suppressed"
    GAVE_UP = "gave_up"


SETTLED = frozenset({Status.SENT, Status.SUPPRESSED, Status.GAVE_UP})


def retry_delay(attempt: int, base: timedelta) -> timedelta:
    """How long to wait after the `attempt`th failure: `base`, then twice as long each time."""
    factor: int = 2 ** (attempt - 1)
    return base * factor


@dataclass(frozen=True, kw_only=True)
class Content:
    """What an email says: the tenant's name and message, the discount (a percentage or an
    amount of money) and the code when there are some.

    `client_id` is the client the message is to or about: an alert to the business names them
    by id, never by anything personal.
    """

    tenant_name: str
    client_id: str
    message: str
    discount_percent: int | None = None
    discount_amount_minor: int | None = None
    currency: str | None = None
    code: str | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class NotificationRequest:
    """What a service asked the notifier to send, and about whom.

    A fixed discount is `discount_amount_minor` in `currency`'s minor unit (both or neither);
    `business_email` is where a message for the business goes (see `FOR_THE_BUSINESS`).
    """

    notification_id: UUID
    kind: str
    tenant_id: str
    client_id: str
    tenant_name: str
    message: str
    discount_percent: int | None
    discount_amount_minor: int | None
    currency: str | None
    code: str | None
    expires_at: datetime | None
    business_email: str | None
    requested_at: datetime


class Notification(Aggregate):
    """A request to tell a client (or the business, about a client) something, and its delivery.

    Created with `Notification(notification_id=..., ...)` (the "Requested" event); its id is the
    `notification_id`.
    """

    @staticmethod
    def create_id(notification_id: UUID) -> UUID:
        """The sender's id is the aggregate's, so a request received twice is one notification."""
        return notification_id

    @event("Requested")
    def __init__(
        self,
        *,
        notification_id: UUID,
        kind: str,
        tenant_id: str,
        client_id: str,
        tenant_name: str,
        message: str,
        discount_percent: int | None,
        code: str | None,
        expires_at: datetime | None,
        requested_at: datetime,
        discount_amount_minor: int | None = None,
        currency: str | None = None,
        business_email: str | None = None,
    ) -> None:
        # The last three default to None: "Requested" events stored before they existed are
        # replayed by calling this method with the stored arguments, which lack them.
        self.kind = kind
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.content = Content(
            tenant_name=tenant_name,
            client_id=client_id,
            message=message,
            discount_percent=discount_percent,
            discount_amount_minor=discount_amount_minor,
            currency=currency,
            code=code,
            expires_at=expires_at,
        )
        self.business_email = business_email
        self.requested_at = requested_at
        self.status = Status.REQUESTED
        self.attempts = 0
        self.retry_at: datetime | None = None
        self.reason: str | None = None
        self.sent_at: datetime | None = None

    @classmethod
    def request(cls, request: NotificationRequest) -> Notification:
        """The notification a request asks for (its "Requested" event)."""
        return cls(
            notification_id=request.notification_id,
            kind=request.kind,
            tenant_id=request.tenant_id,
            client_id=request.client_id,
            tenant_name=request.tenant_name,
            message=request.message,
            discount_percent=request.discount_percent,
            code=request.code,
            expires_at=request.expires_at,
            requested_at=request.requested_at,
            discount_amount_minor=request.discount_amount_minor,
            currency=request.currency,
            business_email=request.business_email,
        )

    @property
    def message_id(self) -> str:
        """The email's ``Message-ID``: the same for every copy of this notification."""
        return f"<{self.id}@{MESSAGE_ID_DOMAIN}>"

    @property
    def goes_to_the_business(self) -> bool:
        """Whether it is sent to the business's own address, not to the client's."""
        return self.kind in FOR_THE_BUSINESS

    @property
    def is_settled(self) -> bool:
        """Sent, suppressed or given up: nothing more will happen to it."""
        return self.status in SETTLED

    def is_due(self, now: datetime) -> bool:
        """Whether to try sending at `now`: a new request, or a failure whose wait is over."""
        if self.status is Status.REQUESTED:
            return True
        return self.status is Status.FAILED and self.retry_at is not None and self.retry_at <= now

    def check_not_settled(self) -> None:
        if self.is_settled:
            raise NotificationSettled(self.id, self.status.value)

    def suppress(self, reason: str, at: datetime) -> None:
        """Decide not to send, saying why (e.g. `NO_EMAIL_ON_FILE`)."""
        self.check_not_settled()
        self._suppress(reason=reason, suppressed_at=at)

    def record_sent(self, sent_at: datetime) -> None:
        """The SMTP server accepted the email."""
        self.check_not_settled()
        self._send(message_id=self.message_id, sent_at=sent_at)

    def record_failure(self, reason: str, failed_at: datetime, retry_base: timedelta) -> None:
        """Sending failed: try again after a growing wait, and give up at the 5th failure."""
        self.check_not_settled()
        attempt = self.attempts + 1
        if attempt >= MAX_ATTEMPTS:
            self._give_up(reason=reason, attempts=attempt, gave_up_at=failed_at)
        else:
            self._fail(
                reason=reason,
                attempt=attempt,
                failed_at=failed_at,
                retry_at=failed_at + retry_delay(attempt, retry_base),
            )

    @event("Suppressed")
    def _suppress(self, reason: str, suppressed_at: datetime) -> None:
        self.status = Status.SUPPRESSED
        self.reason = reason

    @event("Sent")
    def _send(self, message_id: str, sent_at: datetime) -> None:
        self.status = Status.SENT
        self.sent_at = sent_at
        self.retry_at = None

    @event("Failed")
    def _fail(self, reason: str, attempt: int, failed_at: datetime, retry_at: datetime) -> None:
        self.status = Status.FAILED
        self.attempts = attempt
        self.reason = reason
        self.retry_at = retry_at

    @event("GaveUp")
    def _give_up(self, reason: str, attempts: int, gave_up_at: datetime) -> None:
        self.status = Status.GAVE_UP
        self.attempts = attempts
        self.reason = reason
        self.retry_at = None
