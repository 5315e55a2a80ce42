"""The shared kernel: money that refuses to mix currencies, and the single-use code lifecycle that
loyalty and welcome codes share, including the events they recorded before it was shared."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from eventsourcing.application import Application, project_aggregate
from eventsourcing.persistence import StoredEvent
from starcard_kernel.codes import SingleUseCode
from starcard_kernel.money import Money
from starcard_kernel.refusals import (
    CodeAlreadyRedeemed,
    CodeExpired,
    CodeOfAnotherClient,
    CurrencyMismatch,
    InvalidAmount,
)
from starcard_loyalty.domain.codes import DiscountCode
from starcard_referrals.domain.welcome import WelcomeCode

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
LATER = datetime(2027, 3, 2, 9, tzinfo=UTC)


def test_money_adds_and_compares_only_within_one_currency() -> None:
    ten, five = Money(1000, "GBP"), Money(500, "GBP")
    assert ten + five == Money(1500, "GBP")
    assert ten - five == five
    assert five < ten
    assert ten.at_most(five) == five
    with pytest.raises(CurrencyMismatch):
        _ = ten + Money(1000, "EUR")
    with pytest.raises(CurrencyMismatch):
        _ = ten < Money(1000, "EUR")
    with pytest.raises(InvalidAmount):
        _ = five - ten


def test_a_percentage_of_money_rounds_half_up_to_the_minor_unit() -> None:
    assert Money(4995, "GBP").percent(10) == Money(500, "GBP")
    assert Money(4994, "GBP").percent(10) == Money(499, "GBP")
    assert Money(100, "JPY").percent(100) == Money(100, "JPY")


@pytest.mark.parametrize(("amount", "currency"), [(-1, "GBP"), (2**53, "GBP"), (100, "gbp")])
def test_money_refuses_what_is_not_an_amount(amount: int, currency: str) -> None:
    with pytest.raises(InvalidAmount):
        Money(amount, currency)


def codes() -> list[SingleUseCode]:
    common: dict[str, Any] = {
        "tenant_id": "anna",
        "client_id": "zoe",
        "issued_at": T0,
        "expires_at": LATER,
    }
    value = {"amount_minor": 1000, "currency": "GBP", "percent": None}
    return [
        DiscountCode(code="LOYAL-2345", discount_percent=10, milestone_id="m", **common),
        WelcomeCode(code="REF-2345", value=value, **common),
    ]


@pytest.mark.parametrize("code", codes(), ids=["loyalty", "welcome"])
def test_every_programmes_code_is_single_use_for_its_client_until_it_expires(
    code: SingleUseCode,
) -> None:
    with pytest.raises(CodeOfAnotherClient):
        code.redeem("b1", "ada", T0)
    with pytest.raises(CodeExpired):
        code.redeem("b1", "zoe", LATER)
    code.redeem("b1", "zoe", T0)
    code.redeem("b1", "zoe", T0)  # the same booking again: a retry, nothing new
    code.check_redeemable("zoe", T0, booking_id="b1")
    with pytest.raises(CodeAlreadyRedeemed):
        code.redeem("b2", "zoe", T0)
    assert code.status(T0) == "redeemed"


@pytest.mark.parametrize("code", codes(), ids=["loyalty", "welcome"])
def test_codes_recorded_before_the_kernel_still_load(code: SingleUseCode) -> None:
    """Events stored under the subclass's name (``...:DiscountCode.Redeemed``) load as the
    kernel's, so codes issued before the lifecycle moved are still redeemed and expired."""
    code.redeem("b1", "zoe", T0)
    other = codes()[0 if isinstance(code, DiscountCode) else 1]
    other.expire(LATER)
    app: Application[Any] = Application()
    for aggregate in (code, other):
        stored = [app.mapper.to_stored_event(e) for e in aggregate.collect_events()]
        subclass = f"{type(aggregate).__module__}:{type(aggregate).__qualname__}"
        old = [
            StoredEvent(
                originator_id=s.originator_id,
                originator_version=s.originator_version,
                topic=s.topic.replace("starcard_kernel.codes:SingleUseCode", subclass),
                state=s.state,
            )
            for s in stored
        ]
        assert any(".Redeemed" in s.topic or ".Expired" in s.topic for s in old)
        assert all(s.topic.startswith(subclass) for s in old)
        loaded = project_aggregate(None, [app.mapper.to_domain_event(s) for s in old])
        assert isinstance(loaded, type(aggregate))
        assert (loaded.booking_id, loaded.expired_at) == (
            aggregate.booking_id,
            aggregate.expired_at,
        )
