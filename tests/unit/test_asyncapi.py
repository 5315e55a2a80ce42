"""The published AsyncAPI document describes every topic and stays in step with the models."""

import json

import pytest
from starcard_runtime import asyncapi

pytestmark = pytest.mark.unit


def test_the_asyncapi_document_is_not_stale() -> None:
    assert asyncapi.main(["--check"]) == 0, "run: uv run python -m starcard_runtime.asyncapi"


def test_every_topic_is_a_channel_with_its_events() -> None:
    document = json.loads(asyncapi.render())
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert addresses == {
        "booking.events.v1",
        "referral.visits.v1",
        "starcard.loyalty.v1",
        "starcard.referrals.v1",
        "starcard.notifications.v1",
        "starcard.clock.v1",
        "starcard.campaigns.v1",
        "starcard.deliveries.v1",
    }
    schemas = document["components"]["schemas"]
    for event in (
        "AppointmentCompleted",
        "RewardIssued",
        "StarEarned",
        "NotificationRequested",
        "ReferralStageChanged",
        "CreditIssued",
        "WelcomeCodeIssued",
        "CampaignPointsGranted",
        "MessageDelivered",
        "MessageNotDelivered",
    ):
        assert event in schemas
