"""The tiers read models, projected from a real loyalty event store on PostgreSQL.

Purchases, refunds and the clock tick go through the loyalty service's own use cases; the
projection follows in pages of two events (so an account's events meet its row in an earlier
batch), then is rebuilt in one page (so an account's events share a batch, the last winning),
and both must read the same. Every member's row is the account's own outlook.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import psycopg
import pytest
from starcard_loyalty.app import SCHEMA
from starcard_loyalty.application import LoyaltyService
from starcard_projections.runner import Follower, rebuild, rebuild_tenant
from starcard_projections.tiers import (
    TierHistoryRow,
    TierMember,
    TiersProjection,
    clients_in_tier,
    tier_distribution,
    tier_history,
    tier_member,
)

from tests.integration.projections.conftest import Following, event_store
from tests.support.tiers import TiersDesk, at, leaves, start_of

pytestmark = pytest.mark.integration

CLINIC, OTHER = "clinic", "other"
MEMBERS = {CLINIC: ("ada", "bea", "cy", "dan", "eve"), OTHER: ("ada", "zed")}


@pytest.fixture
def desk(fresh_database: str) -> Iterator[TiersDesk]:
    with event_store(LoyaltyService, fresh_database, SCHEMA) as service:
        yield TiersDesk(service)


@pytest.fixture
def follower(following: Following) -> Iterator[Follower]:
    """The projection following in pages of two events."""
    with following("tiers", page_size=2) as running:
        yield running


def build(desk: TiersDesk, follower: Follower) -> None:
    """Ada reaches VIP on her second visit; Bea reaches it and a refund takes it back; Cy never
    spends enough to move; Dan goes straight to Elite; Eve reaches VIP exactly. Another business
    has an Ada of its own, and Zed."""
    for tenant in (CLINIC, OTHER):
        desk.open(tenant)
    desk.treatment(CLINIC, "ada", "a1", 600, 0)
    desk.treatment(CLINIC, "ada", "a2", 500, 10)
    follower.catch_up()
    desk.treatment(CLINIC, "bea", "b1", 1200, 0)
    desk.refund(CLINIC, "bea", "r-b1", "b1", 5, pounds=300)
    desk.treatment(CLINIC, "cy", "c1", 50, 0)
    desk.treatment(CLINIC, "dan", "d1", 3000, 1)
    desk.treatment(CLINIC, "eve", "e1", 1000, 2)
    desk.treatment(OTHER, "ada", "oa1", 3000, 0)
    desk.treatment(OTHER, "zed", "oz1", 1500, 0)
    follower.catch_up()


def the_year_passes(desk: TiersDesk, follower: Follower) -> None:
    """The ticks of the day before Ada's first visit leaves the window (warnings), and of the
    day it leaves."""
    desk.tick(CLINIC, leaves(0) - timedelta(days=1))
    desk.tick(CLINIC, leaves(0))
    follower.catch_up()


def member(conn: psycopg.Connection[Any], tenant: str, client: str) -> TierMember:
    found = tier_member(conn, tenant, client)
    assert found is not None
    return found


def outlook(row: TierMember) -> tuple[Any, ...]:
    return (row.tier_id, row.spend_minor, row.drops_on, row.shortfall_minor, row.tier_since)


def snapshot(conn: psycopg.Connection[Any]) -> dict[str, list[tuple[Any, ...]]]:
    return {
        table: sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
        for table in TiersProjection.tables
    }


def test_an_upgrade_shows_the_tier_the_spend_and_what_keeps_it(
    desk: TiersDesk, follower: Follower, conn: psycopg.Connection[Any]
) -> None:
    build(desk, follower)

    ada = member(conn, CLINIC, "ada")

    # £1,100 in the window; when the £600 visit leaves it, £500 is short of VIP's £1,000.
    assert outlook(ada) == ("vip", 110_000, leaves(0), 50_000, at(10))
    assert ada.updated_at == desk.membership(CLINIC, "ada").modified_on
    assert tier_history(conn, CLINIC, "ada", limit=10, offset=0) == (
        [TierHistoryRow(at(10), "regular", "vip", "up", "spend_reached", 110_000)],
        1,
    )


def test_a_client_without_a_membership_has_no_row(
    desk: TiersDesk, follower: Follower, conn: psycopg.Connection[Any]
) -> None:
    build(desk, follower)

    assert tier_member(conn, CLINIC, "zed") is None
    assert tier_history(conn, CLINIC, "zed", limit=10, offset=0) == ([], 0)


def test_the_tier_drops_on_the_tick_of_the_day_a_purchase_leaves_the_window(
    desk: TiersDesk, follower: Follower, conn: psycopg.Connection[Any]
) -> None:
    build(desk, follower)

    desk.tick(CLINIC, leaves(0) - timedelta(days=1))
    follower.catch_up()
    assert outlook(member(conn, CLINIC, "ada")) == ("vip", 110_000, leaves(0), 50_000, at(10))

    desk.tick(CLINIC, leaves(0))
    follower.catch_up()
    ada = member(conn, CLINIC, "ada")
    assert outlook(ada) == ("regular", 50_000, None, 0, start_of(leaves(0)))
    assert ada.updated_at == desk.membership(CLINIC, "ada").modified_on
    rows, total = tier_history(conn, CLINIC, "ada", limit=10, offset=0)
    assert total == 2
    assert rows[0] == TierHistoryRow(
        start_of(leaves(0)), "vip", "regular", "down", "spend_left_window", 50_000
    )
    # Eve's visit was two days after Ada's first: her VIP stays until it leaves the window.
    assert outlook(member(conn, CLINIC, "eve")) == ("vip", 100_000, leaves(2), 100_000, at(2))


def test_a_refund_that_takes_the_spend_below_the_tier_drops_it(
    desk: TiersDesk, follower: Follower, conn: psycopg.Connection[Any]
) -> None:
    build(desk, follower)

    assert outlook(member(conn, CLINIC, "bea")) == ("regular", 90_000, None, 0, at(5))
    assert tier_history(conn, CLINIC, "bea", limit=10, offset=0) == (
        [
            TierHistoryRow(at(5), "vip", "regular", "down", "refunded", 90_000),
            TierHistoryRow(at(0), "regular", "vip", "up", "spend_reached", 120_000),
        ],
        2,
    )
    assert tier_history(conn, CLINIC, "bea", limit=1, offset=1) == (
        [TierHistoryRow(at(0), "regular", "vip", "up", "spend_reached", 120_000)],
        2,
    )


def test_the_distribution_counts_members_by_the_tier_they_show(
    desk: TiersDesk, follower: Follower, conn: psycopg.Connection[Any]
) -> None:
    build(desk, follower)

    # Cy never moved from the first tier (None); Bea dropped back to it (its id).
    assert tier_distribution(conn, CLINIC) == {None: 1, "regular": 1, "vip": 2, "elite": 1}


def test_the_clients_of_a_tier_are_listed_highest_spend_first(
    desk: TiersDesk, follower: Follower, conn: psycopg.Connection[Any]
) -> None:
    build(desk, follower)

    vips, total = clients_in_tier(conn, CLINIC, "vip", limit=10, offset=0)
    assert ([(m.client_id, m.spend_minor) for m in vips], total) == (
        [("ada", 110_000), ("eve", 100_000)],
        2,
    )
    assert clients_in_tier(conn, CLINIC, "vip", limit=1, offset=1) == (vips[1:], 2)
    never_moved, total = clients_in_tier(conn, CLINIC, None, limit=10, offset=0)
    assert ([outlook(m) for m in never_moved], total) == ([(None, 5_000, None, 0, None)], 1)
    dropped, total = clients_in_tier(conn, CLINIC, "regular", limit=10, offset=0)
    assert ([m.client_id for m in dropped], total) == (["bea"], 1)
    assert clients_in_tier(conn, CLINIC, "platinum", limit=10, offset=0) == ([], 0)


def test_another_business_s_clients_never_appear(
    desk: TiersDesk, follower: Follower, conn: psycopg.Connection[Any]
) -> None:
    build(desk, follower)
    the_year_passes(desk, follower)

    assert tier_distribution(conn, OTHER) == {"elite": 1, "vip": 1}
    assert member(conn, OTHER, "ada").tier_id == "elite"
    assert tier_history(conn, OTHER, "ada", limit=10, offset=0)[1] == 1
    assert [m.client_id for m in clients_in_tier(conn, OTHER, "vip", limit=10, offset=0)[0]] == [
        "zed"
    ]
    assert tier_member(conn, CLINIC, "zed") is None
    assert tier_distribution(conn, "nobody") == {}


def test_every_member_s_row_is_the_account_s_own_outlook(
    desk: TiersDesk, follower: Follower, conn: psycopg.Connection[Any]
) -> None:
    build(desk, follower)
    the_year_passes(desk, follower)

    for tenant, clients in MEMBERS.items():
        for client in clients:
            account = desk.membership(tenant, client)
            row = member(conn, tenant, client)
            assert (row.tier_id, row.spend_minor, row.drops_on, row.shortfall_minor) == (
                account.announced,
                account.spend_minor,
                date.fromisoformat(account.drops_on) if account.drops_on else None,
                account.shortfall_minor,
            )
            assert row.updated_at == account.modified_on
    assert sum(sum(tier_distribution(conn, tenant).values()) for tenant in MEMBERS) == 7


def test_a_rebuild_reads_the_same(
    desk: TiersDesk,
    follower: Follower,
    conn: psycopg.Connection[Any],
    fresh_database: str,
) -> None:
    build(desk, follower)
    the_year_passes(desk, follower)
    followed = snapshot(conn)

    rebuild(fresh_database, "tiers", lambda _done, _total: None)
    assert snapshot(conn) == followed

    rebuild_tenant(fresh_database, "tiers", CLINIC, lambda _done, _total: None)
    assert snapshot(conn) == followed
