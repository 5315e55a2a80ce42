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
from starcard_events.campaign_facts import CampaignPointsGranted
from starcard_events.clock import ClockTicked
from starcard_events.delivery_facts import DeliveryFact
from starcard_events.notifications import NotificationRequested
from starcard_events.parsing import parse_delivery_fact

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

CAMPAIGN_GRANTS = Contract[CampaignPointsGranted](
    parse=model_parser(CampaignPointsGranted),
    key=lambda fact: booking_key(fact.tenant_id, fact.data.client_id),
    key_shape="tenant_id:client_id",
)
"""``starcard.campaigns.v1``: published by the campaigns service, owned (dead-lettered) by the
loyalty service, which grants the points."""

DELIVERIES = Contract[DeliveryFact](
    parse=parse_delivery_fact,
    key=lambda fact: booking_key(fact.tenant_id, fact.data.client_id),
    key_shape="tenant_id:client_id",
)
"""``starcard.deliveries.v1``: published by the notifier, whose relay validates every fact it
publishes; its readers (the campaigns service) skip what breaks the contract, and nothing
dead-letters it."""

CLOCK_TICKS = Contract[ClockTicked](parse=model_parser(ClockTicked))
"""``starcard.clock.v1``: a tick is for every service that keeps time; its key orders nothing."""
