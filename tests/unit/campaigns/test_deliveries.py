"""What became of a campaign message, as the notifier reports it: each channel's outcome is
recorded once, however often the fact arrives."""

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from starcard_campaigns.domain.deliveries import MessageOutcomes
from starcard_campaigns.domain.ids import message_outcomes_id

from .factories import TENANT, event_names, stored_and_replayed

pytestmark = pytest.mark.unit

NOTIFICATION = UUID("5e0f9a36-4c1b-5d7e-8f2a-9b3c4d5e6f70")
ACCEPTED = datetime(2025, 3, 3, 8, 0, 5, tzinfo=UTC)


def outcomes() -> MessageOutcomes:
    started = MessageOutcomes(tenant_id=TENANT, notification_id=NOTIFICATION)
    started.collect_events()
    return started


def test_the_outcomes_of_a_message_are_found_by_its_tenant_and_notification_id() -> None:
    assert outcomes().id == message_outcomes_id(TENANT, NOTIFICATION)
    assert message_outcomes_id("another-studio", NOTIFICATION) != outcomes().id


def test_an_email_handed_over_is_delivered_and_the_sms_is_not_known_yet() -> None:
    message = outcomes()

    message.record_delivered("email", ACCEPTED)

    assert message.is_delivered("email")
    assert not message.has_outcome("sms")
    assert message.delivered == {"email": ACCEPTED}


def test_a_fact_received_again_records_nothing() -> None:
    message = outcomes()
    message.record_delivered("email", ACCEPTED)
    message.record_not_delivered("sms", "no SMS consent")
    message.collect_events()

    message.record_delivered("email", ACCEPTED + timedelta(minutes=1))
    message.record_not_delivered("sms", "no SMS consent")

    assert event_names(message) == []
    assert message.delivered == {"email": ACCEPTED}


def test_the_first_outcome_of_a_channel_stands() -> None:
    message = outcomes()
    message.record_not_delivered("sms", "the client replied STOP")

    message.record_delivered("sms", ACCEPTED)

    assert not message.is_delivered("sms")
    assert message.not_delivered == {"sms": "the client replied STOP"}


def test_each_channel_has_an_outcome_of_its_own() -> None:
    message = outcomes()

    message.record_not_delivered("email", "no email on file")
    message.record_delivered("sms", ACCEPTED)

    assert (message.is_delivered("email"), message.is_delivered("sms")) == (False, True)
    assert event_names(message) == ["NotDelivered", "Delivered"]


def test_the_outcomes_replay_as_recorded() -> None:
    message = MessageOutcomes(tenant_id=TENANT, notification_id=NOTIFICATION)
    message.record_delivered("email", ACCEPTED)
    message.record_not_delivered("sms", "no SMS consent")

    replayed = stored_and_replayed(message)

    assert replayed.delivered == {"email": ACCEPTED}
    assert replayed.not_delivered == {"sms": "no SMS consent"}
