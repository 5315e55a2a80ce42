"""Kafka topic names and record keys.

Keys decide partitions, and partitions decide ordering: every record about one client of one tenant
shares a key, so a consumer sees that client's events in the order the platform published them.
"""

BOOKING_EVENTS = "booking.events.v1"
"""Upstream: clients, bookings, completions and check-ins, keyed by `booking_key`."""

REFERRAL_VISITS = "referral.visits.v1"
"""Upstream: visits to referral links, keyed by `referral_visit_key`."""

LOYALTY_FACTS = "starcard.loyalty.v1"
"""Published by Starcard: stars, milestones and rewards, for platforms to react to."""

REFERRAL_FACTS = "starcard.referrals.v1"
"""Published by Starcard: referral stages and credits, for platforms to react to."""

CAMPAIGN_FACTS = "starcard.campaigns.v1"
"""Published by Starcard's campaigns service: rewards another service gives (a campaign's bonus
points, which the loyalty service grants), keyed by client (`booking_key`)."""

NOTIFICATIONS = "starcard.notifications.v1"
"""Internal: messages for the notifier to send."""

DELIVERY_FACTS = "starcard.deliveries.v1"
"""Published by Starcard's notifier: each message's email and SMS delivered (accepted by the SMTP
server or the SMS provider) or not delivered (suppressed, given up), keyed by client
(`booking_key`). The campaigns service counts them in its results."""

CLOCK = "starcard.clock.v1"
"""Internal: one tick per tenant-local day, driving time-based rules."""


def dead_letter_topic(topic: str) -> str:
    """The topic that receives the records of `topic` that failed validation."""
    return f"{topic}.dlq"


def booking_key(tenant_id: str, client_id: str) -> bytes:
    """The key of a record on `BOOKING_EVENTS`: `tenant_id:client_id`."""
    return f"{tenant_id}:{client_id}".encode()


def referral_visit_key(tenant_id: str, referral_code: str) -> bytes:
    """The key of a record on `REFERRAL_VISITS`: `tenant_id:referral_code`."""
    return f"{tenant_id}:{referral_code}".encode()
