"""The notifier's domain: pure rules and aggregates (stdlib and `eventsourcing.domain` only)."""

from starcard_notifier.domain.contact import Contact
from starcard_notifier.domain.errors import NotificationSettled, NotifierError
from starcard_notifier.domain.ids import contact_id
from starcard_notifier.domain.notification import (
    MAX_ATTEMPTS,
    MESSAGE_ID_DOMAIN,
    NO_EMAIL_ON_FILE,
    Notification,
    NotificationRequest,
    RewardContent,
    Status,
    retry_delay,
)

__all__ = [
    "MAX_ATTEMPTS",
    "MESSAGE_ID_DOMAIN",
    "NO_EMAIL_ON_FILE",
    "Contact",
    "Notification",
    "NotificationRequest",
    "NotificationSettled",
    "NotifierError",
    "RewardContent",
    "Status",
    "contact_id",
    "retry_delay",
]
