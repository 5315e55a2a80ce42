"""Settings → Referrals: reading them, changing some of them, and every refusal naming the fix."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.gateway.conftest import get, patch_referral_settings, refused_field
from tests.support.gateway import TenantCaller

pytestmark = pytest.mark.integration

DEFAULTS = {
    "reward": {"amount": None, "percent": 10},
    "trigger": "first_completed",
    "reward_referred": False,
    "delivery": "credit",
    "alert_email": None,
    "booking_page_url": None,
}
TEN_POUNDS = {"amount_minor": 1000, "currency": "GBP"}


async def test_a_new_tenant_gives_ten_percent_credit_once_the_friends_first_visit_is_done(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    assert await get(gateway, anna, "/v1/referrals/settings") == DEFAULTS


async def test_changing_some_settings_leaves_the_rest_as_they_were(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    changed = await patch_referral_settings(
        gateway, anna, reward={"amount": TEN_POUNDS}, trigger="first_booking"
    )
    expected = DEFAULTS | {
        "reward": {"amount": TEN_POUNDS, "percent": None},
        "trigger": "first_booking",
    }
    assert changed == expected

    changed = await patch_referral_settings(
        gateway,
        anna,
        reward_referred=True,
        delivery="alert",
        alert_email="owner@anna.example",
        booking_page_url="https://book.example.com/anna",
    )
    expected |= {
        "reward_referred": True,
        "delivery": "alert",
        "alert_email": "owner@anna.example",
        "booking_page_url": "https://book.example.com/anna",
    }
    assert changed == expected
    assert await get(gateway, anna, "/v1/referrals/settings") == expected


async def test_null_clears_the_booking_page_and_an_empty_change_changes_nothing(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    await patch_referral_settings(gateway, anna, booking_page_url="https://book.example.com/a")

    assert await patch_referral_settings(gateway, anna, booking_page_url=None) == DEFAULTS
    assert await patch_referral_settings(gateway, anna) == DEFAULTS


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"delivery": "alert"}, "alert_email"),
        ({"alert_email": "not-an-email"}, "alert_email"),
        ({"booking_page_url": "book.example.com"}, "booking_page_url"),
        ({"booking_page_url": "https://book.example.com/#top"}, "booking_page_url"),
        ({"reward": {"amount": {"amount_minor": 0, "currency": "GBP"}}}, "more than zero"),
    ],
)
async def test_settings_that_do_not_hold_together_are_refused_naming_the_fix(
    gateway: httpx.AsyncClient, anna: TenantCaller, changes: dict[str, Any], named: str
) -> None:
    response = await gateway.patch("/v1/referrals/settings", json=changes, headers=anna.headers)

    assert response.status_code == 422, response.text
    assert named in response.json()["detail"]
    assert await get(gateway, anna, "/v1/referrals/settings") == DEFAULTS


@pytest.mark.parametrize(
    ("changes", "loc", "message"),
    [
        ({"reward": {"amount": TEN_POUNDS, "percent": 10}}, ["body", "reward"], "exactly one"),
        ({"reward": {}}, ["body", "reward"], "exactly one"),
        ({"reward": {"percent": 101}}, ["body", "reward", "percent"], "100"),
        ({"reward": {"amount": {"amount_minor": 10.5, "currency": "GBP"}}}, None, "integer"),
        ({"trigger": "first_visit"}, ["body", "trigger"], "first_booking"),
        ({"delivery": None}, ["body"], "delivery cannot be null"),
        ({"reward_referred": None}, ["body"], "reward_referred cannot be null"),
        ({"reward_for": "everyone"}, ["body", "reward_for"], "Extra inputs"),
    ],
)
async def test_a_malformed_change_is_refused_naming_the_field(
    gateway: httpx.AsyncClient,
    anna: TenantCaller,
    changes: dict[str, Any],
    loc: list[str] | None,
    message: str,
) -> None:
    response = await gateway.patch("/v1/referrals/settings", json=changes, headers=anna.headers)

    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert loc is None or refused_field(response) == ".".join(loc[1:]) or loc == ["body"]
    assert message in detail


async def test_a_tenant_never_sees_nor_changes_another_tenants_settings(
    gateway: httpx.AsyncClient, anna: TenantCaller, brook: TenantCaller
) -> None:
    await patch_referral_settings(gateway, brook, reward={"percent": 25})

    assert await get(gateway, anna, "/v1/referrals/settings") == DEFAULTS
    assert (await get(gateway, brook, "/v1/referrals/settings"))["reward"]["percent"] == 25


@pytest.mark.parametrize("method", ["GET", "PATCH"])
@pytest.mark.parametrize("api_key", [None, "sc_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"])
async def test_the_settings_need_the_tenants_key(
    gateway: httpx.AsyncClient, anna: TenantCaller, method: str, api_key: str | None
) -> None:
    headers = {} if api_key is None else {"Authorization": f"Bearer {api_key}"}

    response = await gateway.request(
        method, "/v1/referrals/settings", json={"reward_referred": True}, headers=headers
    )

    assert response.status_code == 401
    assert await get(gateway, anna, "/v1/referrals/settings") == DEFAULTS
