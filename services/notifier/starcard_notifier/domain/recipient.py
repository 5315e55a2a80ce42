"""Who a notification is sent to, or why it is sent to no one.

A message for the client goes to their address on file (`Contact`), which the notifier keeps
from the booking topic; a message for the business (a ``referral_alert``) goes to the business's
own address, carried by the request, and never depends on the client's record. Both the
consumer (which suppresses at once what can never be sent) and the dispatcher (which sends) ask
the same question here.
"""

from __future__ import annotations

from dataclasses import dataclass

from starcard_notifier.domain.contact import Contact
from starcard_notifier.domain.notification import (
    NO_BUSINESS_EMAIL_ON_FILE,
    NO_EMAIL_ON_FILE,
    Notification,
)

__all__ = ["AwaitContact", "Recipient", "SendTo", "Suppress", "recipient"]


@dataclass(frozen=True)
class SendTo:
    """Send the email to `address` (personal data: never logged)."""

    address: str


@dataclass(frozen=True)
class Suppress:
    """Send nothing, for `reason`."""

    reason: str


@dataclass(frozen=True)
class AwaitContact:
    """The client's record has not been seen yet: it travels on another topic and may be late."""


Recipient = SendTo | Suppress | AwaitContact


def recipient(notification: Notification, contact: Contact | None) -> Recipient:
    """Where `notification` goes, given the client's `contact` (None: not heard of yet)."""
    if notification.goes_to_the_business:
        if notification.business_email is None:
            return Suppress(NO_BUSINESS_EMAIL_ON_FILE)
        return SendTo(notification.business_email)
    if contact is None:
        return AwaitContact()
    if contact.email is None:
        # "The client must have an email address on file to receive the milestone email."
        return Suppress(NO_EMAIL_ON_FILE)
    return SendTo(contact.email)
