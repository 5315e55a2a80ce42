"""What makes a session count: full price, length, back-to-back visits."""

from datetime import datetime

import pytest
from starcard_loyalty.domain.counting import (
    Appointment,
    Part,
    counts_toward,
    group_into_visits,
    has_disqualifying_discount,
    is_full_price,
    manually_priced_down,
    paid_with_gift_card_or_account_credit,
    paid_with_membership_or_package,
)

from .factories import LIST_PRICE, START, appointment, day

pytestmark = pytest.mark.unit

DISCOUNT_KINDS = [
    "back_to_back",
    "eco",
    "promo_code",
    "gift_card",
    "manual",
    "label",
    "membership_credit",
    "package",
    "loyalty_code",
    "referral_credit",
]


def full_price(booked: Appointment) -> bool:
    return is_full_price(booked, client_has_label_discount=False)


def test_a_card_payment_at_list_price_with_no_discount_is_full_price() -> None:
    assert full_price(appointment())


@pytest.mark.parametrize("payment_method", ["membership_credit", "package"])
def test_a_session_paid_with_a_membership_credit_or_package_is_not_full_price(
    payment_method: str,
) -> None:
    assert paid_with_membership_or_package(appointment(payment_method=payment_method))
    assert not full_price(appointment(payment_method=payment_method))


@pytest.mark.parametrize("payment_method", ["gift_card", "credit"])
def test_a_session_paid_with_a_gift_card_or_account_credit_is_not_full_price(
    payment_method: str,
) -> None:
    assert paid_with_gift_card_or_account_credit(appointment(payment_method=payment_method))
    assert not full_price(appointment(payment_method=payment_method))


@pytest.mark.parametrize("payment_method", ["card", "cash", "other"])
def test_paying_with_the_clients_own_money_can_be_full_price(payment_method: str) -> None:
    assert full_price(appointment(payment_method=payment_method))


@pytest.mark.parametrize("kind", DISCOUNT_KINDS)
def test_any_discount_stacked_on_the_booking_disqualifies_it(kind: str) -> None:
    assert has_disqualifying_discount(appointment(discounts=[kind]))
    assert not full_price(appointment(discounts=[kind]))


@pytest.mark.parametrize("kind", ["loyalty_code", "referral_credit", "tier"])
def test_redeeming_a_reward_credit_or_a_tier_discount_is_not_full_price(kind: str) -> None:
    assert not full_price(appointment(discounts=[kind], price_minor=LIST_PRICE - 900))


def test_a_price_adjusted_down_by_hand_is_not_full_price_even_without_a_discount() -> None:
    assert manually_priced_down(appointment(price_minor=LIST_PRICE - 1))
    assert not full_price(appointment(price_minor=LIST_PRICE - 1))


def test_a_price_above_the_list_price_is_still_full_price() -> None:
    assert full_price(appointment(price_minor=LIST_PRICE + 1500))


def test_a_client_with_a_label_discount_never_pays_full_price() -> None:
    assert not is_full_price(appointment(), client_has_label_discount=True)


def test_an_appointment_needs_a_timezone_aware_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        appointment(occurred_at=datetime(2025, 3, 3, 9, 0))  # noqa: DTZ001


def part(visit_key: str, minutes: int, *, full_price: bool = True, at: datetime = START) -> Part:
    return Part(visit_key=visit_key, minutes=minutes, full_price=full_price, occurred_at=at)


def test_back_to_back_parts_are_summed_into_one_visit() -> None:
    [visit] = group_into_visits(
        [part("group-1", 60), part("group-1", 30)], client_has_label_discount=False
    )
    assert (visit.visit_key, visit.minutes, visit.parts) == ("group-1", 90, 2)


def test_a_discounted_add_on_does_not_spoil_the_full_price_treatment() -> None:
    [visit] = group_into_visits(
        [part("group-1", 60), part("group-1", 30, full_price=False)],
        client_has_label_discount=False,
    )
    assert visit.full_price
    assert visit.minutes == 90


def test_a_visit_with_no_full_price_part_is_discounted() -> None:
    [visit] = group_into_visits(
        [part("group-1", 60, full_price=False), part("group-1", 30, full_price=False)],
        client_has_label_discount=False,
    )
    assert not visit.full_price


def test_a_label_discount_makes_every_visit_discounted() -> None:
    [visit] = group_into_visits([part("b1", 60)], client_has_label_discount=True)
    assert not visit.full_price


def test_visits_are_listed_earliest_first() -> None:
    found = group_into_visits(
        [part("late", 60, at=day(2)), part("early", 60, at=day(0)), part("late", 30, at=day(1))],
        client_has_label_discount=False,
    )
    assert [visit.visit_key for visit in found] == ["early", "late"]


def test_a_full_price_visit_counts_by_default() -> None:
    assert counts_toward(60, True, min_minutes=0, count_discounted=False)


def test_a_discounted_visit_does_not_count_by_default() -> None:
    assert not counts_toward(60, False, min_minutes=0, count_discounted=False)


def test_the_toggle_counts_every_visit_however_it_was_discounted() -> None:
    assert counts_toward(60, False, min_minutes=0, count_discounted=True)


def test_a_visit_shorter_than_the_milestones_minimum_does_not_count() -> None:
    assert not counts_toward(59, True, min_minutes=60, count_discounted=False)
    assert counts_toward(60, True, min_minutes=60, count_discounted=False)


def test_the_toggle_does_not_waive_a_minimum_length() -> None:
    assert not counts_toward(30, False, min_minutes=60, count_discounted=True)


def test_a_minimum_of_zero_counts_any_length() -> None:
    assert counts_toward(0, True, min_minutes=0, count_discounted=False)
