"""Rewards of one client: one outstanding code at a time, the queue behind it, and expiry."""

from datetime import timedelta

import pytest
from starcard_loyalty.domain.client import ClientLoyalty
from starcard_loyalty.domain.codes import CodeGenerator, code_expiry
from starcard_loyalty.domain.counting import CountingRules
from starcard_loyalty.domain.errors import CodeAlreadyRedeemed, CodeExpired, CodeNotFound
from starcard_loyalty.domain.rewards import IssuedReward, QueuedReward

from .factories import (
    appointment,
    client_loyalty,
    codes,
    day,
    event_names,
    milestone,
    new_events,
    programme,
    record_all,
    rules,
    visits,
)

pytestmark = pytest.mark.unit

FIFTH = milestone("fifth", 5, discount_percent=10, message="10% off, with thanks")
TENTH = milestone("tenth", 10, discount_percent=25, message="25% off your next visit")
FIFTEENTH = milestone("fifteenth", 15, discount_percent=30, message="30% off")
SEVENTH = milestone("seventh", 7, message="Seven visits: thank you!")
COUNTING = rules(FIFTH, TENTH, FIFTEENTH)

FIRST_CODE, SECOND_CODE, THIRD_CODE = "LOYAL-22222222", "LOYAL-22222223", "LOYAL-22222224"


def after_visits(
    count: int, counting: CountingRules = COUNTING
) -> tuple[ClientLoyalty, CodeGenerator]:
    """A record after `count` visits on consecutive days (day 0 onwards), its events collected,
    and the generator that drew its codes (FIRST_CODE first)."""
    new_code = codes()
    record = client_loyalty()
    record_all(record, visits(count), counting, new_code)
    record.collect_events()
    return record, new_code


def test_the_fifth_visit_issues_a_code_valid_for_twelve_months() -> None:
    record, new_code = after_visits(4)

    issued = record.record_appointment(visits(1, first=4)[0], COUNTING, new_code)

    reward = IssuedReward(
        milestone_id="fifth",
        message="10% off, with thanks",
        discount_percent=10,
        code=FIRST_CODE,
        issued_at=day(4),
        expires_at=day(4).replace(year=day(4).year + 1),
    )
    assert issued == [reward]
    assert (record.outstanding_code, record.outstanding_expires_at) == (
        FIRST_CODE,
        reward.expires_at,
    )
    assert record.outstanding_reward() == reward
    assert record.rewards == {"fifth": reward}
    [event] = [e for e in new_events(record) if type(e).__name__ == "RewardIssued"]
    assert (
        event.milestone_id,
        event.message,
        event.discount_percent,
        event.code,
        event.issued_at,
        event.expires_at,
    ) == ("fifth", "10% off, with thanks", 10, FIRST_CODE, day(4), reward.expires_at)


def test_a_milestone_without_a_discount_sends_its_message_without_a_code() -> None:
    record, new_code = after_visits(6, rules(SEVENTH))

    [issued] = record.record_appointment(visits(1, first=6)[0], rules(SEVENTH), new_code)

    assert (issued.code, issued.discount_percent, issued.expires_at) == (None, None, None)
    assert issued.message == "Seven visits: thank you!"
    assert record.outstanding_code is None


def test_a_milestone_crossed_while_a_code_is_outstanding_waits() -> None:
    record, new_code = after_visits(9)

    issued = record.record_appointment(visits(1, first=9)[0], COUNTING, new_code)

    assert issued == []
    assert record.outstanding_code == FIRST_CODE
    assert record.queue == [
        QueuedReward(
            milestone_id="tenth",
            message="25% off your next visit",
            discount_percent=25,
            queued_at=day(9),
        )
    ]
    assert event_names(record) == ["AppointmentRecorded", "MilestoneReached", "RewardQueued"]


def test_redeeming_the_code_fires_the_next_reward_at_once() -> None:
    record, new_code = after_visits(10)
    redeemed_at = day(20)

    fired = record.redeem_reward(FIRST_CODE, "booking-21", redeemed_at, new_code)

    assert fired == IssuedReward(
        milestone_id="tenth",
        message="25% off your next visit",
        discount_percent=25,
        code=SECOND_CODE,
        issued_at=redeemed_at,
        expires_at=code_expiry(redeemed_at),
    )
    assert record.outstanding_code == SECOND_CODE
    assert record.queue == []
    assert event_names(record) == ["RewardRedeemed", "RewardIssued"]
    assert record.reward_released_by(FIRST_CODE) == fired


def test_redeeming_without_a_queue_leaves_nothing_outstanding() -> None:
    record, new_code = after_visits(5)

    fired = record.redeem_reward(FIRST_CODE, "booking-6", day(6), new_code)

    assert fired is None
    assert record.outstanding_code is None
    [redeemed] = new_events(record)
    assert (redeemed.code, redeemed.booking_id, redeemed.redeemed_at) == (
        FIRST_CODE,
        "booking-6",
        day(6),
    )


def test_queued_rewards_fire_one_redemption_after_another() -> None:
    record, new_code = after_visits(15)
    assert [queued.milestone_id for queued in record.queue] == ["tenth", "fifteenth"]

    second = record.redeem_reward(FIRST_CODE, "booking-a", day(16), new_code)
    assert second is not None
    assert second.code is not None
    third = record.redeem_reward(second.code, "booking-b", day(17), new_code)

    assert [second.milestone_id, third and third.milestone_id] == ["tenth", "fifteenth"]
    assert record.outstanding_code == THIRD_CODE
    assert set(record.rewards) == {"fifth", "tenth", "fifteenth"}


def test_redeeming_twice_with_the_same_booking_changes_nothing() -> None:
    record, new_code = after_visits(10)
    record.redeem_reward(FIRST_CODE, "booking-21", day(20), new_code)
    record.collect_events()

    again = record.redeem_reward(FIRST_CODE, "booking-21", day(21), new_code)

    assert again is None
    assert new_events(record) == []
    assert record.outstanding_code == SECOND_CODE


def test_redeeming_a_used_code_with_another_booking_is_refused() -> None:
    record, new_code = after_visits(5)
    record.redeem_reward(FIRST_CODE, "booking-6", day(6), new_code)
    record.collect_events()

    with pytest.raises(CodeAlreadyRedeemed):
        record.redeem_reward(FIRST_CODE, "booking-7", day(7), new_code)

    assert new_events(record) == []


def test_a_code_the_client_never_had_is_not_found() -> None:
    record, new_code = after_visits(5)

    with pytest.raises(CodeNotFound):
        record.redeem_reward("LOYAL-ZZZZZZZZ", "booking-6", day(6), new_code)


def test_a_code_is_refused_from_the_moment_it_expires() -> None:
    record, new_code = after_visits(5)
    expires_at = code_expiry(day(4))

    with pytest.raises(CodeExpired):
        record.redeem_reward(FIRST_CODE, "booking-late", expires_at, new_code)
    assert new_events(record) == []

    record.redeem_reward(FIRST_CODE, "booking-in-time", expires_at - timedelta(seconds=1), new_code)
    assert record.outstanding_code is None


def test_an_expired_code_releases_the_queue() -> None:
    record, new_code = after_visits(10)
    expires_at = code_expiry(day(4))

    fired = record.expire_reward(expires_at + timedelta(days=1), new_code)

    assert fired is not None
    assert (fired.milestone_id, fired.code, fired.issued_at, fired.expires_at) == (
        "tenth",
        SECOND_CODE,
        expires_at,
        code_expiry(expires_at),
    )
    expired, issued = new_events(record)
    assert type(expired).__name__ == "RewardExpired"
    assert (expired.code, expired.expired_at) == (FIRST_CODE, expires_at)
    assert type(issued).__name__ == "RewardIssued"
    assert record.outstanding_code == SECOND_CODE
    with pytest.raises(CodeExpired):
        record.redeem_reward(FIRST_CODE, "booking-late", expires_at - timedelta(days=1), new_code)


def test_a_code_not_yet_expired_is_left_alone() -> None:
    record, new_code = after_visits(10)

    assert record.expire_reward(code_expiry(day(4)) - timedelta(seconds=1), new_code) is None
    assert record.expire_reward(day(30), new_code) is None

    assert new_events(record) == []
    assert record.outstanding_code == FIRST_CODE


def test_an_appointment_after_the_expiry_expires_the_code_first() -> None:
    record, new_code = after_visits(10)
    later = code_expiry(day(4)) + timedelta(days=3)

    issued = record.record_appointment(appointment("back", occurred_at=later), COUNTING, new_code)

    assert [reward.milestone_id for reward in issued] == ["tenth"]
    assert event_names(record) == ["RewardExpired", "RewardIssued", "AppointmentRecorded"]
    assert record.outstanding_code == SECOND_CODE


def test_a_client_back_after_years_sees_each_code_expire_in_turn() -> None:
    record, new_code = after_visits(15)
    years_later = day(4).replace(year=day(4).year + 3)

    issued = record.expire_rewards(years_later, new_code)

    assert [reward.milestone_id for reward in issued] == ["tenth", "fifteenth"]
    assert issued[1].issued_at == issued[0].expires_at
    assert record.outstanding_code is None
    assert event_names(record).count("RewardExpired") == 3


def test_message_only_rewards_never_queue() -> None:
    counting = rules(FIFTH, SEVENTH, TENTH)
    record, new_code = after_visits(6, counting)
    assert record.outstanding_code == FIRST_CODE

    [issued] = record.record_appointment(visits(1, first=6)[0], counting, new_code)

    assert (issued.milestone_id, issued.code) == ("seventh", None)
    assert record.queue == []
    assert record.outstanding_code == FIRST_CODE


def test_the_queue_keeps_milestone_order_whatever_order_they_became_due() -> None:
    tenant = programme(FIFTH, FIFTEENTH)
    record, new_code = after_visits(15, tenant.rules())
    assert [queued.milestone_id for queued in record.queue] == ["fifteenth"]

    tenant.add_milestone("tenth", 10, "25% off your next visit", 25, 0)
    record.record_appointment(visits(1, first=15)[0], tenant.rules(), new_code)

    assert [queued.milestone_id for queued in record.queue] == ["tenth", "fifteenth"]


def test_a_re_reported_milestone_visit_never_issues_a_second_code() -> None:
    record, new_code = after_visits(5)
    record.redeem_reward(FIRST_CODE, "booking-a", day(6), new_code)
    record.collect_events()

    issued = record.record_appointment(appointment("b4", occurred_at=day(30)), COUNTING, new_code)

    assert issued == []
    assert event_names(record) == ["AppointmentRecorded"]
    assert set(record.rewards) == {"fifth"}
