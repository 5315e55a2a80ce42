"""One message the notifier was asked to send, and what became of it on each channel.

Lifecycle of the email (and, for a campaign's message, of its SMS: ``SmsSent``,
``SmsSuppressed``, ``SmsFailed``, ``SmsGaveUp``)::

    Requested ──► Sent
        │    ├──► Suppressed   (e.g. "no email on file": the reward itself still stands)
        │    └──► Failed ──► (retried) ──► Sent
        │                          └──► ... the 5th failure ──► GaveUp
        └── a request received again is the same notification: nothing changes

The two channels are independent: an SMS suppressed (no consent, the client replied STOP) or
given up changes nothing for the email, and the other way round. Neither is sent before the
request's ``send_after`` (the end of the business's quiet hours).

Most kinds go to the client (their address on file, see ``Contact``); a ``referral_alert`` goes
to the business, at the address the request carries (see ``starcard_notifier.domain.recipient``).

The id is the request's ``notification_id``, derived by the sender from the cause (the reward's
aggregate event), so a re-published request finds the notification it already made. The email's
``Message-ID`` follows from the same id: a copy sent again after a crash (see
``starcard_notifier.dispatcher``) carries the same ``Message-ID``, and the receiver can drop it.

Time comes in as arguments: ``requested_at`` and ``send_after`` from the request, and the moments
of sending and failing from the dispatcher, which is the one that meets the SMTP server and the
SMS provider.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from starcard_notifier.domain.errors import NotificationSettled, NotSentBySms

__all__ = [
    "BY_SMS",
    "FOR_THE_BUSINESS",
    "MAX_ATTEMPTS",
    "MESSAGE_ID_DOMAIN",
    "NO_BUSINESS_EMAIL_ON_FILE",
    "NO_EMAIL_ON_FILE",
    "NO_PHONE_ON_FILE",
    "NO_SMS_CONSENT",
    "REPLIED_STOP",
    "SMS_NOT_CONFIGURED",
    "UNSUBSCRIBED_AT_PROVIDER",
    "Content",
    "Delivery",
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

NO_PHONE_ON_FILE = "no phone on file"
NO_SMS_CONSENT = "no SMS consent"
"""The client's record does not say they agreed to receive SMS offers."""
REPLIED_STOP = "the client replied STOP"
UNSUBSCRIBED_AT_PROVIDER = "the SMS provider reports the recipient unsubscribed"
"""The provider refused the number as opted out (a STOP the notifier had not heard of)."""
SMS_NOT_CONFIGURED = "no SMS provider configured"

FOR_THE_BUSINESS = frozenset({"referral_alert"})
"""The kinds sent to the business's own address rather than to the client's."""

BY_SMS = frozenset({"birthday_reward", "anniversary_offer", "reengagement_offer"})
"""The kinds also sent by SMS, to a client who consented to it: a campaign's offers."""


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


@dataclass
class Delivery:
    """What became of a notification on one channel (its email, or its SMS).

    Changed only by the `Notification`'s events, never directly.
    """

    status: Status = Status.REQUESTED
    attempts: int = 0
    retry_at: datetime | None = None
    reason: str | None = None
    sent_at: datetime | None = None

    @property
    def is_settled(self) -> bool:
        """Sent, suppressed or given up: nothing more will happen on this channel."""
        return self.status in SETTLED

    def is_due(self, now: datetime) -> bool:
        """Whether to try at `now`: never tried, or a failure whose wait is over."""
        if self.status is Status.REQUESTED:
            return True
        return self.status is Status.FAILED and self.retry_at is not None and self.retry_at <= now

    def check_not_settled(self, notification_id: UUID) -> None:
        if self.is_settled:
            raise NotificationSettled(notification_id, self.status.value)

    def retry_after_failure(self, failed_at: datetime, retry_base: timedelta) -> datetime | None:
        """When to try again after one more failure; None when it is the last one allowed."""
        attempt = self.attempts + 1
        if attempt >= MAX_ATTEMPTS:
            return None
        return failed_at + retry_delay(attempt, retry_base)

    def sent(self, at: datetime) -> None:
        self.status = Status.SENT
        self.sent_at = at
        self.retry_at = None

    def suppressed(self, reason: str) -> None:
        self.status = Status.SUPPRESSED
        self.reason = reason

    def failed(self, reason: str, attempt: int, retry_at: datetime) -> None:
        self.status = Status.FAILED
        self.attempts = attempt
        self.reason = reason
        self.retry_at = retry_at

    def gave_up(self, reason: str, attempts: int) -> None:
        self.status = Status.GAVE_UP
        self.attempts = attempts
        self.reason = reason
        self.retry_at = None


@dataclass(frozen=True, kw_only=True)
class Content:
    """What an email says: the tenant's name and message, the discount (a percentage or an
    amount of money) or the complimentary add-on, and the code when there are some.

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
    booking_url: str | None = None
    valid_until: date | None = None
    """The code's last day in the business's zone, when the sender knows it (campaign codes)."""
    add_on: str | None = None
    """The complimentary add-on a campaign's code is worth, instead of a discount."""


@dataclass(frozen=True, kw_only=True)
class NotificationRequest:
    """What a service asked the notifier to send, and about whom.

    A fixed discount is `discount_amount_minor` in `currency`'s minor unit (both or neither);
    `business_email` is where a message for the business goes (see `FOR_THE_BUSINESS`);
    `booking_url` is the business's booking page, and nothing is sent before `send_after`;
    `add_on` is the complimentary add-on a campaign's code is worth.
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
    booking_url: str | None = None
    send_after: datetime | None = None
    valid_until: date | None = None
    add_on: str | None = None


class Notification(Aggregate):
    """A request to tell a client (or the business, about a client) something, and its delivery.

    Created with `Notification(notification_id=..., ...)` (the "Requested" event); its id is the
    `notification_id`. `email` is what became of the email; `sms` of the SMS, for the kinds sent
    by SMS too (`BY_SMS`), else None.
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
        booking_url: str | None = None,
        send_after: datetime | None = None,
        valid_until: str | None = None,
        add_on: str | None = None,
    ) -> None:
        # The arguments after `requested_at` default to None: "Requested" events stored before
        # they existed are replayed by calling this method with the stored arguments.
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
            booking_url=booking_url,
            valid_until=None if valid_until is None else date.fromisoformat(valid_until),
            add_on=add_on,
        )
        self.business_email = business_email
        self.requested_at = requested_at
        self.send_after = send_after
        self.email = Delivery()
        self.sms = Delivery() if kind in BY_SMS else None

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
            booking_url=request.booking_url,
            send_after=request.send_after,
            valid_until=None if request.valid_until is None else request.valid_until.isoformat(),
            add_on=request.add_on,
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
        """Every channel sent, suppressed or given up: nothing more will happen to it."""
        return all(delivery.is_settled for delivery in self._deliveries())

    def is_held(self, now: datetime) -> bool:
        """Whether `now` is before `send_after`: the business's quiet hours are not over."""
        return self.send_after is not None and now < self.send_after

    def is_due(self, now: datetime) -> bool:
        """Whether to try sending anything at `now` (on either channel)."""
        return not self.is_held(now) and any(d.is_due(now) for d in self._deliveries())

    def next_due(self) -> datetime | None:
        """The earliest moment something is to be tried; None once every channel is settled.

        A channel never tried is due from the request on, a failed one at its retry time; and
        nothing is due before `send_after`.
        """
        moments = [
            delivery.retry_at or self.requested_at
            for delivery in self._deliveries()
            if not delivery.is_settled
        ]
        if not moments:
            return None
        earliest = min(moments)
        return max(earliest, self.send_after) if self.send_after else earliest

    def _deliveries(self) -> list[Delivery]:
        return [self.email] if self.sms is None else [self.email, self.sms]

    # -- the email ---------------------------------------------------------------------------

    def suppress(self, reason: str, at: datetime) -> None:
        """Decide not to send the email, saying why (e.g. `NO_EMAIL_ON_FILE`)."""
        self.email.check_not_settled(self.id)
        self._suppress(reason=reason, suppressed_at=at)

    def record_sent(self, sent_at: datetime) -> None:
        """The SMTP server accepted the email."""
        self.email.check_not_settled(self.id)
        self._send(message_id=self.message_id, sent_at=sent_at)

    def record_failure(self, reason: str, failed_at: datetime, retry_base: timedelta) -> None:
        """Sending failed: try again after a growing wait, and give up at the 5th failure."""
        self.email.check_not_settled(self.id)
        attempt = self.email.attempts + 1
        retry_at = self.email.retry_after_failure(failed_at, retry_base)
        if retry_at is None:
            self._give_up(reason=reason, attempts=attempt, gave_up_at=failed_at)
        else:
            self._fail(reason=reason, attempt=attempt, failed_at=failed_at, retry_at=retry_at)

    @event("Suppressed")
    def _suppress(self, reason: str, suppressed_at: datetime) -> None:
        self.email.suppressed(reason)

    @event("Sent")
    def _send(self, message_id: str, sent_at: datetime) -> None:
        self.email.sent(sent_at)

    @event("Failed")
    def _fail(self, reason: str, attempt: int, failed_at: datetime, retry_at: datetime) -> None:
        self.email.failed(reason, attempt, retry_at)

    @event("GaveUp")
    def _give_up(self, reason: str, attempts: int, gave_up_at: datetime) -> None:
        self.email.gave_up(reason, attempts)

    # -- the SMS -----------------------------------------------------------------------------

    @property
    def _texted(self) -> Delivery:
        """The SMS's delivery; refused for a kind not sent by SMS (see `BY_SMS`)."""
        if self.sms is None:
            raise NotSentBySms(self.id, self.kind)
        return self.sms

    def suppress_sms(self, reason: str, at: datetime) -> None:
        """Decide not to send the SMS, saying why (e.g. `NO_SMS_CONSENT`); the email stands."""
        self._texted.check_not_settled(self.id)
        self._suppress_sms(reason=reason, suppressed_at=at)

    def record_sms_sent(self, provider_message_id: str, sent_at: datetime) -> None:
        """The SMS provider accepted the text, and gave it `provider_message_id`."""
        self._texted.check_not_settled(self.id)
        self._send_sms(provider_message_id=provider_message_id, sent_at=sent_at)

    def record_sms_failure(self, reason: str, failed_at: datetime, retry_base: timedelta) -> None:
        """Sending the SMS failed: retried and given up on as an email is."""
        sms = self._texted
        sms.check_not_settled(self.id)
        attempt = sms.attempts + 1
        retry_at = sms.retry_after_failure(failed_at, retry_base)
        if retry_at is None:
            self._give_up_sms(reason=reason, attempts=attempt, gave_up_at=failed_at)
        else:
            self._fail_sms(reason=reason, attempt=attempt, failed_at=failed_at, retry_at=retry_at)

    @event("SmsSuppressed")
    def _suppress_sms(self, reason: str, suppressed_at: datetime) -> None:
        self._texted.suppressed(reason)

    @event("SmsSent")
    def _send_sms(self, provider_message_id: str, sent_at: datetime) -> None:
        self._texted.sent(sent_at)

    @event("SmsFailed")
    def _fail_sms(self, reason: str, attempt: int, failed_at: datetime, retry_at: datetime) -> None:
        self._texted.failed(reason, attempt, retry_at)

    @event("SmsGaveUp")
    def _give_up_sms(self, reason: str, attempts: int, gave_up_at: datetime) -> None:
        self._texted.gave_up(reason, attempts)
