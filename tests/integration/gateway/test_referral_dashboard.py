"""The tenant's referral board: one client's referrals (refused bookings too) and the summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from starcard_referrals.application import ReferralsService

from tests.integration.gateway.conftest import book, get, patch_referral_settings, project, visit
from tests.support.gateway import TenantCaller

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)
TEN_POUNDS = {"amount_minor": 1000, "currency": "GBP"}


def moment(days_ago: int) -> datetime:
    return NOW - timedelta(days=days_ago)


@pytest.fixture
def adas_referrals(anna: TenantCaller, referrals: ReferralsService, fresh_database: str) -> str:
    """Through Ada's link: a visitor only invited, Bo booked, Cy completed; Ada's own booking
    and Dee's (a client already) refused. Returns Ada's code."""
    book(referrals, anna, "dee", "dee-b1", at=moment(30))
    visit(referrals, anna, "visitor-1", through="ada")
    book(referrals, anna, "bo", "bo-b1", through="ada", at=moment(5))
    book(referrals, anna, "cy", "cy-b1", through="ada", completed=True, at=moment(4))
    book(referrals, anna, "ada", "ada-b1", through="ada", at=moment(3))
    book(referrals, anna, "dee", "dee-b2", through="ada", at=moment(2))
    project(fresh_database)
    return referrals.link_for(anna.tenant_id, "ada").code


async def test_a_clients_referrals_show_every_stage_and_refusals_with_their_reason(
    gateway: httpx.AsyncClient, anna: TenantCaller, adas_referrals: str
) -> None:
    board = await get(gateway, anna, "/v1/referrals/clients/ada/referrals")

    assert (board["link_code"], board["count"]) == (adas_referrals, 5)
    rows = {(r["referred_client_id"] or r["visitor_id"]): r for r in board["data"]}
    assert {name: (r["stage"], r["colour"]) for name, r in rows.items()} == {
        "visitor-1": ("invited", "red"),
        "bo": ("booked", "amber"),
        "cy": ("completed", "green"),
        "ada": ("refused", "grey"),
        "dee": ("refused", "grey"),
    }
    assert (rows["ada"]["refusal_reason"], rows["dee"]["refusal_reason"]) == (
        "self_referral",
        "existing_client",
    )
    assert datetime.fromisoformat(rows["bo"]["booked_at"]) == moment(5)
    assert datetime.fromisoformat(rows["cy"]["completed_at"]) == moment(4)
    assert rows["visitor-1"]["invited_at"] is not None
    assert {r["refusal_reason"] for n, r in rows.items() if n not in {"ada", "dee"}} == {None}


async def test_a_client_nobody_came_through_has_an_empty_board(
    gateway: httpx.AsyncClient, anna: TenantCaller, adas_referrals: str
) -> None:
    assert await get(gateway, anna, "/v1/referrals/clients/bo/referrals") == {
        "link_code": None,
        "data": [],
        "count": 0,
    }


async def test_the_summary_counts_referrals_credits_and_welcome_codes(
    gateway: httpx.AsyncClient, anna: TenantCaller, referrals: ReferralsService, fresh_database: str
) -> None:
    await patch_referral_settings(
        gateway,
        anna,
        reward={"amount": TEN_POUNDS},
        trigger="first_booking",
        reward_referred=True,
    )
    visit(referrals, anna, "visitor-1", through="ada")
    book(referrals, anna, "bo", "bo-b1", through="ada")
    book(referrals, anna, "cy", "cy-b1", through="ada", completed=True)
    book(referrals, anna, "ada", "ada-b1", through="ada")
    used = await gateway.post(
        "/v1/checkout/credit/redeem",
        json={
            "client_id": "ada",
            "booking_id": "ada-b2",
            "amount": {**TEN_POUNDS, "amount_minor": 250},
        },
        headers=anna.headers,
    )
    assert used.status_code == 200, used.text
    project(fresh_database)

    summary = await get(gateway, anna, "/v1/referrals/summary")

    assert summary == {
        "invited": 1,
        "booked": 1,
        "completed": 1,
        "refused": 1,
        "referrers": 1,
        "credits_issued": 2,
        "credit_amounts_issued": [{"amount_minor": 2000, "currency": "GBP"}],
        "credit_amounts_used": [{"amount_minor": 250, "currency": "GBP"}],
        "rewards_alerted": 0,
        "welcome_codes_issued": 2,
        "welcome_codes_redeemed": 0,
        "booking_rate": pytest.approx(2 / 3),
        "completion_rate": pytest.approx(1 / 3),
    }


async def test_a_tenant_with_no_referrals_has_an_empty_summary(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    summary = await get(gateway, anna, "/v1/referrals/summary")

    assert summary["invited"] == summary["credits_issued"] == 0
    assert (summary["credit_amounts_issued"], summary["booking_rate"]) == ([], None)


async def test_a_tenant_never_sees_another_tenants_referrals(
    gateway: httpx.AsyncClient, anna: TenantCaller, brook: TenantCaller, adas_referrals: str
) -> None:
    board = await get(gateway, brook, "/v1/referrals/clients/ada/referrals")
    summary = await get(gateway, brook, "/v1/referrals/summary")

    assert board == {"link_code": None, "data": [], "count": 0}
    assert (summary["invited"], summary["booked"], summary["refused"]) == (0, 0, 0)
    assert (await get(gateway, anna, "/v1/referrals/summary"))["booked"] == 1


@pytest.mark.parametrize("path", ["/v1/referrals/clients/ada/referrals", "/v1/referrals/summary"])
async def test_the_board_needs_the_tenants_key(gateway: httpx.AsyncClient, path: str) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-key"}):
        assert (await gateway.get(path, headers=headers)).status_code == 401
