"""A notification's lifecycle: requested once, then sent, suppressed, or retried and given up."""

import json
from dataclasses import replace
from datetime import timedelta
from uuid import UUID

import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import DatetimeAsISO, JSONTranscoder, Mapper, UUIDAsHex
from starcard_notifier.domain.errors import NotificationSettled
from starcard_notifier.domain.notification import (
    MAX_ATTEMPTS,
    NO_EMAIL_ON_FILE,
    Notification,
    Status,
    retry_delay,
)

from .factories import (
    CLIENT,
    NOTIFICATION_ID,
    RETRY_BASE,
    TENANT,
    at,
    event_names,
    notification,
    referral_alert_request,
    reward_request,
)

pytestmark = pytest.mark.unit


def test_a_request_is_one_notification_whose_id_is_the_requests() -> None:
    requested = notification()

    assert requested.id == NOTIFICATION_ID
    assert event_names(requested) == ["Requested"]
    assert (requested.tenant_id, requested.client_id) == (TENANT, CLIENT)
    assert requested.email.status is Status.REQUESTED
    assert requested.content.code == "LOYAL-7KQ2M9XD"


def test_the_same_request_received_twice_is_the_same_notification() -> None:
    """The id is derived from the cause, so any copy of the request names the same aggregate."""
    first = Notification.request(reward_request())
    again = Notification.request(replace(reward_request(), requested_at=at(60)))

    assert first.id == again.id


def test_the_message_id_follows_from_the_notification_id() -> None:
    assert notification().message_id == f"<{NOTIFICATION_ID}@starcard.local>"


def test_a_new_request_is_due_at_once() -> None:
    assert notification().is_due(at(0))


def test_a_client_without_an_email_is_suppressed_with_that_reason() -> None:
    requested = notification()
    requested.collect_events()

    requested.suppress(NO_EMAIL_ON_FILE, at(0))

    assert event_names(requested) == ["Suppressed"]
    assert (requested.email.status, requested.email.reason) == (
        Status.SUPPRESSED,
        "no email on file",
    )
    assert requested.is_settled
    assert not requested.is_due(at(3600))


def test_a_sent_notification_records_its_message_id_and_is_never_due_again() -> None:
    requested = notification()
    requested.collect_events()

    requested.record_sent(at(2))

    [sent] = requested.collect_events()
    assert type(sent).__name__ == "Sent"
    assert sent.message_id == f"<{NOTIFICATION_ID}@starcard.local>"  # type: ignore[attr-defined]
    assert (requested.email.status, requested.email.sent_at) == (Status.SENT, at(2))
    assert not requested.is_due(at(3600))


def test_a_settled_notification_refuses_to_change() -> None:
    sent = notification()
    sent.record_sent(at(2))

    with pytest.raises(NotificationSettled):
        sent.record_sent(at(3))
    with pytest.raises(NotificationSettled):
        sent.suppress(NO_EMAIL_ON_FILE, at(3))
    with pytest.raises(NotificationSettled):
        sent.record_failure("the SMTP server answered 451", at(3), RETRY_BASE)


def test_a_failure_waits_before_the_next_attempt() -> None:
    requested = notification()
    requested.collect_events()

    requested.record_failure("the SMTP server could not be reached", at(0), RETRY_BASE)

    [failed] = requested.collect_events()
    assert type(failed).__name__ == "Failed"
    assert (failed.reason, failed.attempt) == (  # type: ignore[attr-defined]
        "the SMTP server could not be reached",
        1,
    )
    assert requested.email.status is Status.FAILED
    assert not requested.is_due(at(29))
    assert requested.is_due(at(30))


def test_the_wait_doubles_after_each_failure() -> None:
    assert [retry_delay(n, RETRY_BASE) for n in (1, 2, 3, 4)] == [
        timedelta(seconds=30),
        timedelta(seconds=60),
        timedelta(seconds=120),
        timedelta(seconds=240),
    ]


def test_a_retried_notification_can_still_be_sent() -> None:
    requested = notification()
    requested.record_failure("the SMTP server could not be reached", at(0), RETRY_BASE)

    requested.record_sent(at(31))

    assert event_names(requested) == ["Requested", "Failed", "Sent"]
    assert (requested.email.status, requested.email.attempts) == (Status.SENT, 1)


def test_the_fifth_failure_gives_up() -> None:
    requested = notification()
    moment = at(0)
    for _ in range(MAX_ATTEMPTS - 1):
        requested.record_failure("the SMTP server answered 451", moment, RETRY_BASE)
        assert requested.email.retry_at is not None
        moment = requested.email.retry_at
        assert requested.is_due(moment)

    requested.record_failure("the SMTP server answered 451", moment, RETRY_BASE)

    assert event_names(requested) == ["Requested"] + ["Failed"] * 4 + ["GaveUp"]
    assert (requested.email.status, requested.email.attempts) == (Status.GAVE_UP, 5)
    assert requested.email.reason == "the SMTP server answered 451"
    assert requested.is_settled
    assert not requested.is_due(moment + timedelta(days=1))


def test_a_message_only_reward_has_no_code_or_expiry() -> None:
    thanks = notification(discount_percent=None, code=None, expires_at=None)

    assert (thanks.content.code, thanks.content.expires_at) == (None, None)


def test_a_campaign_request_keeps_the_add_on_its_code_is_worth() -> None:
    treat = notification(
        kind="birthday_reward", discount_percent=None, add_on="Scalp massage, 15 min"
    )

    assert (treat.content.add_on, treat.content.discount_percent) == ("Scalp massage, 15 min", None)


def test_a_referral_request_keeps_its_amount_and_the_business_address() -> None:
    alert = Notification.request(referral_alert_request())

    assert (alert.content.discount_amount_minor, alert.content.currency) == (1000, "GBP")
    assert alert.business_email == "owner@serenity.example"
    assert alert.goes_to_the_business


def test_a_requested_event_stored_before_amounts_and_business_addresses_still_loads() -> None:
    """Replaying calls ``__init__`` with the stored arguments, which lack the newer ones."""
    transcoder = JSONTranscoder()
    transcoder.register(UUIDAsHex())
    transcoder.register(DatetimeAsISO())
    mapper: Mapper[UUID] = Mapper(transcoder=transcoder)
    [requested] = notification().collect_events()
    stored = mapper.to_stored_event(requested)
    state = json.loads(stored.state)
    for newer in ("discount_amount_minor", "currency", "business_email", "add_on"):
        del state[newer]
    old = replace(stored, state=json.dumps(state).encode())

    reloaded = mapper.to_domain_event(old)
    assert isinstance(reloaded, Aggregate.Created)
    loaded = reloaded.mutate(None)

    assert isinstance(loaded, Notification)
    assert loaded.content.code == "LOYAL-7KQ2M9XD"
    assert (loaded.content.discount_amount_minor, loaded.content.currency) == (None, None)
    assert loaded.business_email is None
    assert loaded.content.add_on is None
    assert not loaded.goes_to_the_business
