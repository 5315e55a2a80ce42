"""What the loyalty relay decodes: only the events its publisher makes something of."""

from __future__ import annotations

from typing import Any, cast

import pytest
from eventsourcing.utils import get_topic
from starcard_loyalty.application import LoyaltyService
from starcard_loyalty.domain.client import ClientLoyalty
from starcard_loyalty.domain.membership import Membership
from starcard_loyalty.domain.points import PointsAccount
from starcard_loyalty.publishing import LoyaltyPublisher

pytestmark = pytest.mark.unit


def topic_of(aggregate: type[Any], event: str) -> str:
    return get_topic(getattr(aggregate, event))


def test_events_that_publish_or_name_an_owner_are_read_and_no_others() -> None:
    publisher = LoyaltyPublisher(cast(LoyaltyService, None), lambda topic: topic)
    read = {
        topic_of(ClientLoyalty, "AppointmentRecorded"),
        topic_of(ClientLoyalty, "Started"),
        topic_of(PointsAccount, "Earned"),
        topic_of(Membership, "Opened"),
        topic_of(Membership, "TierChanged"),
        topic_of(Membership, "DropWarned"),
    }
    skipped = {
        topic_of(Membership, "SpendCounted"),
        topic_of(Membership, "Reviewed"),
        topic_of(ClientLoyalty, "RewardQueued"),
    }
    assert all(publisher.reads(topic) for topic in read)
    assert not any(publisher.reads(topic) for topic in skipped)
    # A topic this code cannot resolve is decoded, so the relay meets the error as it would.
    assert publisher.reads("gone.module:Gone.Event")
