"""A campaign's offer goes by SMS too, once, independently of its email; and nothing of any
notification goes before its `send_after` (the end of the business's quiet hours)."""

from datetime import timedelta

import pytest
from starcard_notifier.domain.errors import NotificationSettled, NotSentBySms
from starcard_notifier.domain.notification import BY_SMS, MAX_ATTEMPTS, Status

from .factories import RETRY_BASE, at, event_names, notification

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("kind", sorted(BY_SMS))
def test_a_campaign_offer_is_requested_by_email_and_by_sms(kind: str) -> None:
    offer = notification(kind=kind)

    assert offer.email.status is Status.REQUESTED
    assert offer.sms is not None
    assert offer.sms.status is Status.REQUESTED


def test_any_other_kind_is_never_sent_by_sms() -> None:
    reward = notification()

    assert reward.sms is None
    with pytest.raises(NotSentBySms):
        reward.record_sms_sent("SM1", at(1))


def test_the_sms_is_sent_once() -> None:
    offer = notification(kind="birthday_reward")
    offer.collect_events()

    offer.record_sms_sent("SM1", at(1))

    assert offer.sms is not None
    assert (offer.sms.status, offer.sms.sent_at) == (Status.SENT, at(1))
    assert event_names(offer) == ["SmsSent"]
    with pytest.raises(NotificationSettled):
        offer.record_sms_sent("SM2", at(2))


def test_a_suppressed_sms_leaves_the_email_to_go() -> None:
    """A client with no SMS consent gets no SMS; the email (and the reward) still stand."""
    offer = notification(kind="anniversary_offer")

    offer.suppress_sms("no SMS consent", at(0))

    assert offer.sms is not None
    assert (offer.sms.status, offer.sms.reason) == (Status.SUPPRESSED, "no SMS consent")
    assert offer.email.status is Status.REQUESTED
    assert offer.is_due(at(0))
    assert not offer.is_settled


def test_the_notification_is_settled_only_when_both_channels_are() -> None:
    offer = notification(kind="reengagement_offer")
    offer.record_sent(at(1))
    assert not offer.is_settled

    offer.record_sms_sent("SM1", at(1))

    assert offer.is_settled
    assert offer.next_due() is None


def test_a_failed_sms_is_retried_with_a_growing_wait_and_given_up_at_the_fifth() -> None:
    offer = notification(kind="birthday_reward")
    offer.record_sent(at(0))
    moment = at(0)
    for _ in range(MAX_ATTEMPTS - 1):
        offer.record_sms_failure("the SMS provider answered 500 (error None)", moment, RETRY_BASE)
        assert offer.sms is not None
        assert offer.sms.retry_at is not None
        assert not offer.is_due(offer.sms.retry_at - timedelta(seconds=1))
        assert offer.next_due() == offer.sms.retry_at
        moment = offer.sms.retry_at

    offer.record_sms_failure("the SMS provider answered 500 (error None)", moment, RETRY_BASE)

    assert offer.sms is not None
    assert (offer.sms.status, offer.sms.attempts) == (Status.GAVE_UP, MAX_ATTEMPTS)
    assert offer.email.status is Status.SENT
    assert offer.is_settled


def test_the_email_and_the_sms_keep_their_own_attempts() -> None:
    offer = notification(kind="birthday_reward")

    offer.record_failure("the SMTP server answered 451", at(0), RETRY_BASE)
    offer.record_sms_sent("SM1", at(0))

    assert offer.sms is not None
    assert (offer.email.attempts, offer.sms.attempts) == (1, 0)
    assert offer.next_due() == at(0) + RETRY_BASE


def test_nothing_is_due_before_the_end_of_quiet_hours() -> None:
    morning = at(8 * 3600)
    offer = notification(kind="birthday_reward", send_after=morning)

    assert offer.is_held(at(0))
    assert not offer.is_due(at(0))
    assert not offer.is_due(morning - timedelta(microseconds=1))
    assert offer.next_due() == morning
    assert offer.is_due(morning)


def test_a_retry_after_quiet_hours_waits_for_its_own_time() -> None:
    morning = at(8 * 3600)
    offer = notification(send_after=morning)

    offer.record_failure("the SMTP server answered 451", morning, RETRY_BASE)

    assert offer.next_due() == morning + RETRY_BASE


def test_a_request_without_send_after_is_due_at_once() -> None:
    offer = notification(kind="birthday_reward")

    assert not offer.is_held(at(0))
    assert offer.next_due() == at(0)
