"""The contract of each topic a Starcard service consumes: its parser and its key."""

from __future__ import annotations

from starcard_events import (
    BookingTopicEvent,
    LinkVisited,
    booking_key,
    parse_booking_event,
    parse_referral_visit,
    referral_visit_key,
)
from starcard_events.clock import ClockTicked
from starcard_events.notifications import NotificationRequested

from starcard_runtime.inbound import Contract, model_parser

BOOKINGS = Contract[BookingTopicEvent](
    parse=parse_booking_event,
    key=lambda event: booking_key(event.tenant_id, event.data.client_id),
    key_shape="tenant_id:client_id",
)
"""``booking.events.v1``: owned (dead-lettered) by the loyalty service, read by others too."""

LINK_VISITS = Contract[LinkVisited](
    parse=parse_referral_visit,
    key=lambda event: referral_visit_key(event.tenant_id, event.data.referral_code),
    key_shape="tenant_id:referral_code",
    key_is_secret=True,
)
"""``referral.visits.v1``: owned by the referrals service."""

NOTIFICATION_REQUESTS = Contract[NotificationRequested](
    parse=model_parser(NotificationRequested),
    key=lambda request: booking_key(request.tenant_id, request.data.client_id),
    key_shape="tenant_id:client_id",
)
"""``starcard.notifications.v1``: owned by the notifier."""

CLOCK_TICKS = Contract[ClockTicked](parse=model_parser(ClockTicked))
"""``starcard.clock.v1``: a tick is for every service that keeps time; its key orders nothing."""
