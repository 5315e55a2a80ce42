"""The notifier's domain: pure rules and aggregates (stdlib and `eventsourcing.domain` only)."""

from starcard_notifier.domain.contact import Contact
from starcard_notifier.domain.errors import NotificationSettled, NotifierError
from starcard_notifier.domain.ids import contact_id
from starcard_notifier.domain.notification import (
    FOR_THE_BUSINESS,
    MAX_ATTEMPTS,
    MESSAGE_ID_DOMAIN,
    NO_BUSINESS_EMAIL_ON_FILE,
    NO_EMAIL_ON_FILE,
    Content,
    Notification,
    NotificationRequest,
    Status,
    retry_delay,
)
from starcard_notifier.domain.recipient import (
    AwaitContact,
    Recipient,
    SendTo,
    Suppress,
    recipient,
)

__all__ = [
    "FOR_THE_BUSINESS",
    "MAX_ATTEMPTS",
    "MESSAGE_ID_DOMAIN",
    "NO_BUSINESS_EMAIL_ON_FILE",
    "NO_EMAIL_ON_FILE",
    "AwaitContact",
    "Contact",
    "Content",
    "Notification",
    "NotificationRequest",
    "NotificationSettled",
    "NotifierError",
    "Recipient",
    "SendTo",
    "Status",
    "Suppress",
    "contact_id",
    "recipient",
    "retry_delay",
]
