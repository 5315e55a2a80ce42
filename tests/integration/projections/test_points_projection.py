"""The points read models, projected from a real loyalty event store on PostgreSQL.

Earnings, a redemption, an adjustment, refunds and the clock tick go through the loyalty
service's own use cases; the projection follows in pages of two events (so a movement meets its
account's row in an earlier batch), then is rebuilt in one page, and both must read the same.
Every balance the read model sums from the movements is the account's own.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from starcard_loyalty.app import SCHEMA
from starcard_loyalty.application import LoyaltyService
from starcard_projections.points import (
    PointsLot,
    PointsMovementRow,
    PointsProjection,
    clients_by_points,
    points_history,
    points_summary,
    read_balances,
)
from starcard_projections.runner import Follower, rebuild, rebuild_tenant

from tests.integration.projections.conftest import Following, event_store
from tests.support.points import PointsDesk, at, expires

pytestmark = pytest.mark.integration

CLINIC, OTHER = "clinic", "other"


@pytest.fixture
def desk(fresh_database: str) -> Iterator[PointsDesk]:
    with event_store(LoyaltyService, fresh_database, SCHEMA) as service:
        yield PointsDesk(service)


@pytest.fixture
def follower(following: Following) -> Iterator[Follower]:
    """The projection following in pages of two events."""
    with following("points", page_size=2) as running:
        yield running


def build(desk: PointsDesk, follower: Follower) -> None:
    """Ada's month at the clinic; Bea, Cy and Dan beside her; another business's clients."""
    for tenant in (CLINIC, OTHER):
        desk.open(tenant)
    desk.treatment(CLINIC, "ada", "b1", 60, 0)
    desk.treatment(CLINIC, "ada", "b2", 40, 1, method="package")
    desk.treatment(CLINIC, "ada", "b3", 50, 2, category="laser")
    follower.catch_up()
    desk.redeem(CLINIC, "ada", "b4", points=30, day=3)
    desk.adjust(CLINIC, "ada", "adj-1", points=25, note="Birthday goodwill", day=4)
    desk.refund(CLINIC, "ada", "r1", "b3", 5, pounds=25)
    desk.treatment(CLINIC, "bea", "bb1", 100, 0)
    desk.treatment(CLINIC, "cy", "cb1", 55, 0)
    desk.treatment(OTHER, "ada", "ob1", 500, 0)
    desk.treatment(OTHER, "zed", "oz1", 700, 0)
    # Dan spends his points, then the booking that earned them is refunded: he owes them back,
    # and what he earns next pays that off first.
    desk.treatment(CLINIC, "dan", "d1", 100, 0)
    desk.redeem(CLINIC, "dan", "d2", points=100, day=1, bill=10)
    desk.refund(CLINIC, "dan", "r-d1", "d1", 2, pounds=100)
    desk.treatment(CLINIC, "dan", "d3", 30, 3)
    follower.catch_up()


def account_row(conn: psycopg.Connection[Any], tenant: str, client: str) -> tuple[Any, ...]:
    row = conn.execute(
        "SELECT balance, debt, earned_total FROM read.points_accounts"
        " WHERE tenant_id = %s AND client_id = %s",
        (tenant, client),
    ).fetchone()
    assert row is not None
    return tuple(row)


def snapshot(conn: psycopg.Connection[Any]) -> dict[str, list[tuple[Any, ...]]]:
    return {
        table: sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
        for table in PointsProjection.tables
    }


def test_the_balance_is_what_is_left_of_the_lots_spent_soonest_expiring_first(
    desk: PointsDesk, follower: Follower, conn: psycopg.Connection[Any]
) -> None:
    build(desk, follower)
    desk.tick(CLINIC, expires(0))
    follower.catch_up()

    summary = points_summary(conn, CLINIC, "ada")

    # 60 + 0 + 50 + 10 bonus - 30 redeemed + 25 adjusted - 30 reversed - 30 expired
    assert summary.balance == 55
    assert summary.lots == [
        PointsLot("booking:b3#base", "booking:b3", 50, 20, at(2), expires(2)),
        PointsLot("booking:b3#bonus:laser-boost", "booking:b3", 10, 10, at(2), expires(2)),
        PointsLot("adjustment:adj-1", "adjustment:adj-1", 25, 25, at(4), expires(4)),
    ]
    assert summary.next_expiry == (expires(2), 30)
    assert account_row(conn, CLINIC, "ada") == (55, 0, 120)


def test_a_client_without_an_account_has_no_points(
    desk: PointsDesk, follower: Follower, conn: psycopg.Connection[Any]
) -> None:
    build(desk, follower)

    summary = points_summary(conn, CLINIC, "zed")

    assert (summary.client_id, summary.balance, summary.lots, summary.next_expiry) == (
        "zed",
        0,
        [],
        None,
    )


def test_the_history_lists_every_movement_newest_first_with_its_reason(
    desk: PointsDesk, follower: Follower, conn: psycopg.Connection[Any]
) -> None:
    build(desk, follower)
    desk.tick(CLINIC, expires(0))
    follower.catch_up()

    rows, total = points_history(conn, CLINIC, "ada", limit=50, offset=0)

    assert total == 8
    assert [(r.reason, r.points, r.balance, r.source) for r in rows] == [
        ("expired", -30, 55, "expiry"),
        ("reversed", -30, 85, "booking:b3"),
        ("adjusted", 25, 115, "adjustment:adj-1"),
        ("redeemed", -30, 90, "booking:b4"),
        ("bonus", 10, 120, "booking:b3"),
        ("earned", 50, 110, "booking:b3"),
        ("earned", 0, 60, "booking:b2"),
        ("earned", 60, 60, "booking:b1"),
    ]
    expired, reversed_, adjusted, _, bonus, _, package, first = rows
    assert expired.at.date() == expires(0)
    assert reversed_.detail == "refund r1"
    assert adjusted == PointsMovementRow(
        at(4), "adjusted", 25, 115, "adjustment:adj-1", None, None, "Birthday goodwill", expires(4)
    )
    assert (bonus.rule, bonus.expires_on) == ("bonus:laser-boost", expires(2))
    assert package.detail is not None
    assert "paid by package, no points" in package.detail
    assert (first.at, first.rule, first.expires_on) == (at(0), None, expires(0))


def test_the_history_is_paginated(
    desk: PointsDesk, follower: Follower, conn: psycopg.Connection[Any]
) -> None:
    build(desk, follower)
    everything, _ = points_history(conn, CLINIC, "ada", limit=50, offset=0)

    pages = [points_history(conn, CLINIC, "ada", limit=3, offset=n) for n in (0, 3, 6)]

    assert [total for _, total in pages] == [7, 7, 7]
    assert [len(rows) for rows, _ in pages] == [3, 3, 1]
    assert [row for rows, _ in pages for row in rows] == everything


def test_a_refund_of_points_already_spent_leaves_a_debt_the_next_points_pay_off(
    desk: PointsDesk, follower: Follower, conn: psycopg.Connection[Any]
) -> None:
    build(desk, follower)
    assert account_row(conn, CLINIC, "dan") == (-70, 70, 130)
    assert points_summary(conn, CLINIC, "dan").lots == []

    # The booking paid with points is refunded whole: they come back, paying the debt first.
    desk.refund(CLINIC, "dan", "r-d2", "d2", 4)
    follower.catch_up()

    assert account_row(conn, CLINIC, "dan") == (30, 0, 130)
    summary = points_summary(conn, CLINIC, "dan")
    assert [(lot.lot_id, lot.remaining) for lot in summary.lots] == [("booking:d1#base", 30)]
    rows, _ = points_history(conn, CLINIC, "dan", limit=10, offset=0)
    assert [(r.reason, r.points, r.balance, r.detail) for r in rows] == [
        ("reversed", 100, 30, "refund r-d2"),
        ("earned", 30, -70, "Facials"),
        ("reversed", -100, -100, "refund r-d1"),
        ("redeemed", -100, 0, None),
        ("earned", 100, 100, "Facials"),
    ]


def test_clients_are_listed_by_points_and_only_their_own_business_s(
    desk: PointsDesk, follower: Follower, conn: psycopg.Connection[Any]
) -> None:
    build(desk, follower)

    assert clients_by_points(conn, CLINIC, limit=10, offset=0) == (
        [("bea", 100), ("ada", 85), ("cy", 55), ("dan", -70)],
        4,
    )
    assert clients_by_points(conn, CLINIC, limit=2, offset=1) == ([("ada", 85), ("cy", 55)], 4)
    assert clients_by_points(conn, OTHER, limit=10, offset=0) == ([("zed", 700), ("ada", 500)], 2)
    assert points_summary(conn, OTHER, "ada").balance == 500
    assert points_history(conn, OTHER, "ada", limit=10, offset=0)[1] == 1
    assert clients_by_points(conn, "nobody", limit=10, offset=0) == ([], 0)
    assert read_balances(conn, OTHER) == {(OTHER, "ada"): 500, (OTHER, "zed"): 700}


def test_every_balance_summed_from_the_movements_is_the_account_s_own(
    desk: PointsDesk, follower: Follower, conn: psycopg.Connection[Any]
) -> None:
    build(desk, follower)
    desk.refund(CLINIC, "dan", "r-d2", "d2", 4)
    desk.tick(CLINIC, expires(0))
    follower.catch_up()

    assert read_balances(conn) == desk.balances()
    assert len(desk.balances()) == 6


def test_a_rebuild_reads_the_same(
    desk: PointsDesk,
    follower: Follower,
    conn: psycopg.Connection[Any],
    fresh_database: str,
) -> None:
    build(desk, follower)
    desk.refund(CLINIC, "dan", "r-d2", "d2", 4)
    desk.tick(CLINIC, expires(0))
    follower.catch_up()
    followed = snapshot(conn)

    rebuild(fresh_database, "points", lambda _done, _total: None)
    assert snapshot(conn) == followed

    rebuild_tenant(fresh_database, "points", CLINIC, lambda _done, _total: None)
    assert snapshot(conn) == followed
