"""A client's points account: rates, bonuses, lots and expiry, redemption, refunds, adjustments."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starcard_loyalty.domain.errors import InvalidPointsSettings, PointsRefused
from starcard_loyalty.domain.points import PointsAccount, Purchase, booking_source, order_source
from starcard_loyalty.domain.points_settings import (
    Expiry,
    PointsSettings,
    ServiceBonus,
    points_for,
    points_to_pay,
    points_worth,
)

pytestmark = pytest.mark.unit

T0 = datetime(2026, 3, 10, 10, tzinfo=UTC)
CLINIC = PointsSettings(
    enabled=True,
    treatment_rate=100,
    category_rates={"injectables": 300, "laser": 200},
    retail_rate=50,
    expiry=Expiry.AFTER_DAYS,
    expiry_days=365,
    points_per_currency_unit=100,
    min_redeem_points=500,
    max_bill_percent=50,
).check()


def account() -> PointsAccount:
    return PointsAccount(tenant_id="clinic", client_id="ada")


def treatment(
    booking: str,
    amount: int,
    *,
    category: str | None = "facials",
    at: datetime = T0,
    method: str = "card",
    service_id: str = "svc-1",
) -> Purchase:
    return Purchase(
        source=booking_source(booking),
        booking_id=booking,
        amount_minor=amount,
        currency="GBP",
        payment_method=method,
        occurred_at=at,
        retail=False,
        service_id=service_id,
        category=category,
        detail="Treatment",
    )


def retail(order: str, sku: str, amount: int, at: datetime = T0) -> Purchase:
    return Purchase(
        source=order_source(order, sku),
        booking_id=None,
        amount_minor=amount,
        currency="GBP",
        payment_method="card",
        occurred_at=at,
        retail=True,
        category="skincare",
    )


def always(s: PointsSettings = CLINIC):  # type: ignore[no-untyped-def]
    return lambda _at: s


def lots(acc: PointsAccount) -> dict[str, int]:
    return {lot.lot_id: lot.remaining for lot in acc.open_lots()}


# -- arithmetic ------------------------------------------------------------------------------


def test_points_are_whole_and_rounded_down_on_the_minor_units_paid() -> None:
    assert points_for(4599, "GBP", 150) == 68  # 68.985
    assert points_for(4599, "JPY", 100) == 4599
    assert points_for(99, "GBP", 100) == 0
    assert points_worth(250, "GBP", 100) == 250
    assert points_worth(3, "GBP", 200) == 1  # 1.5p rounds down
    assert points_to_pay(1, "GBP", 200) == 2


def test_rates_by_category_retail_lower_and_the_default_for_the_rest() -> None:
    acc = account()
    acc.earn(treatment("botox", 30000, category="Injectables"), always())
    acc.earn(treatment("laser", 20000, category="laser"), always())
    acc.earn(treatment("facial", 8000, category="facials"), always())
    acc.earn(retail("o1", "serum", 4000), always())

    assert lots(acc) == {
        "booking:botox#base": 900,
        "booking:laser#base": 400,
        "booking:facial#base": 80,
        "order:o1:serum#base": 20,
    }
    assert acc.balance() == 1400


def test_only_money_paid_by_an_earning_method_earns_and_the_history_says_why() -> None:
    acc = account()
    acc.earn(treatment("pkg", 30000, method="package"), always())

    assert acc.balance() == 0
    earned: list[Any] = [e for e in acc.collect_events() if type(e).__name__ == "Earned"]
    assert earned[0].points == 0
    assert "paid by package" in earned[0].detail


def test_a_source_earns_once_however_often_it_is_reported() -> None:
    acc = account()
    for _ in range(3):
        acc.earn(treatment("b1", 10000), always())
    assert acc.balance() == 100


def test_service_and_category_bonuses_multiply_or_add() -> None:
    promo = PointsSettings(
        **{
            **CLINIC.__dict__,
            "service_bonuses": (
                ServiceBonus("double-laser", category="laser", multiplier_hundredths=200),
                ServiceBonus("hydrafacial", service_id="svc-hydra", points=50),
            ),
        }
    ).check()
    acc = account()
    acc.earn(treatment("l1", 10000, category="Laser"), always(promo))
    acc.earn(treatment("h1", 10000, service_id="svc-hydra"), always(promo))

    assert lots(acc) == {
        "booking:l1#base": 200,
        "booking:l1#bonus:double-laser": 200,
        "booking:h1#base": 100,
        "booking:h1#bonus:hydrafacial": 50,
    }


def test_rebooking_within_the_window_earns_the_bonus_whichever_visit_is_reported_first() -> None:
    rebook = PointsSettings(
        **{**CLINIC.__dict__, "rebook_within_days": 30, "rebook_bonus_points": 75}
    )
    first, second, late = T0, T0 + timedelta(days=20), T0 + timedelta(days=90)
    in_order, reversed_order = account(), account()
    for acc, feed in (
        (in_order, [("a", first), ("b", second), ("c", late)]),
        (reversed_order, [("c", late), ("b", second), ("a", first)]),
    ):
        for booking, at in feed:
            acc.earn(treatment(booking, 10000, at=at), always(rebook))

    assert lots(in_order) == lots(reversed_order)
    assert "booking:b#rebook" in lots(in_order)
    assert "booking:c#rebook" not in lots(in_order)
    assert in_order.balance() == 375


def test_a_settings_change_applies_from_when_it_is_made() -> None:
    before = CLINIC
    after = PointsSettings(**{**CLINIC.__dict__, "treatment_rate": 500})
    change = T0 + timedelta(days=1)

    def settings_at(at: datetime) -> PointsSettings:
        return after if at >= change else before

    acc = account()
    acc.earn(treatment("new", 10000, at=change + timedelta(hours=1)), settings_at)
    acc.earn(treatment("old", 10000, at=T0), settings_at)  # reported late

    assert lots(acc) == {"booking:old#base": 100, "booking:new#base": 500}


# -- expiry ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expiry", "days", "earned", "expires_on"),
    [
        (Expiry.AFTER_DAYS, 30, datetime(2026, 1, 31, 23, tzinfo=UTC), date(2026, 3, 2)),
        (Expiry.END_OF_MONTH, None, datetime(2026, 2, 3, tzinfo=UTC), date(2026, 3, 1)),
        (Expiry.END_OF_YEAR, None, datetime(2026, 12, 31, tzinfo=UTC), date(2027, 1, 1)),
        (Expiry.NEVER, None, datetime(2026, 12, 31, tzinfo=UTC), None),
    ],
)
def test_expiry_policies(
    expiry: Expiry, days: int | None, earned: datetime, expires_on: date | None
) -> None:
    s = PointsSettings(enabled=True, expiry=expiry, expiry_days=days).check()
    assert s.expires_on(earned) == expires_on


def test_a_lot_expires_on_the_tick_of_its_day_exactly_once() -> None:
    acc = account()
    acc.earn(treatment("b1", 10000), always())
    due = (T0 + timedelta(days=365)).date()

    assert acc.expire(due - timedelta(days=1), T0) == 0
    assert acc.expire(due, T0) == 100
    assert acc.expire(due, T0) == 0
    assert acc.expire(due + timedelta(days=5), T0) == 0
    assert acc.balance() == 0


def test_notice_before_expiry_once_per_date() -> None:
    acc = account()
    acc.earn(treatment("b1", 10000), always())
    due = (T0 + timedelta(days=365)).date()

    assert acc.expiring_soon(due - timedelta(days=15), 14) is None
    assert acc.notify_expiry(due - timedelta(days=14), 14, T0)
    assert not acc.notify_expiry(due - timedelta(days=13), 14, T0)


# -- redemption --------------------------------------------------------------------------------


def rich() -> PointsAccount:
    acc = account()
    acc.earn(treatment("old", 100000, at=T0), always())  # 1000, expires T0+365
    acc.earn(treatment("new", 100000, at=T0 + timedelta(days=100)), always())  # expires later
    return acc


def test_redemption_takes_the_soonest_expiring_lot_first_and_is_exact_to_the_cent() -> None:
    acc = rich()
    redemption = acc.redeem(
        "visit-9",
        1200,
        bill_minor=30000,
        currency="GBP",
        at=T0 + timedelta(days=120),
        settings=CLINIC,
    )

    assert (redemption.points, redemption.discount_minor) == (1200, 1200)
    assert redemption.draws == (("booking:old#base", 1000), ("booking:new#base", 200))
    assert acc.balance() == 800


def test_redemption_is_idempotent_by_booking() -> None:
    acc = rich()
    at = T0 + timedelta(days=120)
    first = acc.redeem("visit-9", 600, bill_minor=30000, currency="GBP", at=at, settings=CLINIC)
    again = acc.redeem("visit-9", 900, bill_minor=30000, currency="GBP", at=at, settings=CLINIC)
    assert again == first
    assert acc.balance() == 1400


@pytest.mark.parametrize(
    ("points", "bill", "message"),
    [
        (499, 30000, "At least 500 points"),
        (2001, 900000, "has 2000 points"),
        (1600, 3000, "at most 50% of the bill"),
    ],
)
def test_redemption_refusals_say_what_to_change(points: int, bill: int, message: str) -> None:
    acc = rich()
    with pytest.raises(PointsRefused, match=message):
        acc.redeem(
            "x",
            points,
            bill_minor=bill,
            currency="GBP",
            at=T0 + timedelta(days=120),
            settings=CLINIC,
        )
    assert acc.balance() == 2000


def test_points_past_their_day_cannot_be_spent_before_the_tick_arrives() -> None:
    acc = rich()
    late = T0 + timedelta(days=366)
    assert acc.usable(late) == 1000
    with pytest.raises(PointsRefused, match="has 1000 points"):
        acc.redeem("x", 1500, bill_minor=900000, currency="GBP", at=late, settings=CLINIC)


def test_quote_caps_at_the_share_of_the_bill_and_the_balance() -> None:
    acc = rich()
    quote = acc.quote(3001, "GBP", T0 + timedelta(days=120), CLINIC)
    assert (quote.max_points, quote.max_discount_minor, quote.usable) == (1500, 1500, 2000)
    small = acc.quote(800, "GBP", T0 + timedelta(days=120), CLINIC)
    assert (small.max_points, small.max_discount_minor) == (0, 0)  # 400 < minimum of 500


# -- refunds ----------------------------------------------------------------------------------


def test_a_partial_refund_reverses_in_proportion_and_two_partials_add_up() -> None:
    acc = account()
    acc.earn(treatment("b1", 10000), always())  # 100 points
    acc.refund("r1", [(booking_source("b1"), 3333, "GBP")], T0)
    acc.refund("r1", [(booking_source("b1"), 3333, "GBP")], T0)  # re-sent
    assert acc.balance() == 67  # 100 * 3333 // 10000 = 33
    acc.refund("r2", [(booking_source("b1"), 6667, "GBP")], T0)
    assert acc.balance() == 0


def test_a_refund_before_its_purchase_applies_when_the_purchase_arrives() -> None:
    acc = account()
    acc.refund("r1", [("order:o1", None, None)], T0)
    acc.earn(retail("o1", "serum", 4000), always())
    acc.earn(retail("o1", "cream", 6000), always())
    acc.earn(retail("o2", "cream", 6000), always())
    assert lots(acc) == {"order:o2:cream#base": 30}


def test_a_refund_of_points_already_spent_leaves_a_debt_later_earnings_pay_first() -> None:
    acc = rich()
    at = T0 + timedelta(days=120)
    acc.redeem("v", 1500, bill_minor=300000, currency="GBP", at=at, settings=CLINIC)
    acc.refund("r", [(booking_source("old"), None, None)], at)  # old earned 1000
    assert acc.balance() == -500
    assert lots(acc) == {}
    acc.earn(treatment("next", 80000, at=at), always())  # 800
    assert acc.balance() == 300
    assert lots(acc) == {"booking:next#base": 300}


def test_a_whole_refund_of_a_booking_paid_with_points_gives_them_back_to_their_lots() -> None:
    acc = rich()
    at = T0 + timedelta(days=120)
    acc.redeem("visit-9", 1200, bill_minor=30000, currency="GBP", at=at, settings=CLINIC)
    acc.refund("r9", [(booking_source("visit-9"), None, None)], at, whole_booking="visit-9")
    acc.refund("r9", [(booking_source("visit-9"), None, None)], at, whole_booking="visit-9")
    assert lots(acc) == {"booking:old#base": 1000, "booking:new#base": 1000}


def test_a_refund_in_another_currency_is_refused_before_anything_changes() -> None:
    acc = account()
    acc.earn(treatment("b1", 10000), always())
    with pytest.raises(PointsRefused, match="in EUR, but booking:b1 was paid in GBP"):
        acc.refund("r1", [(booking_source("b1"), 100, "EUR")], T0)
    assert "r1" not in acc.refund_ids


# -- by hand ---------------------------------------------------------------------------------


def test_an_adjustment_needs_a_note_and_cannot_take_more_than_the_balance() -> None:
    acc = rich()
    with pytest.raises(PointsRefused, match="note"):
        acc.adjust("a1", 50, "  ", T0, CLINIC)
    with pytest.raises(PointsRefused, match="cannot be taken"):
        acc.adjust("a1", -2001, "typo", T0, CLINIC)
    acc.adjust("a1", -1, "goodwill correction", T0, CLINIC)
    acc.adjust("a1", -1, "goodwill correction", T0, CLINIC)
    acc.adjust("a2", 25, "birthday gift", T0, CLINIC)
    assert acc.balance() == 2024


def test_settings_refuse_what_a_clinic_could_not_mean() -> None:
    with pytest.raises(InvalidPointsSettings) as refused:
        PointsSettings(
            enabled=True,
            treatment_rate=-1,
            expiry=Expiry.AFTER_DAYS,
            max_bill_percent=0,
            rebook_bonus_points=10,
            earning_payment_methods=frozenset({"barter"}),
        ).check()
    text = str(refused.value)
    for words in (
        "treatment_rate",
        "expiry_days",
        "max_bill_percent",
        "rebook_within_days",
        "barter",
    ):
        assert words in text


def test_settings_survive_their_stored_form() -> None:
    s = PointsSettings(
        **{**CLINIC.__dict__, "service_bonuses": (ServiceBonus("x", category="laser", points=5),)}
    ).check()
    assert PointsSettings.from_record(s.to_record()) == s


# -- the property: arrival order and duplicates do not matter -------------------------------------

Feed = list[tuple[str, object]]


@st.composite
def feeds(draw: st.DrawFn) -> Feed:
    """A client's purchases and refunds, some refunds partial, some of orders."""
    feed: Feed = []
    for index in range(draw(st.integers(1, 6))):
        at = T0 + timedelta(days=draw(st.integers(0, 200)))
        amount = draw(st.integers(0, 50000))
        if draw(st.booleans()):
            booking = f"b{index}"
            feed.append(
                (
                    "earn",
                    treatment(
                        booking,
                        amount,
                        at=at,
                        category=draw(st.sampled_from(["laser", "facials", None])),
                    ),
                )
            )
            refund = draw(st.sampled_from(["none", "whole", "part", "two parts"]))
            source = booking_source(booking)
        else:
            order = f"o{index}"
            feed.append(("earn", retail(order, "sku", amount, at=at)))
            refund = draw(st.sampled_from(["none", "whole", "part", "whole order"]))
            source = order_source(order, "sku")
        part = draw(st.integers(0, amount))
        match refund:
            case "whole":
                feed.append(("refund", (f"r{index}", [(source, None, None)])))
            case "whole order":
                feed.append(("refund", (f"r{index}", [(source.rsplit(":", 1)[0], None, None)])))
            case "part":
                feed.append(("refund", (f"r{index}", [(source, part, "GBP")])))
            case "two parts":
                feed.append(("refund", (f"r{index}a", [(source, part // 2, "GBP")])))
                feed.append(("refund", (f"r{index}b", [(source, part - part // 2, "GBP")])))
    return feed


def play(feed: Feed, s: PointsSettings) -> PointsAccount:
    acc = account()
    for kind, item in feed:
        if kind == "earn":
            assert isinstance(item, Purchase)
            acc.earn(item, always(s))
        else:
            refund_id, sources = cast("tuple[str, list[tuple[str, int | None, str | None]]]", item)
            acc.refund(refund_id, sources, T0)
    return acc


REBOOK = PointsSettings(
    **{
        **CLINIC.__dict__,
        "rebook_within_days": 30,
        "rebook_bonus_points": 40,
        "service_bonuses": (
            ServiceBonus("laser", category="laser", multiplier_hundredths=150, points=7),
        ),
    }
).check()


@settings(max_examples=150, deadline=None)
@given(feed=feeds(), data=st.data())
def test_any_shuffle_and_duplication_of_a_feed_gives_the_same_balance_and_lots(
    feed: Feed, data: st.DataObject
) -> None:
    expected = play(feed, REBOOK)
    shuffled = data.draw(
        st.permutations(feed + data.draw(st.lists(st.sampled_from(feed), max_size=4)))
    )
    actual = play(copy.deepcopy(shuffled), REBOOK)

    assert actual.balance() == expected.balance()
    assert {
        lot.lot_id: (lot.points, lot.remaining, lot.expires_on) for lot in actual.lots.values()
    } == {lot.lot_id: (lot.points, lot.remaining, lot.expires_on) for lot in expected.lots.values()}


def test_a_points_discount_reported_on_a_booking_takes_its_points_once() -> None:
    acc = rich()
    at = T0 + timedelta(days=120)
    taken = acc.record_booking_redemption("v1", 350, "GBP", at, CLINIC)
    again = acc.record_booking_redemption("v1", 350, "GBP", at, CLINIC)
    assert taken == again
    assert taken is not None
    assert taken.points == 350
    assert acc.balance() == 1650
    checkout = acc.redeem("v2", 600, bill_minor=30000, currency="GBP", at=at, settings=CLINIC)
    assert acc.record_booking_redemption("v2", 600, "GBP", at, CLINIC) == checkout
    assert acc.balance() == 1050


def test_a_points_discount_beyond_the_balance_takes_what_there_is() -> None:
    acc = account()
    acc.earn(treatment("b1", 10000), always())
    taken = acc.record_booking_redemption("v1", 250, "GBP", T0, CLINIC)
    assert taken is not None
    assert taken.points == 100
    assert acc.balance() == 0
    assert account().record_booking_redemption("v1", 250, "GBP", T0, CLINIC) is None


def test_a_grant_of_another_programme_credits_once_with_its_expiry() -> None:
    acc = account()
    acc.grant("referral:bo", "referral", 250, T0, CLINIC)
    acc.grant("referral:bo", "referral", 250, T0, CLINIC)
    assert lots(acc) == {"grant:referral:bo#referral": 250}
    assert acc.lots["grant:referral:bo#referral"].expires_on == (T0 + timedelta(days=365)).date()


def test_a_back_to_back_part_or_a_visit_that_earned_nothing_gets_no_rebooking_bonus() -> None:
    rebook = PointsSettings(
        **{**CLINIC.__dict__, "rebook_within_days": 30, "rebook_bonus_points": 75}
    )
    acc = account()
    first = treatment("massage", 10000)
    add_on = Purchase(
        **{
            **first.__dict__,
            "source": booking_source("add-on"),
            "booking_id": "add-on",
            "occurred_at": T0 + timedelta(minutes=60),
            "visit_key": "b2b:g1",
        }
    )
    acc.earn(Purchase(**{**first.__dict__, "visit_key": "b2b:g1"}), always(rebook))
    acc.earn(add_on, always(rebook))
    acc.earn(treatment("pkg", 10000, at=T0 + timedelta(days=3), method="package"), always(rebook))
    assert not [lot for lot in lots(acc) if lot.endswith("#rebook")]
    acc.earn(treatment("paid", 10000, at=T0 + timedelta(days=4)), always(rebook))
    assert "booking:paid#rebook" in lots(acc)


def test_two_rates_for_one_category_are_refused() -> None:
    with pytest.raises(InvalidPointsSettings, match="same category"):
        PointsSettings(enabled=True, category_rates={"Facials": 100, "facials ": 150}).check()


def test_the_quote_never_offers_more_than_the_share_of_the_bill() -> None:
    coarse = PointsSettings(enabled=True, points_per_currency_unit=10).check()
    acc = rich()
    quote = acc.quote(995, "GBP", T0 + timedelta(days=120), coarse)
    assert (quote.max_points, quote.max_discount_minor) == (99, 990)
    acc.redeem("b", quote.max_points, bill_minor=995, currency="GBP", at=T0, settings=coarse)


def test_a_refund_after_its_points_expired_takes_no_more_than_one_before() -> None:
    before, after = account(), account()
    due = (T0 + timedelta(days=365)).date()
    for acc in (before, after):
        acc.earn(treatment("keep", 5000), always())
        acc.earn(treatment("b", 10000), always())
    before.refund("r", [(booking_source("b"), None, None)], T0)
    before.expire(due, T0)
    after.expire(due, T0)
    after.refund("r", [(booking_source("b"), None, None)], T0)
    assert before.balance() == after.balance() == 0


def test_one_rebooking_bonus_per_visit_of_back_to_back_parts() -> None:
    rebook = PointsSettings(
        **{**CLINIC.__dict__, "rebook_within_days": 30, "rebook_bonus_points": 75}
    )
    acc = account()
    acc.earn(treatment("x", 10000), always(rebook))
    later = T0 + timedelta(days=10)
    for part in ("y", "z"):
        acc.earn(
            Purchase(**{**treatment(part, 10000, at=later).__dict__, "visit_key": "b2b:g"}),
            always(rebook),
        )
    assert [lot for lot in lots(acc) if lot.endswith("#rebook")] == ["booking:y#rebook"]


def test_points_of_a_refunded_or_cancelled_booking_are_not_kept_spent() -> None:
    acc = rich()
    at = T0 + timedelta(days=120)
    acc.refund("r", [(booking_source("gone"), None, None)], at, whole_booking="gone")
    assert acc.record_booking_redemption("gone", 500, "GBP", at, CLINIC) is None
    with pytest.raises(PointsRefused, match="was refunded"):
        acc.redeem("gone", 500, bill_minor=30000, currency="GBP", at=at, settings=CLINIC)
    acc.record_booking_redemption("prepaid", 500, "GBP", at, CLINIC)
    assert acc.balance() == 1500
    acc.cancel_booking("prepaid", at)
    acc.cancel_booking("prepaid", at)
    assert acc.balance() == 2000


def test_a_tier_multiplier_adds_a_bonus_of_its_own_named_for_the_tier() -> None:
    acc = account()
    vip = replace(treatment("b1", 10000), tier_multiplier=("vip", 150))
    acc.earn(vip, lambda _at: CLINIC)
    earned: list[Any] = [e for e in acc.collect_events() if type(e).__name__ == "Earned"]
    assert [(e.reason, e.rule, e.points) for e in earned] == [
        ("earned", None, 100),
        ("bonus", "tier:vip", 50),
    ]
