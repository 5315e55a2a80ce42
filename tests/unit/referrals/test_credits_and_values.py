"""Credits: issued once, used oldest first at the next booking, to the cent, once per booking."""

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from starcard_events.limits import MAX_AMOUNT_MINOR, MAX_EMAIL_LENGTH, MAX_URL_LENGTH
from starcard_kernel.refusals import CurrencyMismatch
from starcard_loyalty.domain.errors import (
    CodeAlreadyRedeemed,
    CodeExpired,
    CodeOfAnotherClient,
    InvalidAmount,
)
from starcard_referrals.domain.credits import CreditAccount
from starcard_referrals.domain.errors import InvalidSettings
from starcard_referrals.domain.links import ReferralLink, VisitOutcome, referral_code
from starcard_referrals.domain.programme import Delivery, ReferralSettings
from starcard_referrals.domain.values import RewardValue
from starcard_referrals.domain.welcome import WelcomeCode, is_welcome_code, welcome_code

pytestmark = pytest.mark.unit

T0 = datetime(2026, 3, 2, 10, tzinfo=UTC)
TEN = RewardValue.of_amount(1000, "GBP")


def account() -> CreditAccount:
    return CreditAccount(tenant_id="anna", client_id="ada")


def test_a_credit_is_issued_once_per_referral() -> None:
    credits = account()
    assert credits.issue("zoe", TEN, T0)
    assert not credits.issue("zoe", TEN, T0)
    assert credits.available().amounts == {"GBP": 1000}


def test_a_fixed_credit_covers_part_of_a_price_and_the_rest_stays() -> None:
    credits = account()
    credits.issue("zoe", TEN, T0)
    use = credits.apply("booking-1", 600, "GBP", T0)
    assert (use.amount_minor, use.parts) == (600, (("zoe", 600),))
    assert credits.available().amounts == {"GBP": 400}
    assert credits.apply("booking-2", 4500, "GBP", T0).amount_minor == 400
    assert not credits.available().any


def test_applying_again_for_the_same_booking_uses_nothing_more() -> None:
    credits = account()
    credits.issue("zoe", TEN, T0)
    first = credits.apply("booking-1", 600, "GBP", T0)
    assert credits.apply("booking-1", 600, "GBP", T0) == first
    assert credits.available().amounts == {"GBP": 400}


def test_a_percentage_credit_is_used_whole_rounded_half_up_then_fixed_ones() -> None:
    credits = account()
    credits.issue("zoe", RewardValue.of_percent(10), T0)
    credits.issue("yan", TEN, T0)
    use = credits.apply("booking-1", 4995, "GBP", T0)
    # 10% of £49.95 is 499.5p, rounded half up to 500p; £10 more from the fixed credit.
    assert use.parts == (("zoe", 500), ("yan", 1000))
    assert use.amount_minor == 1500
    assert credits.available().percents == ()


def test_credit_never_takes_more_than_the_price_or_the_reported_cap() -> None:
    credits = account()
    credits.issue("zoe", TEN, T0)
    assert credits.apply("b1", 300, "GBP", T0, cap_minor=200).amount_minor == 200
    assert credits.available().amounts == {"GBP": 800}


def test_a_credit_in_another_currency_is_not_used() -> None:
    credits = account()
    credits.issue("zoe", TEN, T0)
    assert credits.apply("b1", 5000, "EUR", T0).amount_minor == 0
    assert credits.available().amounts == {"GBP": 1000}


def test_negative_amounts_are_refused() -> None:
    with pytest.raises(InvalidAmount):
        account().plan("b1", -1, "GBP")


def test_reward_values_are_an_amount_or_a_percentage() -> None:
    with pytest.raises(InvalidSettings):
        RewardValue(amount_minor=1000, currency="GBP", percent=10)
    with pytest.raises(InvalidSettings):
        RewardValue.of_percent(0)
    with pytest.raises(InvalidSettings):
        RewardValue.of_amount(0, "GBP")
    with pytest.raises(CurrencyMismatch):
        TEN.off(5000, "EUR")
    assert TEN.off(700, "GBP") == 700


def test_the_link_follows_the_booking_page() -> None:
    settings = ReferralSettings(reward=TEN, booking_page_url="https://anna.example/book?x=1")
    assert settings.link_url("abc") == "https://anna.example/book?x=1&ref=abc"
    assert ReferralSettings(reward=TEN).link_url("abc") is None
    with pytest.raises(InvalidSettings):
        ReferralSettings(reward=TEN, booking_page_url="javascript:alert(1)").check()
    with pytest.raises(InvalidSettings):
        ReferralSettings(reward=TEN, delivery=Delivery.ALERT).check()


def test_link_codes_carry_at_least_64_random_bits() -> None:
    drawn: list[int] = []

    def draw(nbytes: int) -> str:
        drawn.append(nbytes)
        return "x" * 16

    referral_code(draw)
    assert drawn[0] * 8 >= 64


def test_each_visitor_is_invited_once_and_the_owner_invites_nobody() -> None:
    link = ReferralLink(tenant_id="anna", code="c" * 16, client_id="ada", created_at=T0)
    assert link.record_visit("v1", T0) is VisitOutcome.INVITED
    assert link.record_visit("v1", T0) is None
    assert link.record_visit("ada", T0) is VisitOutcome.OWN_LINK


def test_a_welcome_code_is_single_use_for_its_client_until_it_expires() -> None:
    code = welcome_code(lambda alphabet: alphabet[0])
    assert is_welcome_code(code.lower())
    welcome = WelcomeCode(
        code=code,
        tenant_id="anna",
        client_id="zoe",
        value=TEN.as_event(),
        issued_at=T0,
        expires_at=T0.replace(year=2027),
    )
    with pytest.raises(CodeOfAnotherClient):
        welcome.redeem("b1", "ada", T0)
    with pytest.raises(CodeExpired):
        welcome.redeem("b1", "zoe", T0.replace(year=2027))
    welcome.redeem("b1", "zoe", T0)
    welcome.redeem("b1", "zoe", T0)
    with pytest.raises(CodeAlreadyRedeemed):
        welcome.redeem("b2", "zoe", T0)


def test_an_amount_beyond_what_json_carries_exactly_is_refused() -> None:
    with pytest.raises(InvalidAmount, match="minor units"):
        account().plan("b1", MAX_AMOUNT_MINOR + 1, "GBP")
    with pytest.raises(InvalidAmount, match="minor units"):
        RewardValue.of_amount(MAX_AMOUNT_MINOR + 1, "GBP")


@pytest.mark.parametrize(
    "changes",
    [
        {"alert_email": "owner@" + "x" * MAX_EMAIL_LENGTH},
        {"alert_email": "owner\x00@example.com"},
        {"booking_page_url": "https://book.example.com/" + "x" * MAX_URL_LENGTH},
        {"booking_page_url": "https://book.example.com/\x00"},
    ],
)
def test_settings_texts_are_bounded(changes: dict[str, Any]) -> None:
    with pytest.raises(InvalidSettings):
        replace(ReferralSettings(reward=TEN), **changes).check()
