"""The notifier's domain: pure rules and aggregates (stdlib and `eventsourcing.domain` only)."""

from starcard_notifier.domain.contact import Contact
from starcard_notifier.domain.errors import NotificationSettled, NotifierError, NotSentBySms
from starcard_notifier.domain.ids import contact_id, sms_opt_out_id
from starcard_notifier.domain.notification import (
    BY_SMS,
    FOR_THE_BUSINESS,
    MAX_ATTEMPTS,
    MESSAGE_ID_DOMAIN,
    NO_BUSINESS_EMAIL_ON_FILE,
    NO_EMAIL_ON_FILE,
    NO_PHONE_ON_FILE,
    NO_SMS_CONSENT,
    REPLIED_STOP,
    SMS_NOT_CONFIGURED,
    UNSUBSCRIBED_AT_PROVIDER,
    Content,
    Delivery,
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
    sms_recipient,
)
from starcard_notifier.domain.sms_opt_out import Reply, SmsOptOut, phone_number, reply_in

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
    "AwaitContact",
    "Contact",
    "Content",
    "Delivery",
    "NotSentBySms",
    "Notification",
    "NotificationRequest",
    "NotificationSettled",
    "NotifierError",
    "Recipient",
    "Reply",
    "SendTo",
    "SmsOptOut",
    "Status",
    "Suppress",
    "contact_id",
    "phone_number",
    "recipient",
    "reply_in",
    "retry_delay",
    "sms_opt_out_id",
    "sms_recipient",
]
