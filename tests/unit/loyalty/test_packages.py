"""Pre-paid packages: which package each visit uses (in event time, any arrival order), sessions
given back, expiry on the clock, reminders, refunds under either policy, corrections told once,
the liability they carry, and the catalogue's checks."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starcard_events.limits import MAX_DAYS, MAX_NAME_LENGTH, MAX_PACKAGE_SESSIONS
from starcard_loyalty.domain.errors import InvalidPackageSettings
from starcard_loyalty.domain.package_settings import (
    Package,
    PackageSettings,
    PackageTerms,
    RefundPolicy,
    ValidFrom,
)
from starcard_loyalty.domain.packages import (
    Bought,
    PackageHoldings,
    PackageRefund,
    PackageUse,
    Reminders,
)

pytestmark = pytest.mark.unit

T0 = datetime(2026, 3, 2, 10, tzinfo=UTC)
REMIND = 14
"""The clinic emails its clients 14 days before unused sessions expire."""


def at(day: int, hour: int = 10) -> datetime:
    return T0.replace(hour=hour) + timedelta(days=day)


def on(day: int) -> date:
    return at(day).date()


def terms(
    sessions: int = 3,
    *,
    name: str = "Facial x3",
    categories: tuple[str, ...] = ("facials",),
    service_ids: tuple[str, ...] = (),
    single: int | None = None,
    validity: int | None = None,
    valid_from: ValidFrom = ValidFrom.PURCHASE,
) -> PackageTerms:
    return PackageTerms(
        name=name,
        sessions=sessions,
        service_ids=service_ids,
        categories=categories,
        single_session_minor=single,
        validity_days=validity,
        valid_from=valid_from,
    )


def bought(
    purchase_id: str, day: int, *, hour: int = 10, price: int = 30_000, **kept: Any
) -> Bought:
    return Bought(purchase_id, terms(**kept), None, price, at(day, hour))


def visit(booking_id: str, day: int, *, hour: int = 10, category: str = "facials") -> PackageUse:
    return PackageUse(
        booking_id, f"svc-{category}", category, f"{category.title()} treatment", at(day, hour)
    )


def refund(
    refund_id: str, purchase_id: str, day: int, policy: RefundPolicy = RefundPolicy.PRO_RATA
) -> PackageRefund:
    return PackageRefund(refund_id, purchase_id, at(day), policy)


@dataclass(frozen=True)
class Withdrawal:
    """A booking cancelled, or wholly refunded."""

    booking_id: str
    at: datetime


@dataclass(frozen=True)
class Tick:
    """The clock tick of a day."""

    day: date


Fact = Bought | PackageUse | Withdrawal | PackageRefund | Tick


def withdrawal(booking_id: str, day: int, hour: int = 10) -> Withdrawal:
    return Withdrawal(booking_id, at(day, hour))


def tick(day: int) -> Tick:
    return Tick(on(day))


def feed(account: PackageHoldings, *facts: Fact, reminder_days: int | None = REMIND) -> None:
    reminders = Reminders(reminder_days)
    """Tell the holdings each fact, as the use cases do."""
    for fact in facts:
        match fact:
            case Bought():
                account.buy(fact, reminders)
            case PackageUse():
                account.use(fact, reminders)
            case Withdrawal():
                account.withdraw(fact.booking_id, fact.at, reminders)
            case PackageRefund():
                account.refund(fact, reminders)
            case Tick():
                account.review(fact.day, datetime.combine(fact.day, T0.timetz()), reminders)


def holding(*facts: Fact, reminder_days: int | None = REMIND) -> PackageHoldings:
    account = PackageHoldings(tenant_id="glow-clinic", client_id="ada")
    feed(account, *facts, reminder_days=reminder_days)
    return account


def recorded(account: PackageHoldings) -> list[tuple[str, dict[str, Any]]]:
    """The events recorded since last asked: each one's name and its own fields."""
    shared = {
        "originator_id",
        "originator_version",
        "timestamp",
        "snapshot",
        "review_on",
        "settings_version",
    }
    return [
        (type(each).__name__, {k: v for k, v in vars(each).items() if k not in shared})
        for each in account.collect_events()
    ]


def named(account: PackageHoldings, *names: str) -> list[dict[str, Any]]:
    return [fields for name, fields in recorded(account) if name in names]


def record_of(account: PackageHoldings, purchase_id: str) -> dict[str, Any]:
    return next(each for each in account.snapshot["packages"] if each["purchase_id"] == purchase_id)


def left(account: PackageHoldings) -> dict[str, int]:
    return {key: each.left for key, each in account.holdings().balances.items()}


def unmatched(account: PackageHoldings) -> list[str]:
    return [use.booking_id for use in account.holdings().unmatched]


# -- which package pays -------------------------------------------------------------------------


def test_a_visit_uses_the_covering_package_that_expires_soonest() -> None:
    account = holding(
        bought("forever", 0),
        bought("in-60-days", 1, validity=60),
        bought("laser-in-30", 2, validity=30, categories=("laser",)),  # sooner, covers no facial
        visit("b1", 5),
    )

    assert account.holdings().allocation == {"b1": "in-60-days"}
    assert left(account) == {"forever": 3, "in-60-days": 2, "laser-in-30": 3}


def test_of_packages_expiring_alike_the_oldest_pays() -> None:
    account = holding(bought("newer", 3), bought("older", 1), visit("b1", 5))

    assert account.holdings().allocation == {"b1": "older"}


def test_a_package_bought_later_the_same_day_pays_for_that_morning_s_visit() -> None:
    account = holding(visit("b1", 0, hour=9))
    assert unmatched(account) == ["b1"]
    recorded(account)

    feed(account, bought("p1", 0, hour=15))

    assert account.holdings().allocation == {"b1": "p1"}
    assert unmatched(account) == []
    assert named(account, "SessionUsed") == [
        {"booking_id": "b1", "purchase_id": "p1", "at": at(0, 15)}
    ]
    assert account.snapshot["unmatched"] == []
    assert record_of(account, "p1")["used"] == 1


def test_a_visit_the_day_before_the_purchase_stays_unmatched_and_is_shown_as_such() -> None:
    account = holding(visit("b1", -1, hour=23), bought("p1", 0, hour=8))

    assert account.holdings().allocation == {}
    assert account.snapshot["unmatched"] == [
        {"booking_id": "b1", "service_name": "Facials treatment", "on": on(-1).isoformat()}
    ]
    assert record_of(account, "p1")["left"] == 3


def test_once_the_sessions_run_out_the_next_visit_is_unmatched() -> None:
    account = holding(bought("p1", 0), *(visit(f"b{n}", n + 1) for n in range(4)))

    assert account.holdings().allocation == {"b0": "p1", "b1": "p1", "b2": "p1"}
    assert unmatched(account) == ["b3"]
    assert (record_of(account, "p1")["status"], record_of(account, "p1")["left"]) == ("used_up", 0)


def test_a_visit_paid_for_a_service_no_package_covers_is_unmatched() -> None:
    account = holding(bought("p1", 0), visit("b1", 1, category="laser"))

    assert unmatched(account) == ["b1"]
    assert left(account) == {"p1": 3}


# -- sessions given back ------------------------------------------------------------------------


def test_a_booking_cancelled_before_its_completion_uses_no_session_and_needs_no_attention() -> None:
    account = holding(bought("p1", 0), withdrawal("b1", 1), visit("b1", 2))

    assert left(account) == {"p1": 3}
    assert unmatched(account) == []
    assert named(account, "SessionUsed", "SessionRestored") == []


def test_a_cancellation_after_the_completion_gives_the_session_back() -> None:
    account = holding(bought("p1", 0), visit("b1", 1))
    recorded(account)

    feed(account, withdrawal("b1", 2))

    assert left(account) == {"p1": 3}
    assert named(account, "SessionRestored") == [
        {"booking_id": "b1", "purchase_id": "p1", "at": at(2)}
    ]
    assert record_of(account, "p1")["used"] == 0


def test_a_restored_session_goes_back_to_its_package_and_later_visits_stay_where_they_are() -> None:
    account = holding(
        bought("soon", 0, sessions=1, validity=30),
        bought("forever", 0),
        visit("b1", 1),  # soonest to expire
        visit("b2", 2),  # "soon" is used up
    )
    recorded(account)

    feed(account, withdrawal("b1", 3))

    assert account.holdings().allocation == {"b2": "forever"}
    assert left(account) == {"soon": 1, "forever": 2}
    assert [fields["booking_id"] for fields in named(account, "SessionRestored")] == ["b1"]


def test_a_cancellation_reported_late_frees_the_session_for_the_visits_after_it() -> None:
    account = holding(bought("p1", 0, sessions=1), visit("b1", 1), visit("b2", 3))
    assert unmatched(account) == ["b2"]
    recorded(account)

    feed(account, withdrawal("b1", 2))

    assert account.holdings().allocation == {"b2": "p1"}
    assert unmatched(account) == []
    assert [
        (name, fields["booking_id"])
        for name, fields in recorded(account)
        if name in {"SessionUsed", "SessionRestored"}
    ] == [("SessionRestored", "b1"), ("SessionUsed", "b2")]


# -- validity and expiry ------------------------------------------------------------------------


def test_a_package_valid_from_first_use_starts_its_days_at_the_first_session() -> None:
    account = holding(bought("p1", 0, validity=30, valid_from=ValidFrom.FIRST_USE))
    assert account.holdings().balances["p1"].expires_on is None

    feed(account, visit("b1", 10), visit("b2", 39), visit("b3", 40))

    assert account.holdings().balances["p1"].expires_on == on(40)
    assert account.holdings().allocation == {"b1": "p1", "b2": "p1"}
    assert unmatched(account) == ["b3"]  # the expiry day itself is too late


def test_unused_sessions_expire_only_on_the_tick_of_the_expiry_day() -> None:
    account = holding(bought("p1", 0, validity=30, price=30_000), visit("b1", 5))
    feed(account, tick(29))
    assert record_of(account, "p1")["status"] == "active"
    recorded(account)

    feed(account, tick(30))

    assert record_of(account, "p1") | {"bought_on": None} == {
        "purchase_id": "p1",
        "package_id": None,
        "name": "Facial x3",
        "sessions": 3,
        "used": 1,
        "left": 0,
        "closed": 2,
        "status": "expired",
        "bought_on": None,
        "expires_on": on(30).isoformat(),
        "price_minor": 30_000,
        "currency": "GBP",
        "deferred_minor": 0,
        "refund_minor": None,
    }
    assert named(account, "Closed") == [
        {"purchase_id": "p1", "status": "expired", "corrected": False, "at": at(30)}
    ]


def test_a_visit_on_an_expired_package_is_unmatched() -> None:
    account = holding(bought("p1", 0, validity=30), tick(31), visit("b1", 31))

    assert unmatched(account) == ["b1"]


def test_the_client_is_reminded_once_per_package_and_expiry_day() -> None:
    account = holding(bought("p1", 0, validity=30), bought("p2", 0, validity=40))
    assert account.review_on == on(16).isoformat()  # 14 days before the first expiry

    feed(account, tick(15))
    assert named(account, "ExpiryReminded") == []

    feed(account, tick(16), tick(16), tick(17))
    assert named(account, "ExpiryReminded") == [
        {"purchase_id": "p1", "expires_on": on(30).isoformat(), "left": 3, "at": at(16)}
    ]
    assert account.review_on == on(26).isoformat()  # p2's reminder

    feed(account, tick(27))
    assert [each["purchase_id"] for each in named(account, "ExpiryReminded")] == ["p2"]
    assert account.review_on == on(30).isoformat()  # p1's expiry


def test_a_package_bought_inside_the_reminder_period_is_reminded_on_the_next_tick() -> None:
    account = holding(tick(0), bought("p1", 0, validity=10))

    assert account.review_on == on(1).isoformat()
    feed(account, tick(1))
    assert [each["left"] for each in named(account, "ExpiryReminded")] == [3]


def test_no_reminder_when_the_clinic_sends_none_and_the_review_falls_on_the_expiry() -> None:
    account = holding(bought("p1", 0, validity=30), tick(16), reminder_days=None)

    assert named(account, "ExpiryReminded") == []
    assert account.review_on == on(30).isoformat()


def test_a_used_up_package_is_neither_reminded_nor_expired() -> None:
    account = holding(bought("p1", 0, sessions=1, validity=30), visit("b1", 1))
    assert account.review_on is None

    feed(account, tick(20), tick(31))

    assert named(account, "ExpiryReminded", "Closed") == []
    assert record_of(account, "p1")["status"] == "used_up"


# -- refunds ------------------------------------------------------------------------------------


def test_a_pro_rata_refund_returns_the_unused_sessions_share_rounded_half_up() -> None:
    account = holding(bought("p1", 0, price=10_000), visit("b1", 1), refund("r1", "p1", 2))

    balance = account.holdings().balances["p1"]
    assert (balance.status, balance.closed, balance.left, balance.refund_minor) == (
        "refunded",
        2,
        0,
        6_667,
    )
    assert balance.deferred_minor == 0
    assert named(account, "Closed")[-1] == {
        "purchase_id": "p1",
        "status": "refunded",
        "corrected": False,
        "at": at(2),
    }


@pytest.mark.parametrize(
    ("single", "used", "owed"),
    [
        (4_000, 1, 6_000),  # £100 less one session at £40
        (6_000, 2, 0),  # never below nothing
        (None, 1, 6_667),  # no single price: pro rata
    ],
)
def test_a_refund_less_the_sessions_used_at_the_single_price(
    single: int | None, used: int, owed: int
) -> None:
    account = holding(
        bought("p1", 0, price=10_000, single=single),
        *(visit(f"b{n}", 1 + n) for n in range(used)),
        refund("r1", "p1", 5, RefundPolicy.LESS_SESSIONS_USED),
    )

    assert account.holdings().balances["p1"].refund_minor == owed


def test_a_refund_before_its_purchase_closes_the_package_when_it_arrives() -> None:
    account = holding(refund("r1", "p1", 2))
    assert account.holdings().balances == {}

    feed(account, bought("p1", 0, price=10_000), visit("b1", 3))

    assert account.holdings().balances["p1"].refund_minor == 10_000
    assert unmatched(account) == ["b1"]  # a refunded package pays for nothing after it
    assert [each["status"] for each in named(account, "Closed")] == ["refunded"]


def test_a_refund_re_sent_under_another_id_settles_once() -> None:
    account = holding(bought("p1", 0, price=10_000), refund("r1", "p1", 2))
    recorded(account)

    feed(account, refund("r2", "p1", 3))

    assert account.holdings().balances["p1"].refund_minor == 10_000
    assert named(account, "Closed") == []


def test_a_refund_after_the_expiry_gives_nothing_back_for_the_sessions_that_expired() -> None:
    account = holding(bought("p1", 0, price=9_000, validity=10), tick(12), refund("r1", "p1", 20))

    assert account.holdings().balances["p1"].refund_minor in {None, 0}


# -- corrections --------------------------------------------------------------------------------


def test_a_completion_reported_late_corrects_the_refund_told() -> None:
    account = holding(bought("p1", 0, price=10_000), refund("r1", "p1", 5))
    assert account.holdings().balances["p1"].refund_minor == 10_000
    recorded(account)

    feed(account, visit("b1", 1))

    assert account.holdings().balances["p1"].refund_minor == 6_667
    (noted, used), (closed, correction) = recorded(account)
    assert (noted, used["booking_id"], used["purchase_id"]) == ("UseNoted", "b1", "p1")
    assert (closed, correction) == (
        "Closed",
        {"purchase_id": "p1", "status": "refunded", "corrected": True, "at": at(1)},
    )
    assert account.told_closing == {"p1": ("refunded", 2, 6_667)}


def test_a_completion_reported_late_corrects_the_expiry_told() -> None:
    account = holding(bought("p1", 0, validity=30), tick(30))
    assert account.told_closing == {"p1": ("expired", 3, None)}
    recorded(account)

    feed(account, visit("b1", 29))

    assert [(each["status"], each["corrected"]) for each in named(account, "Closed")] == [
        ("expired", True)
    ]
    assert account.told_closing == {"p1": ("expired", 2, None)}


def test_a_late_fact_that_changes_no_closing_figure_corrects_nothing() -> None:
    account = holding(bought("p1", 0, validity=30), bought("p2", 0), tick(30))
    recorded(account)

    feed(account, visit("b1", 31))  # paid by p2: p1's expiry stands

    assert named(account, "Closed") == []


# -- liability ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("sessions", "price"), [(3, 10_000), (7, 12_345), (10, 99_999), (1, 1)])
def test_the_liability_released_session_by_session_adds_up_to_the_price(
    sessions: int, price: int
) -> None:
    account = holding(bought("p1", 0, sessions=sessions, price=price))
    deferred = [account.holdings().balances["p1"].deferred_minor]
    for n in range(sessions):
        feed(account, visit(f"b{n}", 1 + n))
        deferred.append(account.holdings().balances["p1"].deferred_minor)

    delivered = [before - after for before, after in pairwise(deferred)]
    assert deferred[0] == price
    assert deferred[-1] == 0
    assert sum(delivered) == price
    assert max(delivered) - min(delivered) <= 1  # each session carries its share, to a penny


def test_a_pro_rata_refund_returns_exactly_the_liability_outstanding() -> None:
    account = holding(bought("p1", 0, sessions=7, price=12_345), visit("b1", 1), visit("b2", 2))
    outstanding = account.holdings().balances["p1"].deferred_minor

    feed(account, refund("r1", "p1", 3))

    assert account.holdings().balances["p1"].refund_minor == outstanding == 8_818


# -- any order, any re-delivery -----------------------------------------------------------------


@st.composite
def client_feeds(draw: st.DrawFn) -> list[Fact]:
    """One client's facts in event time: a few packages, visits (some cancelled or refunded
    later), package refunds and clock ticks."""
    facts: list[tuple[datetime, Fact]] = []
    purchases = draw(st.integers(min_value=1, max_value=3))
    for n in range(purchases):
        when = at(draw(st.integers(0, 12)), draw(st.sampled_from([8, 12, 18])))
        package = Bought(
            f"p{n}",
            terms(
                draw(st.integers(1, 3)),
                categories=draw(st.sampled_from([("facials",), ("laser",), ("facials", "laser")])),
                single=draw(st.sampled_from([None, 4_000])),
                validity=draw(st.sampled_from([None, 5, 10])),
                valid_from=draw(st.sampled_from(list(ValidFrom))),
            ),
            None,
            draw(st.sampled_from([9_000, 10_000])),
            when,
        )
        facts.append((when, package))
        if draw(st.integers(0, 4)) == 0:
            when = when + timedelta(days=draw(st.integers(-1, 8)))
            policy = draw(st.sampled_from(list(RefundPolicy)))
            facts.append((when, PackageRefund(f"r{n}", f"p{n}", when, policy)))
    for n in range(draw(st.integers(0, 7))):
        when = at(draw(st.integers(0, 20)), draw(st.sampled_from([9, 13, 17])))
        category = draw(st.sampled_from(["facials", "laser"]))
        facts.append((when, PackageUse(f"b{n}", None, category, category, when)))
        if draw(st.integers(0, 3)) == 0:
            gone = when + timedelta(hours=draw(st.sampled_from([-30, 2, 50])))
            facts.append((gone, Withdrawal(f"b{n}", gone)))
    for day in draw(st.sets(st.integers(0, 25), max_size=3)):
        facts.append((datetime.combine(on(day), T0.timetz()), Tick(on(day))))
    facts.sort(key=lambda each: each[0])
    return [fact for _, fact in facts]


def outcome(account: PackageHoldings) -> object:
    now = account.holdings()
    return (
        {key: each.to_record() for key, each in now.balances.items()},
        now.allocation,
        sorted(use.booking_id for use in now.unmatched),
        account.told_allocation,
        account.told_closing,
        account.snapshot | {"packages": sorted(account.snapshot["packages"], key=str)},
    )


@settings(deadline=None, max_examples=150)
@given(data=st.data(), facts=client_feeds())
def test_any_arrival_order_gives_the_same_holdings_and_tells_the_same(
    data: st.DataObject, facts: list[Fact]
) -> None:
    delivered = data.draw(st.permutations(facts))

    assert outcome(holding(*delivered)) == outcome(holding(*facts))


@settings(deadline=None, max_examples=100)
@given(data=st.data(), facts=client_feeds())
def test_re_delivering_any_fact_records_nothing(data: st.DataObject, facts: list[Fact]) -> None:
    account = holding(*data.draw(st.permutations(facts)))
    before = outcome(account)
    recorded(account)

    # A tick re-sent is the subject of its own test below.
    again = [fact for fact in facts if not isinstance(fact, Tick)] or facts
    feed(account, *data.draw(st.lists(st.sampled_from(again), max_size=len(facts))))

    assert recorded(account) == []
    assert outcome(account) == before


def test_a_tick_re_sent_records_nothing() -> None:
    account = holding(tick(0), bought("p1", 0, validity=10))
    recorded(account)

    feed(account, tick(0))

    assert recorded(account) == []


def test_a_booking_withdrawn_twice_frees_its_session_at_the_earlier_moment_in_any_order() -> None:
    before: list[Fact] = [bought("p1", 0, sessions=1), visit("b1", 1), visit("b2", 3)]
    cancelled, refunded = withdrawal("b1", 2), withdrawal("b1", 4)

    in_order = holding(*before, cancelled, refunded)
    reversed_ = holding(*before, refunded, cancelled)

    assert outcome(reversed_) == outcome(in_order)


# -- the catalogue ------------------------------------------------------------------------------

FACIALS = Package("facial-3", terms(single=4_000), 10_000)


def test_a_catalogue_the_clinic_could_mean_is_kept_in_its_currency() -> None:
    checked = PackageSettings(catalogue=(FACIALS,), currency="EUR").check()

    assert checked.package("facial-3") == replace(
        FACIALS, terms=replace(FACIALS.terms, currency="EUR")
    )
    assert checked.package("nope") is None


def test_every_problem_of_a_catalogue_is_named() -> None:
    broken = PackageSettings(
        catalogue=(
            FACIALS,
            replace(FACIALS, price_minor=13_000),  # same id; dearer than three singles
            Package("empty", terms(0, name=" ", categories=()), 0),
            Package(
                "odd", replace(terms(validity=30), validity_days=0, single_session_minor=0), 500
            ),
        ),
        currency="gbp",
        reminder_days=0,
    )

    with pytest.raises(InvalidPackageSettings) as refused:
        broken.check()

    assert list(refused.value.problems) == [
        "Each package needs its own package_id.",
        "Each package on sale needs its own name: the till and the client tell them apart by it.",
        "currency must be an ISO 4217 code such as GBP (got 'gbp').",
        "Package 'facial-3': its price is more than 3 single sessions: a package sells "
        "sessions for less.",
        f"Package 'empty': name must be 1 to {MAX_NAME_LENGTH} characters.",
        f"Package 'empty': sessions must be 1 to {MAX_PACKAGE_SESSIONS}.",
        "Package 'empty': A package must cover at least one service id or category.",
        "Package 'empty': price must be more than 0.",
        "Package 'odd': single_session_price must be more than 0.",
        f"Package 'odd': validity_days must be 1 to {MAX_DAYS}, or empty for no expiry.",
        f"reminder_days must be 1 to {MAX_DAYS}, or empty for no reminder.",
    ]


def test_a_package_covers_its_services_and_its_categories_whatever_their_case() -> None:
    covering = terms(categories=("Facials",), service_ids=("svc-peel",))

    assert covering.covers("svc-peel", None)
    assert covering.covers("svc-other", "facials")
    assert not covering.covers("svc-other", "laser")
    assert not covering.covers(None, None)


def test_settings_survive_their_record() -> None:
    settings_ = PackageSettings(
        catalogue=(FACIALS, replace(FACIALS, package_id="old", active=False)),
        refund_policy=RefundPolicy.LESS_SESSIONS_USED,
        reminder_days=None,
    ).check()

    assert PackageSettings.from_record(settings_.to_record()) == settings_


# -- after the second review ----------------------------------------------------------------------


def test_a_session_given_back_pays_the_visit_that_was_waiting_for_one() -> None:
    account = holding(
        bought("p1", 0, sessions=1),
        visit("a", 1),
        visit("b", 2),  # the last session went to a: b needs attention
        withdrawal("a", 3),  # a refunded whole: its session pays for b
    )

    after = account.holdings()
    assert after.allocation == {"b": "p1"}
    assert after.unmatched == ()
    assert account.told_allocation == {"b": "p1"}


def test_a_package_already_running_is_used_before_one_valid_from_first_use_is_started() -> None:
    account = holding(
        bought("yearly", 0, validity=365),
        bought("month", 0, validity=30, valid_from=ValidFrom.FIRST_USE),
        visit("b1", 10),
    )

    balances = account.holdings().balances
    assert account.holdings().allocation == {"b1": "yearly"}
    assert balances["month"].expires_on is None  # its 30 days have not started


def test_a_session_given_back_after_the_package_expired_stays_expired() -> None:
    account = holding(
        bought("p1", 0, validity=10, valid_from=ValidFrom.FIRST_USE),
        visit("a", 1),
        visit("b", 5),
        *[tick(day) for day in range(1, 13)],
    )
    assert account.holdings().balances["p1"].status == "expired"
    recorded(account)

    feed(account, withdrawal("a", 13))  # a refunded after the package expired on day 11

    balance = account.holdings().balances["p1"]
    assert (balance.status, balance.expires_on, balance.closed) == ("expired", on(11), 2)
    assert balance.deferred_minor == 0
    assert named(account, "SessionRestored") == [
        {"booking_id": "a", "purchase_id": "p1", "at": at(13)}
    ]
    assert named(account, "Closed") == []  # the expiry told stands (2 sessions: a's came back)


def test_a_redemption_then_its_completion_dated_earlier_tells_the_session_once() -> None:
    account = holding(bought("p1", 0), visit("b1", 1, hour=17))
    recorded(account)

    feed(account, visit("b1", 1, hour=16))  # the completion, an hour before the checkout

    assert account.holdings().allocation == {"b1": "p1"}
    assert [name for name, _ in recorded(account)] == ["UseNoted"]
    assert account.uses["b1"].at == at(1, 16)


def test_a_visit_moved_by_an_earlier_moment_is_told_as_restored_then_used() -> None:
    account = holding(
        bought("short", 0, sessions=1, validity=20),
        bought("open", 0),
        visit("c", 1, hour=16),  # the package expiring sooner
        visit("b", 1, hour=17),  # redeemed at checkout: the open package
    )
    recorded(account)

    feed(account, visit("b", 1, hour=15))  # b's completion: before c, so b takes the short one

    assert account.holdings().allocation == {"b": "short", "c": "open"}
    told = [
        (name, fields.get("booking_id"), fields.get("purchase_id"))
        for name, fields in recorded(account)
    ]
    assert told == [
        ("UseNoted", "b", None),
        ("SessionRestored", "b", "open"),
        ("SessionRestored", "c", "short"),
        ("SessionUsed", "b", "short"),
        ("SessionUsed", "c", "open"),
    ]
    assert account.told_allocation == {"b": "short", "c": "open"}


def test_holdings_judged_under_older_package_settings_carry_their_version() -> None:
    account = PackageHoldings(tenant_id="glow", client_id="ada")
    account.buy(bought("p1", 0, validity=60), Reminders(None, settings_version=1))
    assert (account.review_on, account.settings_version) == (on(60).isoformat(), 1)

    account.review(on(1), at(1), Reminders(14, settings_version=2))

    assert (account.review_on, account.settings_version) == (on(46).isoformat(), 2)
