"""A referred client's referral: stages in any order, refusals, and what it earns, once."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starcard_events.referral_facts import ReferralStage, RefusalReason
from starcard_referrals.domain.programme import (
    DEFAULT_SETTINGS,
    Delivery,
    ReferralSettings,
    Trigger,
)
from starcard_referrals.domain.referee import Referee
from starcard_referrals.domain.values import RewardValue

pytestmark = pytest.mark.unit

T0 = datetime(2026, 3, 2, 10, tzinfo=UTC)
TEN_POUNDS = RewardValue.of_amount(1000, "GBP")
ON_BOOKING = ReferralSettings(reward=TEN_POUNDS, trigger=Trigger.FIRST_BOOKING)
ON_COMPLETION = ReferralSettings(reward=TEN_POUNDS, trigger=Trigger.FIRST_COMPLETED)


def at(hours: int) -> datetime:
    return T0 + timedelta(hours=hours)


def newcomer(booking_id: str = "b1", seen: datetime = T0) -> Referee:
    return Referee(
        tenant_id="anna",
        client_id="zoe",
        booking_id=booking_id,
        seen_at=seen,
        back_to_back_group=None,
    )


def book(
    referee: Referee, *, referrer: str = "ada", booking_id: str = "b1", hours: int = 0
) -> RefusalReason | None:
    return referee.book_through(
        code="code-of-ada-123",
        referrer_client_id=referrer,
        booking_id=booking_id,
        visitor_id="v1",
        at=at(hours),
    )


def stage_of(referee: Referee) -> ReferralStage | None:
    """The stage, as the type checker should see it: it changes under its feet here."""
    return referee.stage


def names(referee: Referee) -> list[str]:
    return [type(e).__name__ for e in referee.collect_events()]


def test_a_booking_through_a_link_books_the_referral() -> None:
    referee = newcomer()
    assert book(referee) is None
    assert (referee.stage, referee.referrer_client_id, referee.booked_at) == (
        ReferralStage.BOOKED,
        "ada",
        T0,
    )


def test_the_first_paid_completion_completes_it() -> None:
    referee = newcomer()
    book(referee)
    referee.record_paid_completion(at(2))
    assert (referee.stage, referee.completed_at) == (ReferralStage.COMPLETED, at(2))


def test_a_completion_seen_before_the_booking_completes_it_when_the_booking_arrives() -> None:
    referee = newcomer()
    referee.record_paid_completion(at(2))
    assert stage_of(referee) is None
    book(referee)
    assert (referee.stage, referee.completed_at) == (ReferralStage.COMPLETED, at(2))


def test_a_referral_never_moves_backwards_and_repeats_change_nothing() -> None:
    referee = newcomer()
    book(referee)
    referee.record_paid_completion(at(2))
    referee.collect_events()
    book(referee)
    referee.record_paid_completion(at(3))
    assert referee.stage is ReferralStage.COMPLETED
    assert names(referee) == []


def test_booking_through_your_own_link_makes_no_referral() -> None:
    referee = newcomer()
    assert book(referee, referrer="zoe") is RefusalReason.SELF_REFERRAL
    assert referee.stage is None
    assert referee.refused == {"b1": "self_referral"}


def test_an_existing_client_booking_through_a_link_makes_no_referral() -> None:
    referee = newcomer(booking_id="older", seen=at(-24 * 30))
    assert book(referee) is RefusalReason.EXISTING_CLIENT
    assert referee.stage is None


def test_a_second_link_after_a_referral_is_refused_one_referral_per_client() -> None:
    referee = newcomer()
    book(referee)
    refused = referee.book_through(
        code="code-of-bo-4567",
        referrer_client_id="bo",
        booking_id="b2",
        visitor_id=None,
        at=at(5),
    )
    assert refused is RefusalReason.ALREADY_REFERRED
    assert referee.referrer_client_id == "ada"


def test_a_back_to_back_add_on_carrying_the_code_is_not_an_existing_clients_booking() -> None:
    referee = Referee(
        tenant_id="anna", client_id="zoe", booking_id="b1", seen_at=T0, back_to_back_group="g"
    )
    refused = referee.book_through(
        code="code-of-ada-123",
        referrer_client_id="ada",
        booking_id="b2",
        visitor_id=None,
        at=at(1),
        back_to_back_group="g",
    )
    assert refused is None
    assert referee.stage is ReferralStage.BOOKED


def test_the_reward_is_given_at_the_moment_the_trigger_was_met() -> None:
    referee = newcomer()
    referee.record_paid_completion(at(30))
    book(referee, hours=1)
    assert referee.reward_referrer(ON_COMPLETION) == at(30)


def test_a_refusal_is_recorded_once_per_booking() -> None:
    referee = newcomer()
    book(referee, referrer="zoe")
    book(referee, referrer="zoe")
    assert names(referee).count("Refused") == 1


@pytest.mark.parametrize(
    ("settings", "completed", "due"),
    [
        (ON_BOOKING, False, True),
        (ON_COMPLETION, False, False),
        (ON_COMPLETION, True, True),
    ],
)
def test_the_reward_is_due_at_the_trigger(
    settings: ReferralSettings, completed: bool, due: bool
) -> None:
    referee = newcomer()
    book(referee)
    if completed:
        referee.record_paid_completion(at(1))
    assert referee.reward_due(settings) is due


def test_the_referrer_is_rewarded_once() -> None:
    referee = newcomer()
    book(referee)
    assert referee.reward_referrer(ON_BOOKING) == at(0)
    assert referee.reward_referrer(ON_BOOKING) is None
    referee.record_paid_completion(at(2))
    referee.reward_referrer(ON_COMPLETION)
    assert names(referee).count("ReferrerRewarded") == 1
    assert not referee.reward_due(ON_BOOKING)


def test_no_referral_no_reward() -> None:
    referee = newcomer()
    referee.record_paid_completion(at(1))
    assert not referee.reward_due(ON_BOOKING)
    assert not referee.welcome_due(
        ReferralSettings(reward=TEN_POUNDS, reward_referred=True, delivery=Delivery.CREDIT)
    )


def test_the_welcome_code_is_due_once_when_the_programme_offers_it() -> None:
    settings = ReferralSettings(reward=TEN_POUNDS, reward_referred=True)
    referee = newcomer()
    book(referee)
    assert referee.welcome_due(settings)
    assert not referee.welcome_due(DEFAULT_SETTINGS)
    referee.give_welcome_code("REF-22222222", TEN_POUNDS, T0, at(24 * 365))
    assert not referee.welcome_due(settings)


EVENTS = ("booking", "completion", "duplicate booking", "duplicate completion")


@given(st.permutations(EVENTS))
def test_any_arrival_order_ends_completed_and_rewarded_once(order: list[str]) -> None:
    """Booking and completion of the referred client, each maybe twice, in any order."""
    referee = newcomer()
    for what in order:
        if "booking" in what:
            book(referee)
        else:
            referee.record_paid_completion(at(2))
        referee.reward_referrer(ON_COMPLETION)
    assert referee.stage is ReferralStage.COMPLETED
    assert referee.completed_at == at(2)
    assert names(referee).count("ReferrerRewarded") == 1
