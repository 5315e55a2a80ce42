"""Discount codes: their alphabet, their 12 months, their worth, and their single use."""

import re
import secrets
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starcard_events.facts import Reward
from starcard_kernel.money import percent_of as discount_minor
from starcard_loyalty.domain.codes import (
    CODE_ALPHABET,
    DiscountCode,
    check_money,
    code_expiry,
    is_loyalty_code,
    loyalty_code,
    normalize_code,
)
from starcard_loyalty.domain.errors import (
    CodeAlreadyRedeemed,
    CodeExpired,
    CodeOfAnotherClient,
    InvalidAmount,
)
from starcard_loyalty.domain.ids import discount_code_id

from .factories import CLIENT, TENANT, day, event_names, new_events

pytestmark = pytest.mark.unit

CODE = "LOYAL-7K3MPQ9X"
ISSUED_AT = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)
EXPIRES_AT = datetime(2026, 3, 3, 9, 30, tzinfo=UTC)


def discount_code(code: str = CODE) -> DiscountCode:
    """A 10% code of the test client, issued at ISSUED_AT, its "Issued" event collected."""
    issued = DiscountCode(
        code=code,
        tenant_id=TENANT,
        client_id=CLIENT,
        discount_percent=10,
        milestone_id="fifth",
        issued_at=ISSUED_AT,
        expires_at=code_expiry(ISSUED_AT),
    )
    issued.collect_events()
    return issued


def test_codes_use_only_the_unambiguous_alphabet() -> None:
    assert not set("0O1IL") & set(CODE_ALPHABET)
    assert len(set(CODE_ALPHABET)) == len(CODE_ALPHABET) == 31
    drawn = {loyalty_code(secrets.choice) for _ in range(2000)}

    assert len(drawn) == 2000
    for code in drawn:
        assert re.fullmatch(r"LOYAL-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}", code)


def test_a_code_fits_the_published_reward_contract() -> None:
    reward = Reward(
        client_id=CLIENT,
        milestone_id="fifth",
        code=loyalty_code(secrets.choice),
        discount_percent=10,
        expires_at=EXPIRES_AT,
    )

    assert reward.code is not None


@pytest.mark.parametrize(
    ("issued_at", "expires_at"),
    [
        (datetime(2025, 3, 3, 9, 30, tzinfo=UTC), datetime(2026, 3, 3, 9, 30, tzinfo=UTC)),
        (datetime(2024, 2, 29, 18, 0, tzinfo=UTC), datetime(2025, 2, 28, 18, 0, tzinfo=UTC)),
        (datetime(2025, 12, 31, 23, 59, tzinfo=UTC), datetime(2026, 12, 31, 23, 59, tzinfo=UTC)),
        (
            datetime(2025, 7, 1, 10, 0, tzinfo=ZoneInfo("Europe/London")),
            datetime(2026, 7, 1, 10, 0, tzinfo=ZoneInfo("Europe/London")),
        ),
    ],
)
def test_a_code_expires_on_the_same_day_twelve_months_later(
    issued_at: datetime, expires_at: datetime
) -> None:
    assert code_expiry(issued_at) == expires_at
    assert code_expiry(issued_at).tzinfo == issued_at.tzinfo


@pytest.mark.parametrize(
    ("amount_minor", "percent", "discount"),
    [(4995, 10, 500), (4994, 10, 499), (9000, 25, 2250), (1, 50, 1), (0, 10, 0), (333, 100, 333)],
)
def test_the_discount_is_rounded_half_up_to_the_minor_unit(
    amount_minor: int, percent: int, discount: int
) -> None:
    assert discount_minor(amount_minor, percent) == discount


@given(amount_minor=st.integers(min_value=0, max_value=2**53 - 1), percent=st.integers(1, 100))
def test_the_discount_is_never_more_than_the_amount(amount_minor: int, percent: int) -> None:
    off = discount_minor(amount_minor, percent)

    assert 0 <= off <= amount_minor
    assert abs(off * 100 - amount_minor * percent) <= 50


@pytest.mark.parametrize(("amount_minor", "currency"), [(-1, "GBP"), (100, "gbp"), (100, "POUND")])
def test_a_checkout_amount_must_be_real_money(amount_minor: int, currency: str) -> None:
    with pytest.raises(InvalidAmount):
        check_money(amount_minor, currency)


def test_codes_are_read_as_typed_at_a_till() -> None:
    assert normalize_code("  loyal-7k3mpq9x ") == CODE
    assert is_loyalty_code(" loyal-7k3mpq9x")
    assert not is_loyalty_code("SPRING-10")


def test_a_code_is_found_by_the_code_alone() -> None:
    code = discount_code()

    assert code.id == discount_code_id(CODE)
    assert code.status(ISSUED_AT) == "outstanding"
    assert code.discount_on(4995) == 500


def test_redeeming_a_code_records_the_booking_once() -> None:
    code = discount_code()

    code.redeem("booking-1", CLIENT, day(10))
    code.redeem("booking-1", CLIENT, day(11))

    [redeemed] = new_events(code)
    assert type(redeemed).__name__ == "Redeemed"
    assert (redeemed.booking_id, redeemed.redeemed_at) == ("booking-1", day(10))
    assert code.status(day(12)) == "redeemed"


def test_a_code_used_on_one_booking_is_refused_for_another() -> None:
    code = discount_code()
    code.redeem("booking-1", CLIENT, day(10))

    with pytest.raises(CodeAlreadyRedeemed):
        code.redeem("booking-2", CLIENT, day(11))


def test_a_code_is_only_for_the_client_who_earned_it() -> None:
    code = discount_code()

    with pytest.raises(CodeOfAnotherClient) as refused:
        code.redeem("booking-1", "someone-else", day(10))

    assert "someone-else" not in str(refused.value)
    assert new_events(code) == []


def test_an_expired_code_is_refused_and_recorded_as_expired_once() -> None:
    code = discount_code()

    with pytest.raises(CodeExpired):
        code.redeem("booking-1", CLIENT, EXPIRES_AT)
    code.expire(EXPIRES_AT - timedelta(seconds=1))
    assert new_events(code) == []

    code.expire(EXPIRES_AT + timedelta(days=2))
    code.expire(EXPIRES_AT + timedelta(days=3))

    [expired] = new_events(code)
    assert expired.expired_at == EXPIRES_AT
    assert code.status(ISSUED_AT) == "expired"


def test_a_redeemed_code_never_expires() -> None:
    code = discount_code()
    code.redeem("booking-1", CLIENT, day(10))
    code.collect_events()

    code.expire(EXPIRES_AT + timedelta(days=1))

    assert new_events(code) == []
    assert code.status(EXPIRES_AT + timedelta(days=1)) == "redeemed"


def test_the_same_booking_is_still_accepted_after_the_code_expired() -> None:
    code = discount_code()
    code.redeem("booking-1", CLIENT, day(10))
    code.collect_events()

    code.redeem("booking-1", CLIENT, EXPIRES_AT + timedelta(days=1))

    assert event_names(code) == []
