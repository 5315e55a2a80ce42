"""Who a notification is sent to, on each channel, or why it is sent to no one.

A message for the client goes to their address on file (`Contact`), which the notifier keeps
from the booking topic; a message for the business (a ``referral_alert``) goes to the business's
own address, carried by the request, and never depends on the client's record. A campaign's
offer also goes by SMS to the client's phone, when they consented to it and their number has not
replied STOP (`SmsOptOut`). Both the consumer (which suppresses at once what can never be sent)
and the dispatcher (which sends) ask the same questions here.
"""

from __future__ import annotations

from dataclasses import dataclass

from starcard_notifier.domain.contact import Contact
from starcard_notifier.domain.notification import (
    NO_BUSINESS_EMAIL_ON_FILE,
    NO_EMAIL_ON_FILE,
    NO_PHONE_ON_FILE,
    NO_SMS_CONSENT,
    REPLIED_STOP,
    Notification,
)
from starcard_notifier.domain.sms_opt_out import SmsOptOut

__all__ = ["AwaitContact", "Recipient", "SendTo", "Suppress", "recipient", "sms_recipient"]


@dataclass(frozen=True)
class SendTo:
    """Send to `address`, an email address or a phone number (personal data: never logged)."""

    address: str


@dataclass(frozen=True)
class Suppress:
    """Send nothing, for `reason`."""

    reason: str


@dataclass(frozen=True)
class AwaitContact:
    """The client's record has not been seen yet: it travels on another topic and may be late.

    Should it never come, the message is suppressed for `otherwise`.
    """

    otherwise: str


Recipient = SendTo | Suppress | AwaitContact


def recipient(notification: Notification, contact: Contact | None) -> Recipient:
    """Where the email of `notification` goes, given the client's `contact` (None: not heard
    of yet)."""
    if notification.goes_to_the_business:
        if notification.business_email is None:
            return Suppress(NO_BUSINESS_EMAIL_ON_FILE)
        return SendTo(notification.business_email)
    if contact is None:
        return AwaitContact(NO_EMAIL_ON_FILE)
    if contact.email is None:
        # "The client must have an email address on file to receive the milestone email."
        return Suppress(NO_EMAIL_ON_FILE)
    return SendTo(contact.email)


def sms_recipient(contact: Contact | None, opt_out: SmsOptOut | None) -> Recipient:
    """Where the SMS of a campaign's offer goes, given the client's `contact` and the opt-out of
    their number (None: it never replied STOP).

    "A client with no SMS consent, or who replied STOP, gets no SMS; the reward still stands."
    """
    if contact is None:
        return AwaitContact(NO_PHONE_ON_FILE)
    if contact.phone is None:
        return Suppress(NO_PHONE_ON_FILE)
    if not contact.sms_consent:
        return Suppress(NO_SMS_CONSENT)
    if opt_out is not None and opt_out.stopped:
        return Suppress(REPLIED_STOP)
    return SendTo(contact.phone)
