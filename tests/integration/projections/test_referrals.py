"""The referrals read models, projected from a real referrals event store on PostgreSQL.

Referrals are made through the service's own use cases; the projection follows in small pages
(so later events meet their aggregate's row in an earlier batch), then is rebuilt in one page
(so they meet it in the same batch), and both must read the same.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from starcard_projections.referrals import (
    CreditBanner,
    ReferralRow,
    client_link_code,
    client_referrals,
    credit_banner,
    referral_summary,
)
from starcard_projections.runner import Follower, follow, migrate, rebuild
from starcard_referrals.app import SCHEMA
from starcard_referrals.application import ReferralsService
from starcard_referrals.domain.programme import Delivery, Trigger
from starcard_referrals.domain.referee import Referee
from starcard_referrals.domain.values import RewardValue

from tests.integration.projections.conftest import Following, event_store, in_one_batch

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
ANNA, BROOK = "anna", "brook"


def at(hours: int) -> datetime:
    return T0 + timedelta(hours=hours)


class Referrals:
    """The referrals service driven as its Kafka handlers and the gateway drive it."""

    def __init__(self, service: ReferralsService) -> None:
        self.service = service

    def link(self, tenant: str, client: str) -> str:
        return self.service.link_for(tenant, client, at(0)).code

    def visit(self, tenant: str, code: str, visitor: str, hours: int) -> None:
        in_one_batch(
            self.service,
            lambda unit: self.service.record_visit(unit, tenant, code, visitor, at(hours)),
        )

    def book(
        self,
        tenant: str,
        client: str,
        booking: str,
        hours: int,
        *,
        code: str | None = None,
        visitor: str | None = None,
    ) -> Referee:
        return in_one_batch(
            self.service,
            lambda unit: self.service.record_booking(
                unit, tenant, client, booking, at(hours), code=code, visitor_id=visitor
            ),
        )

    def complete(self, tenant: str, client: str, booking: str, hours: int) -> None:
        in_one_batch(
            self.service,
            lambda unit: self.service.record_completion(
                unit, tenant, client, booking, at(hours), paid=True
            ),
        )


@pytest.fixture
def referrals(fresh_database: str) -> Iterator[Referrals]:
    with event_store(ReferralsService, fresh_database, SCHEMA) as service:
        yield Referrals(service)


@pytest.fixture
def follower(following: Following) -> Iterator[Follower]:
    """The projection following in pages of two events."""
    with following("referrals", page_size=2) as running:
        yield running


def invited(visitor: str, hours: int) -> ReferralRow:
    return ReferralRow(None, visitor, "invited", "red", at(hours), None, None, None)


def booked(
    client: str, hours: int, *, visitor: str | None = None, invited: int | None = None
) -> ReferralRow:
    invited_at = None if invited is None else at(invited)
    return ReferralRow(client, visitor, "booked", "amber", invited_at, at(hours), None, None)


def refused(client: str, hours: int, reason: str) -> ReferralRow:
    return ReferralRow(client, None, "refused", "grey", None, at(hours), None, reason)


def build(referrals: Referrals, follower: Follower) -> dict[str, str]:
    """Both tenants' referrals, projected as they happen; returns the links' codes."""
    service = referrals.service
    for tenant in (ANNA, BROOK):
        service.open_programme(tenant, tenant.title())
    service.change_settings(
        ANNA,
        reward=RewardValue.of_amount(1000, "GBP"),
        trigger=Trigger.FIRST_BOOKING,
        reward_referred=True,
    )
    ada, bea = referrals.link(ANNA, "ada"), referrals.link(ANNA, "bea")
    referrals.book(ANNA, "cy", "cy-b0", 0)

    # A visit, then the booking that names its visitor.
    referrals.visit(ANNA, ada, "v-zoe", 1)
    referrals.book(ANNA, "zoe", "zoe-b1", 2, code=ada, visitor="v-zoe")
    follower.catch_up()
    # A booking, then (projected in a later batch) the visit of the visitor it named.
    referrals.book(ANNA, "yan", "yan-b1", 3, code=ada, visitor="v-yan")
    follower.catch_up()
    referrals.visit(ANNA, ada, "v-yan", 4)
    referrals.visit(ANNA, ada, "v-only", 5)
    referrals.visit(ANNA, ada, "ada", 6)  # her own link: nobody invited

    service.change_settings(ANNA, reward=RewardValue.of_percent(15))
    referrals.book(ANNA, "xia", "xia-b1", 7, code=ada)
    service.change_settings(ANNA, reward=RewardValue.of_percent(5))
    referrals.book(ANNA, "wes", "wes-b1", 8, code=ada)
    referrals.complete(ANNA, "zoe", "zoe-b2", 9)

    referrals.book(ANNA, "ada", "ada-b1", 10, code=ada)  # self_referral
    referrals.book(ANNA, "cy", "cy-b1", 11, code=ada)  # existing_client
    referrals.book(ANNA, "zoe", "zoe-b3", 12, code=bea)  # already_referred
    service.change_settings(ANNA, delivery=Delivery.ALERT, alert_email="owner@anna.example")
    uma = referrals.book(ANNA, "uma", "uma-b1", 13, code=bea, visitor="v-uma")
    assert uma.welcome_code is not None
    follower.catch_up()

    service.apply_credit(
        ANNA, "ada", booking_id="ada-b2", amount_minor=1800, currency="GBP", at=at(14)
    )
    service.redeem_code(
        ANNA,
        "uma",
        code=uma.welcome_code,
        booking_id="uma-b2",
        amount_minor=5000,
        currency="GBP",
        at=at(15),
    )

    # Brook: the same client and visitor ids, default settings (10% credit on completion).
    brook_ada = referrals.link(BROOK, "ada")
    referrals.visit(BROOK, brook_ada, "v-zoe", 1)
    referrals.visit(BROOK, brook_ada, "v-brook", 2)
    referrals.book(BROOK, "zoe", "zoe-b1", 3, code=brook_ada, visitor="v-zoe")
    referrals.complete(BROOK, "zoe", "zoe-b1", 4)
    follower.catch_up()
    return {"ada": ada, "bea": bea, "brook_ada": brook_ada}


def snapshot(conn: psycopg.Connection[Any]) -> dict[str, Any]:
    """Everything the queries answer, for both tenants."""
    views: dict[str, Any] = {}
    for tenant in (ANNA, BROOK):
        views[f"{tenant}/summary"] = referral_summary(conn, tenant)
        for client in ("ada", "bea", "zoe", "uma", "nobody"):
            views[f"{tenant}/{client}/referrals"] = client_referrals(conn, tenant, client)
            views[f"{tenant}/{client}/all"] = client_referrals(
                conn, tenant, client, include_refused=True
            )
            views[f"{tenant}/{client}/banner"] = credit_banner(conn, tenant, client)
            views[f"{tenant}/{client}/link"] = client_link_code(conn, tenant, client)
    return views


def test_a_clients_referrals_merge_visits_with_bookings_and_hide_own_visits(
    referrals: Referrals, follower: Follower, conn: psycopg.Connection[Any]
) -> None:
    build(referrals, follower)

    zoe = ReferralRow("zoe", "v-zoe", "completed", "green", at(1), at(2), at(9), None)
    assert client_referrals(conn, ANNA, "ada") == [
        zoe,
        booked("wes", 8),
        booked("xia", 7),
        invited("v-only", 5),
        booked("yan", 3, visitor="v-yan", invited=4),
    ]
    assert client_referrals(conn, ANNA, "ada", include_refused=True) == [
        refused("cy", 11, "existing_client"),
        refused("ada", 10, "self_referral"),
        zoe,
        booked("wes", 8),
        booked("xia", 7),
        invited("v-only", 5),
        booked("yan", 3, visitor="v-yan", invited=4),
    ]
    assert client_referrals(conn, ANNA, "bea") == [booked("uma", 13, visitor="v-uma")]
    assert client_referrals(conn, ANNA, "bea", include_refused=True) == [
        booked("uma", 13, visitor="v-uma"),
        refused("zoe", 12, "already_referred"),
    ]
    assert client_referrals(conn, ANNA, "zoe", include_refused=True) == []


def test_credit_banner_shows_what_is_left_after_a_partial_use(
    referrals: Referrals, follower: Follower, conn: psycopg.Connection[Any]
) -> None:
    build(referrals, follower)

    # £10 + £10 + 15% + 5%; £18 took 15% (£2.70), then £10 and £5.30 of the fixed credits.
    assert credit_banner(conn, ANNA, "ada") == CreditBanner({"GBP": 470}, [5])
    assert referrals.service.available_credit(ANNA, "ada").amounts == {"GBP": 470}
    assert credit_banner(conn, ANNA, "bea") is None  # rewarded by an alert, not a credit
    assert credit_banner(conn, ANNA, "nobody") is None
    assert credit_banner(conn, BROOK, "ada") == CreditBanner({}, [10])


def test_the_summary_counts_the_tenants_referrals_credits_and_codes(
    referrals: Referrals, follower: Follower, conn: psycopg.Connection[Any]
) -> None:
    build(referrals, follower)

    anna = referral_summary(conn, ANNA)
    assert (anna.invited, anna.booked, anna.completed, anna.refused) == (1, 4, 1, 3)
    assert anna.referrers == 2
    assert anna.credits_issued == 4
    assert anna.credit_amounts_issued == {"GBP": 2000}
    assert anna.credit_amounts_used == {"GBP": 1800}
    assert anna.rewards_alerted == 1
    assert (anna.welcome_codes_issued, anna.welcome_codes_redeemed) == (5, 1)
    assert anna.booking_rate == pytest.approx(5 / 6)
    assert anna.completion_rate == pytest.approx(1 / 6)

    brook = referral_summary(conn, BROOK)
    assert (brook.invited, brook.booked, brook.completed, brook.refused) == (1, 0, 1, 0)
    assert (brook.referrers, brook.credits_issued, brook.rewards_alerted) == (1, 1, 0)
    assert (brook.credit_amounts_issued, brook.credit_amounts_used) == ({}, {})
    assert (brook.booking_rate, brook.completion_rate) == (0.5, 0.5)

    nobody = referral_summary(conn, "carol")
    assert (nobody.invited, nobody.referrers, nobody.credits_issued) == (0, 0, 0)
    assert (nobody.booking_rate, nobody.completion_rate) == (None, None)


def test_tenants_never_see_each_others_rows(
    referrals: Referrals, follower: Follower, conn: psycopg.Connection[Any]
) -> None:
    codes = build(referrals, follower)

    zoe = ReferralRow("zoe", "v-zoe", "completed", "green", at(1), at(3), at(4), None)
    assert client_referrals(conn, BROOK, "ada", include_refused=True) == [
        zoe,
        invited("v-brook", 2),
    ]
    assert all(row.visitor_id != "v-brook" for row in client_referrals(conn, ANNA, "ada"))
    assert client_referrals(conn, BROOK, "bea", include_refused=True) == []
    assert client_link_code(conn, ANNA, "ada") == codes["ada"]
    assert client_link_code(conn, BROOK, "ada") == codes["brook_ada"]
    assert client_link_code(conn, BROOK, "bea") is None
    assert client_link_code(conn, ANNA, "nobody") is None


def test_a_rebuild_reads_the_same_as_following(
    referrals: Referrals, follower: Follower, conn: psycopg.Connection[Any], fresh_database: str
) -> None:
    build(referrals, follower)
    followed = snapshot(conn)

    reached = rebuild(fresh_database, "referrals", lambda *_: None)

    assert reached == follower.head()
    assert snapshot(conn) == followed


def test_the_projections_process_follows_referrals(
    referrals: Referrals, fresh_database: str, conn: psycopg.Connection[Any]
) -> None:
    """``python -m starcard_projections`` runs ``follow``: it keeps this projection too."""
    referrals.service.open_programme(ANNA, "Anna")
    code = referrals.link(ANNA, "ada")
    migrate(fresh_database)  # so the tables are there to be asked while ``follow`` starts
    stop = threading.Event()
    thread = threading.Thread(target=follow, args=(fresh_database, stop), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while client_link_code(conn, ANNA, "ada") is None and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert client_link_code(conn, ANNA, "ada") == code
