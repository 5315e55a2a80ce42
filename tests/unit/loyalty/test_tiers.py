"""Membership tiers on rolling spend: upgrades in event time, drops on the day spend ages out or
a refund takes it below, the keep period, warnings, and the same history whatever the order."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starcard_loyalty.domain.errors import InvalidTierSettings
from starcard_loyalty.domain.membership import Membership, Spend, TierChange
from starcard_loyalty.domain.programme import LoyaltyProgramme
from starcard_loyalty.domain.tier_checkout import CheckoutLine, LineKind, tier_checkout
from starcard_loyalty.domain.tier_settings import (
    TIERS_OFF,
    DropMode,
    SpendKind,
    Tier,
    TierSettings,
    months_after,
)
from starcard_loyalty.domain.versions import Versions

pytestmark = pytest.mark.unit

T0 = datetime(2026, 3, 10, 10, tzinfo=UTC)
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
CLINIC = TierSettings(enabled=True, warn_days=14).check()
"""Regular; VIP from £1,000 in 12 months; Elite from £2,500."""


def at(day: int, hour: int = 10) -> datetime:
    return T0.replace(hour=hour) + timedelta(days=day)


def on(settings: TierSettings = CLINIC) -> Versions[TierSettings]:
    """The tenant's tier settings: `settings` since long before the feed."""
    return Versions(TIERS_OFF, [(EPOCH, settings)])


def member() -> Membership:
    return Membership(tenant_id="clinic", client_id="ada")


def treatment(booking: str, pounds: int, day: int, hour: int = 10) -> Spend:
    return Spend(f"booking:{booking}", pounds * 100, at(day, hour), SpendKind.TREATMENT)


def changes(account: Membership, settings: TierSettings = CLINIC) -> list[tuple[str, str, str]]:
    return [(c.from_tier, c.to_tier, c.reason) for c in account.standing(on(settings)).history]


def recorded(account: Membership, kind: str) -> list[Any]:
    return [e for e in account.collect_events() if type(e).__name__ == kind]


def told(account: Membership) -> list[dict[str, Any]]:
    return [
        {"to": e.to_tier, "direction": e.direction, "reason": e.reason, "at": e.at}
        for e in recorded(account, "TierChanged")
    ]


def test_the_purchase_that_crosses_the_threshold_upgrades_at_its_own_moment() -> None:
    account = member()
    account.count(treatment("b1", 600, 0), on())
    account.count(treatment("b2", 400, 30, hour=15), on())

    history = account.standing(on()).history
    assert history == (TierChange(at(30, 15), "regular", "vip", "spend_reached", 100_000),)
    assert told(account) == [
        {"to": "vip", "direction": "up", "reason": "spend_reached", "at": at(30, 15)}
    ]


def test_an_upgrade_skips_straight_to_the_highest_tier_reached() -> None:
    account = member()
    account.count(treatment("b1", 3000, 0), on())
    assert account.standing(on()).tier_id == "elite"
    assert changes(account) == [("regular", "elite", "spend_reached")]


def test_a_drop_happens_on_the_day_the_purchase_ages_out_not_a_day_before() -> None:
    account = member()
    account.count(treatment("b1", 1000, 0), on())
    leaves = months_after(at(0).date(), 12)

    account.review(leaves - timedelta(days=1), at(0), on())
    assert account.standing(on()).tier_id == "vip"

    account.review(leaves, at(0), on())
    standing = account.standing(on())
    assert standing.tier_id == "regular"
    assert standing.history[-1].at == datetime(leaves.year, leaves.month, leaves.day, tzinfo=UTC)
    assert standing.history[-1].reason == "spend_left_window"


def test_a_purchase_inside_the_window_keeps_the_tier_past_an_older_one_leaving() -> None:
    account = member()
    account.count(treatment("b1", 1000, 0), on())
    account.count(treatment("b2", 1000, 200), on())
    account.review(months_after(at(0).date(), 12), at(0), on())
    assert account.standing(on()).tier_id == "vip"
    assert account.standing(on()).drops_on == months_after(at(200).date(), 12)


def test_a_refund_that_takes_the_spend_below_drops_the_tier_at_the_refund() -> None:
    account = member()
    account.count(treatment("b1", 600, 0), on())
    account.count(treatment("b2", 600, 1), on())
    account.refund("r1", [("booking:b2", 30_000)], at(5), on())

    history = account.standing(on()).history
    assert [(c.to_tier, c.reason, c.at) for c in history] == [
        ("vip", "spend_reached", at(1)),
        ("regular", "refunded", at(5)),
    ]
    assert [e["direction"] for e in told(account)] == ["up", "down"]


def test_a_refund_arriving_before_its_purchase_is_applied_when_the_purchase_comes() -> None:
    account = member()
    account.refund("r1", [("booking:b1", None)], at(5), on())
    account.count(treatment("b1", 1200, 0), on())
    # Counted at its moment, refunded at the refund's: VIP for five days, then back.
    assert changes(account) == [("regular", "vip", "spend_reached"), ("vip", "regular", "refunded")]


def test_a_partial_refund_is_taken_off_once_whatever_its_moment() -> None:
    for refund_day in (-1, 0, 3):
        account = member()
        account.refund("r1", [("booking:b1", 30_000)], at(refund_day), on())
        account.count(treatment("b1", 1000, 0), on())
        assert account.standing(on()).spend_minor == 70_000


def test_purchases_leaving_on_the_same_day_leave_together() -> None:
    account = member()
    account.count(treatment("b1", 600, 0), on())
    account.count(treatment("b2", 500, 0, hour=11), on())
    account.review(months_after(at(0).date(), 12), at(0), on())
    assert account.standing(on()).history[-1].spend_minor == 0


def test_within_the_keep_period_a_drop_waits_for_its_end() -> None:
    keep = replace(CLINIC, keep_days=90)
    account = member()
    account.count(treatment("b1", 1000, 0), on(keep))
    account.refund("r1", [("booking:b1", None)], at(10), on(keep))
    assert account.standing(on(keep)).tier_id == "vip"
    assert account.standing(on(keep)).drops_on == at(90).date()

    account.review(at(89).date(), at(89), on(keep))
    assert account.standing(on(keep)).tier_id == "vip"
    account.review(at(90).date(), at(90), on(keep))
    assert changes(account, keep)[-1] == ("vip", "regular", "keep_period_ended")


def test_one_tier_down_or_straight_to_the_tier_the_spend_matches() -> None:
    for mode, expected in ((DropMode.ONE_TIER, "vip"), (DropMode.TO_SPEND, "regular")):
        chosen = replace(CLINIC, drop=mode)
        account = member()
        account.count(treatment("b1", 2600, 0), on(chosen))
        account.refund("r1", [("booking:b1", 200_000)], at(3), on(chosen))
        assert account.standing(on(chosen)).tier_id == expected


def test_a_lower_stay_threshold_keeps_a_tier_the_entry_threshold_would_not() -> None:
    lenient = replace(
        CLINIC,
        tiers=(Tier("regular", "Regular", 0), Tier("vip", "VIP", 100_000, stay_minor=80_000)),
    ).check()
    account = member()
    account.count(treatment("b1", 1000, 0), on(lenient))
    account.refund("r1", [("booking:b1", 15_000)], at(2), on(lenient))
    assert account.standing(on(lenient)).tier_id == "vip"
    account.refund("r2", [("booking:b1", 10_000)], at(3), on(lenient))
    assert account.standing(on(lenient)).tier_id == "regular"


def test_the_client_is_warned_days_before_a_drop_with_what_would_keep_the_tier() -> None:
    account = member()
    account.count(treatment("b1", 1000, 0), on())
    account.collect_events()
    drops = months_after(at(0).date(), 12)
    assert account.standing(on()).warn_on == drops - timedelta(days=14)

    account.review(drops - timedelta(days=15), at(0), on())
    assert [type(e).__name__ for e in account.collect_events()] == ["Reviewed"]
    account.review(drops - timedelta(days=14), at(0), on())
    warned = recorded(account, "DropWarned")
    assert [(e.tier_id, e.drops_on, e.shortfall_minor) for e in warned] == [
        ("vip", drops.isoformat(), 100_000)
    ]
    account.review(drops - timedelta(days=13), at(0), on())
    assert not recorded(account, "DropWarned")


def test_the_next_review_is_the_warning_then_the_drop() -> None:
    account = member()
    account.count(treatment("b1", 1000, 0), on())
    drops = months_after(at(0).date(), 12)
    assert account.review_on == (drops - timedelta(days=14)).isoformat()
    account.review(drops - timedelta(days=14), at(0), on())
    assert account.review_on == drops.isoformat()
    account.review(drops, at(0), on())
    assert account.review_on is None


def test_a_purchase_counts_once_and_only_what_the_settings_count() -> None:
    treatments_only = replace(CLINIC, counts=frozenset({SpendKind.TREATMENT}))
    account = member()
    account.count(treatment("b1", 600, 0), on(treatments_only))
    account.count(treatment("b1", 600, 0), on(treatments_only))
    retail = Spend("order:o1:serum", 60_000, at(1), SpendKind.RETAIL)
    account.count(retail, on(treatments_only))
    assert account.standing(on(treatments_only)).spend_minor == 60_000


def daily(account: Membership, first: int, last: int, rules: Versions[TierSettings]) -> None:
    """The clock ticks every day from day `first` to day `last` of the feed."""
    for day in range(first, last + 1):
        account.review(at(day).date(), at(day), rules)


def test_one_tier_down_at_a_time_with_the_warning_period_to_win_the_lower_tier_back() -> None:
    account = member()
    account.count(treatment("b1", 3000, 0), on())  # Elite
    leaves = (months_after(at(0).date(), 12) - at(0).date()).days
    daily(account, 1, leaves + 30, on())
    assert [(c.to_tier, c.reason) for c in account.standing(on()).history] == [
        ("elite", "spend_reached"),
        ("vip", "spend_left_window"),
        ("regular", "keep_period_ended"),  # 14 days on: nothing was spent to keep VIP
    ]
    assert account.standing(on()).history[-1].at.date() == at(leaves + 14).date()
    warnings = recorded(account, "DropWarned")
    assert [(w.tier_id, w.drops_on) for w in warnings] == [
        ("elite", at(leaves).date().isoformat()),
        ("vip", at(leaves + 14).date().isoformat()),
    ]
    assert account.review_on is None  # nothing left to look at: never due again


def test_a_settings_change_re_judges_the_member_at_its_moment() -> None:
    rules = on()
    account = member()
    account.count(treatment("b1", 500, 0), rules)
    account.count(treatment("b2", 600, 100), rules)  # VIP at £1,100
    stricter = replace(
        CLINIC, tiers=(CLINIC.tiers[0], replace(CLINIC.tiers[1], entry_minor=120_000))
    )
    rules.add(at(200), stricter)
    assert account.settings_version == 1  # judged under the first settings: the tick's query
    account.review(at(201).date(), at(201), rules)  # finds it, whatever its review_on says
    history = account.standing(rules).history
    assert [(c.to_tier, c.reason, c.at) for c in history][-1] == (
        "regular",
        "settings_changed",
        at(200),
    )
    assert account.settings_version == 2


def test_a_lower_threshold_upgrades_at_the_change() -> None:
    rules = on()
    account = member()
    account.count(treatment("b1", 900, 0), rules)
    rules.add(
        at(10),
        replace(CLINIC, tiers=(CLINIC.tiers[0], replace(CLINIC.tiers[1], entry_minor=80_000))),
    )
    account.review(at(11).date(), at(11), rules)
    assert account.standing(rules).history[-1].reason == "spend_reached"
    assert account.announced == "vip"


def test_a_tier_added_below_keeps_each_member_in_their_tier() -> None:
    rules = on(
        replace(CLINIC, tiers=(*CLINIC.tiers[:2], replace(CLINIC.tiers[2], stay_minor=150_000)))
    )
    account = member()
    account.count(treatment("b1", 2600, 0), rules)
    account.refund("r1", [("booking:b1", 60_000)], at(1), rules)  # £2,000: kept by the stay
    silver = Tier("silver", "Silver", 50_000)
    with_silver = replace(rules.now, tiers=(rules.now.tiers[0], silver, *rules.now.tiers[1:]))
    rules.add(at(10), with_silver)
    account.review(at(11).date(), at(11), rules)
    assert account.standing(rules).tier_id == "elite"
    assert [e.to_tier for e in recorded(account, "TierChanged")] == ["elite"]


def test_a_member_of_a_removed_tier_goes_to_the_tier_the_spend_matches() -> None:
    for keep_days in (0, 90):
        rules = on(replace(CLINIC, keep_days=keep_days))
        account = member()
        account.count(treatment("b1", 1200, 0), rules)  # VIP
        without_vip = replace(rules.now, tiers=(rules.now.tiers[0], rules.now.tiers[2]))
        rules.add(at(10), without_vip)
        account.review(at(11).date(), at(11), rules)
        last = account.standing(rules).history[-1]
        assert (last.from_tier, last.to_tier, last.reason) == ("vip", "regular", "settings_changed")


def test_a_late_purchase_is_judged_later_under_a_change_dated_after_it() -> None:
    rules = on()
    lower_vip = replace(
        CLINIC, tiers=(CLINIC.tiers[0], replace(CLINIC.tiers[1], entry_minor=50_000))
    )
    rules.add(at(10), lower_vip)
    account = member()
    account.count(treatment("b1", 600, 0), rules)  # reported late, dated before the change
    assert account.settings_version < rules.version  # so the next tick looks at it
    account.review(at(20).date(), at(20), rules)
    assert account.announced == "vip"
    assert recorded(account, "TierChanged")[-1].at == at(10)  # reached at the change


def test_a_drop_straight_to_the_spend_lands_on_the_tier_its_stay_threshold_keeps() -> None:
    rules = on(
        replace(
            CLINIC,
            drop=DropMode.TO_SPEND,
            tiers=(
                CLINIC.tiers[0],
                replace(CLINIC.tiers[1], entry_minor=100_000, stay_minor=50_000),
                replace(CLINIC.tiers[2], entry_minor=150_000),
            ),
        )
    )
    account = member()
    account.count(treatment("b1", 1600, 0), rules)  # Elite
    account.refund("r1", [("booking:b1", 90_000)], at(2), rules)  # £700: VIP keeps at £500
    assert account.standing(rules).tier_id == "vip"


def test_nothing_is_told_while_tiers_are_off_and_the_change_is_told_when_they_are_back() -> None:
    rules = on()
    account = member()
    account.count(treatment("b1", 1200, 0), rules)  # VIP
    off_without_vip = replace(CLINIC, enabled=False, tiers=(CLINIC.tiers[0], CLINIC.tiers[2]))
    rules.add(at(10), off_without_vip)
    account.review(at(11).date(), at(11), rules)
    assert account.announced == "vip"  # kept, and nothing said
    rules.add(at(20), replace(off_without_vip, enabled=True))
    account.review(at(21).date(), at(21), rules)
    told = recorded(account, "TierChanged")[-1]
    assert (told.to_tier, told.direction, told.reason) == ("regular", "down", "settings_changed")


def test_what_keeps_the_tier_counts_what_leaves_before_the_keep_period_ends() -> None:
    keep = on(replace(CLINIC, keep_days=60))
    account = member()
    account.count(treatment("b1", 600, 0), keep)
    account.count(treatment("b2", 500, 330), keep)  # VIP, held to day 389
    account.refund("r1", [("booking:b2", 20_000)], at(335), keep)  # £900: short, held
    standing = account.standing(keep)
    assert standing.drops_on == at(390).date()
    # The £600 leaves on day 365, inside the hold: £300 is left when it ends, £700 short.
    assert standing.shortfall_minor == 70_000


def test_while_tiers_are_off_nothing_drops_and_no_one_is_warned() -> None:
    rules = on()
    account = member()
    account.count(treatment("b1", 1200, 0), rules)
    rules.add(at(100), replace(CLINIC, enabled=False))
    daily(account, 101, 400, rules)
    assert account.standing(rules).tier_id == "vip"
    kinds = [type(e).__name__ for e in account.collect_events()]
    assert "DropWarned" not in kinds
    assert kinds.count("TierChanged") == 1  # the upgrade, before tiers were switched off


def test_every_member_is_looked_at_when_a_purchase_leaves_so_the_spend_shown_is_true() -> None:
    account = member()
    account.count(treatment("b1", 900, 0), on())
    leaves = months_after(at(0).date(), 12)
    assert account.review_on == leaves.isoformat()  # a Regular client too
    account.review(leaves, at(0), on())
    reviewed: list[Any] = recorded(account, "Reviewed")
    assert [(e.spend_minor, e.review_on) for e in reviewed][-1] == (0, None)


def test_a_keep_period_that_ended_with_enough_spend_puts_no_drop_in_the_past() -> None:
    rules = on(replace(CLINIC, keep_days=30))
    account = member()
    account.count(treatment("b1", 1100, 0), rules)
    daily(account, 1, 60, rules)
    stricter = replace(
        CLINIC, keep_days=30, tiers=(CLINIC.tiers[0], replace(CLINIC.tiers[1], entry_minor=150_000))
    )
    rules.add(at(61), stricter)
    account.review(at(61).date(), at(61), rules)
    assert account.standing(rules).history[-1].reason == "settings_changed"
    assert not recorded(account, "DropWarned")
    assert account.review_on is None or account.review_on > at(61).date().isoformat()


def test_settings_that_cannot_be_meant_are_refused_with_every_problem_named() -> None:
    bad = replace(
        CLINIC,
        tiers=(Tier("a", "A", 500), Tier("b", "B", 100, stay_minor=200)),
        window_months=0,
    )
    with pytest.raises(InvalidTierSettings) as refused:
        bad.check()
    problems = " ".join(refused.value.problems)
    assert "entry threshold must be 0" in problems
    assert "must need more spend" in problems
    assert "stay_minor" in problems
    assert "window_months" in problems


def test_a_year_from_29_february_is_28_february() -> None:
    assert months_after(date(2028, 2, 29), 12) == date(2029, 2, 28)
    assert months_after(date(2026, 11, 30), 3) == date(2027, 2, 28)


def test_the_currency_stays_once_tiers_have_counted_spend_in_it() -> None:
    programme = LoyaltyProgramme(tenant_id="clinic", name="Clinic")
    programme.set_tiers(replace(CLINIC, currency="EUR"), at(-1))  # chosen before anything counted
    with pytest.raises(InvalidTierSettings, match="currency: tiers have counted spend in EUR"):
        programme.set_tiers(replace(CLINIC, currency="GBP"), at(0))


def test_settings_survive_their_record() -> None:
    assert TierSettings.from_record(CLINIC.to_record()) == CLINIC


# -- the same history whatever the order ---------------------------------------------------------

feeds = st.lists(
    st.tuples(
        st.sampled_from(["b1", "b2", "b3", "b4", "b5"]),
        st.integers(min_value=100, max_value=1500),
        st.integers(min_value=0, max_value=500),
    ),
    min_size=1,
    max_size=8,
    unique_by=lambda item: item[0],
)
refund_feeds = st.lists(
    st.tuples(
        st.sampled_from(["b1", "b2", "b3", "b4", "b5"]),
        st.one_of(st.none(), st.integers(min_value=1, max_value=150_000)),
        st.integers(min_value=0, max_value=500),
    ),
    max_size=3,
)


@settings(max_examples=150, deadline=None)
@given(
    feeds,
    refund_feeds,
    st.randoms(use_true_random=False),
    st.sampled_from([0, 30]),
    st.sampled_from(list(DropMode)),
)
def test_any_order_and_any_repetition_of_a_feed_gives_the_same_tier_history(
    purchases: list[tuple[str, int, int]],
    refunds: list[tuple[str, int | None, int]],
    rng: Any,
    keep_days: int,
    drop: DropMode,
) -> None:
    chosen = replace(CLINIC, keep_days=keep_days, drop=drop)
    feed: list[tuple[str, Any]] = [
        ("spend", treatment(b, pounds, day)) for b, pounds, day in purchases
    ]
    feed += [
        ("refund", (f"r{n}", f"booking:{b}", amount, at(day)))
        for n, (b, amount, day) in enumerate(refunds)
    ]
    final_day = at(900).date()

    def replay(items: list[tuple[str, Any]]) -> Membership:
        account = member()
        for kind, item in items:
            if kind == "spend":
                account.count(item, on(chosen))
            else:
                refund_id, target, amount, when = item
                account.refund(refund_id, [(target, amount)], when, on(chosen))
        account.review(final_day, at(900), on(chosen))
        return account

    in_order = replay(sorted(feed, key=lambda kv: kv[1].at if kv[0] == "spend" else kv[1][3]))
    shuffled = copy.copy(feed) + rng.sample(feed, k=min(3, len(feed)))
    rng.shuffle(shuffled)
    other = replay(shuffled)
    assert other.standing(on(chosen)) == in_order.standing(on(chosen))
    # Whatever the client was told on the way, what they are told last is where they stand.
    for account in (in_order, other):
        assert (account.announced or "regular") == account.standing(on(chosen)).tier_id


def test_what_the_next_tier_needs() -> None:
    assert CLINIC.to_next(None, 40_000) == (CLINIC.tiers[1], 60_000)
    assert CLINIC.to_next("vip", 120_000) == (CLINIC.tiers[2], 130_000)
    assert CLINIC.to_next("elite", 300_000) is None


def test_the_tier_held_before_a_moment() -> None:
    account = member()
    account.count(treatment("b1", 1000, 0), on())
    standing = account.standing(on())
    assert standing.tier_before(at(0)) is None  # the purchase that reaches VIP was made before it
    assert standing.tier_before(at(1)) == "vip"


# -- checkout --------------------------------------------------------------------------------

VIP = CLINIC.tiers[1]  # 5% off treatments and products
BILL = [
    CheckoutLine(LineKind.TREATMENT, 20_000),
    CheckoutLine(LineKind.PRODUCT, 3_999),
]


def test_a_tier_takes_its_percentages_off_each_line() -> None:
    generous = replace(VIP, treatment_discount_percent=10, product_discount_percent=5)
    quote = tier_checkout(CLINIC, generous, BILL, None)
    assert quote.line_discounts == (2_000, 200)  # 5% of £39.99 is £2.00 (199.95 rounded up)
    assert (quote.applied, quote.total_minor) == ("tier", 21_799)


def ten_percent(amount: int) -> int:
    return amount // 10


def fixed(pence: int) -> Callable[[int], int]:
    return lambda _amount: pence


def test_a_tier_and_a_code_do_not_stack_the_client_gets_the_better() -> None:
    quote = tier_checkout(CLINIC, VIP, BILL, ten_percent)
    assert (quote.applied, quote.discount_minor) == ("code", 2_399)
    assert tier_checkout(CLINIC, VIP, BILL, fixed(100)).applied == "tier"
    # A code worth the tier's £12.00: the tier applies, and the code stays for another visit.
    assert tier_checkout(CLINIC, VIP, BILL, fixed(1_200)).applied == "tier"


def test_when_the_tenant_lets_them_stack_the_code_applies_to_what_the_tier_left() -> None:
    stacking = replace(CLINIC, stack_with_codes=True)
    seen: list[int] = []

    def watched(amount: int) -> int:
        seen.append(amount)
        return ten_percent(amount)

    quote = tier_checkout(stacking, VIP, BILL, watched)
    assert seen == [23_999 - 1_200]
    assert (quote.applied, quote.discount_minor, quote.total_minor) == ("both", 3_479, 20_520)


def test_the_first_tier_without_discounts_leaves_the_bill_to_the_code() -> None:
    quote = tier_checkout(CLINIC, CLINIC.tiers[0], BILL, ten_percent)
    assert (quote.applied, quote.total_minor) == ("code", 21_600)


@settings(max_examples=100, deadline=None)
@given(feeds, refund_feeds, st.sampled_from([0, 30]), st.sampled_from(list(DropMode)))
def test_with_the_clock_ticking_only_when_the_account_says_it_is_due_every_change_is_told_on_time(
    purchases: list[tuple[str, int, int]],
    refunds: list[tuple[str, int | None, int]],
    keep_days: int,
    drop: DropMode,
) -> None:
    """The daily tick looks only at accounts whose ``review_on`` has come (as the store query
    does): if that day were ever late, a change would be told late or merged with the next."""
    rules = on(replace(CLINIC, keep_days=keep_days, drop=drop))
    # Each fact at its own minute: two purchases at the very same instant, reported apart, are
    # told as two steps (VIP, then Elite) where the history takes them as one.
    feed: list[tuple[datetime, Any]] = []
    for n, (b, pounds, day) in enumerate(purchases):
        moment = at(day) + timedelta(minutes=n)
        feed.append((moment, Spend(f"booking:{b}", pounds * 100, moment, SpendKind.TREATMENT)))
    feed += [
        (at(day) + timedelta(minutes=30 + n), (f"r{n}", f"booking:{b}", amount))
        for n, (b, amount, day) in enumerate(refunds)
    ]
    account = member()
    today = at(0).date()

    def tick_until(day: date) -> None:
        nonlocal today
        while today <= day:
            if account.review_on is not None and date.fromisoformat(account.review_on) <= today:
                account.review(today, datetime.combine(today, datetime.min.time(), UTC), rules)
            today += timedelta(days=1)

    for moment, item in sorted(feed, key=lambda pair: pair[0]):
        tick_until(moment.date())  # each day's tick comes before that day's visits
        if isinstance(item, Spend):
            account.count(item, rules)
        else:
            refund_id, target, amount = item
            account.refund(refund_id, [(target, amount)], moment, rules)
    tick_until(at(900).date())

    told = [(e.to_tier, e.reason, e.at) for e in recorded(account, "TierChanged")]
    history = [(c.to_tier, c.reason, c.at) for c in account.standing(rules).history]
    assert told == history
