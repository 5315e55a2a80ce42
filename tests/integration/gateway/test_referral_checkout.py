"""Referral discounts at checkout: the referrer's credit, and the referred client's REF- code.

Credits and welcome codes are made as the referrals service makes them from booking events: a
booking through a referrer's link, under settings that reward at the first booking.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starcard_referrals.application import ReferralsService

from tests.integration.gateway.conftest import book, gbp, patch_referral_settings, refused_field
from tests.support.gateway import TenantCaller

pytestmark = pytest.mark.integration

TEN_POUNDS = {"amount": {"amount_minor": 1000, "currency": "GBP"}}
MADE_UP = "REF-ZZZZ2345"


async def credit(
    gateway: httpx.AsyncClient,
    tenant: TenantCaller,
    client: str,
    amount: dict[str, Any],
    booking_id: str | None = None,
) -> httpx.Response:
    """Quote the client's credit on `amount`, or use it on the booking when one is given."""
    body = {"client_id": client, "amount": amount}
    if booking_id is None:
        return await gateway.post("/v1/checkout/credit/quote", json=body, headers=tenant.headers)
    return await gateway.post(
        "/v1/checkout/credit/redeem", json=body | {"booking_id": booking_id}, headers=tenant.headers
    )


async def code_call(
    gateway: httpx.AsyncClient,
    tenant: TenantCaller,
    client: str,
    code: str,
    amount_minor: int,
    *,
    booking_id: str | None = None,
) -> httpx.Response:
    """Quote the code on the amount, or redeem it on the booking when one is given."""
    body = {"client_id": client, "code": code, "amount": gbp(amount_minor)}
    if booking_id is None:
        return await gateway.post("/v1/checkout/quote", json=body, headers=tenant.headers)
    return await gateway.post(
        "/v1/checkout/redeem", json=body | {"booking_id": booking_id}, headers=tenant.headers
    )


async def rewarded_at_booking(
    gateway: httpx.AsyncClient, tenant: TenantCaller, reward: dict[str, Any], **settings: Any
) -> None:
    await patch_referral_settings(
        gateway, tenant, reward=reward, trigger="first_booking", **settings
    )


# -- credit ----------------------------------------------------------------------------------


async def test_fixed_credit_pays_part_of_a_booking_and_the_rest_stays_for_the_next(
    gateway: httpx.AsyncClient, anna: TenantCaller, referrals: ReferralsService
) -> None:
    await rewarded_at_booking(gateway, anna, TEN_POUNDS)
    book(referrals, anna, "bo", "bo-b1", through="ada")

    quoted = await credit(gateway, anna, "ada", gbp(600))
    assert quoted.status_code == 200, quoted.text
    assert quoted.json() == {
        "discount": gbp(600),
        "total": gbp(0),
        "credits_used": [{"credit_id": "bo", "amount": gbp(600)}],
    }

    used = await credit(gateway, anna, "ada", gbp(600), "ada-b1")
    assert used.status_code == 200, used.text
    assert used.json() == quoted.json() | {"booking_id": "ada-b1"}

    rest = await credit(gateway, anna, "ada", gbp(6000), "ada-b2")
    assert rest.json() == {
        "discount": gbp(400),
        "total": gbp(5600),
        "credits_used": [{"credit_id": "bo", "amount": gbp(400)}],
        "booking_id": "ada-b2",
    }
    assert (await credit(gateway, anna, "ada", gbp(6000))).json()["discount"] == gbp(0)


async def test_using_credit_again_for_the_same_booking_answers_the_same_and_uses_nothing(
    gateway: httpx.AsyncClient, anna: TenantCaller, referrals: ReferralsService
) -> None:
    await rewarded_at_booking(gateway, anna, TEN_POUNDS)
    book(referrals, anna, "bo", "bo-b1", through="ada")

    first = await credit(gateway, anna, "ada", gbp(700), "ada-b1")
    again = await credit(gateway, anna, "ada", gbp(700), "ada-b1")

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    assert (await credit(gateway, anna, "ada", gbp(6000))).json()["discount"] == gbp(300)


@pytest.mark.parametrize("amount", [gbp(100), {"amount_minor": 700, "currency": "EUR"}])
async def test_using_credit_again_for_the_same_booking_with_another_amount_is_refused(
    gateway: httpx.AsyncClient,
    anna: TenantCaller,
    referrals: ReferralsService,
    amount: dict[str, Any],
) -> None:
    await rewarded_at_booking(gateway, anna, TEN_POUNDS)
    book(referrals, anna, "bo", "bo-b1", through="ada")
    assert (await credit(gateway, anna, "ada", gbp(700), "ada-b1")).status_code == 200

    response = await credit(gateway, anna, "ada", amount, "ada-b1")

    assert response.status_code == 409, response.text
    assert "ada-b1" in response.json()["detail"]
    assert (await credit(gateway, anna, "ada", gbp(6000))).json()["discount"] == gbp(300)


@pytest.mark.parametrize(
    ("amount_minor", "discount_minor"),
    [(6000, 600), (4995, 500), (4994, 499), (5, 1), (4, 0), (0, 0)],
)
async def test_percentage_credit_is_rounded_half_up_to_the_minor_unit(
    gateway: httpx.AsyncClient,
    anna: TenantCaller,
    referrals: ReferralsService,
    amount_minor: int,
    discount_minor: int,
) -> None:
    await rewarded_at_booking(gateway, anna, {"percent": 10})
    book(referrals, anna, "bo", "bo-b1", through="ada")

    used = await credit(gateway, anna, "ada", gbp(amount_minor), "ada-b1")

    assert used.status_code == 200, used.text
    assert (used.json()["discount"], used.json()["total"]) == (
        gbp(discount_minor),
        gbp(amount_minor - discount_minor),
    )


async def test_a_percentage_credit_is_used_whole_on_one_booking(
    gateway: httpx.AsyncClient, anna: TenantCaller, referrals: ReferralsService
) -> None:
    await rewarded_at_booking(gateway, anna, {"percent": 10})
    book(referrals, anna, "bo", "bo-b1", through="ada")

    assert (await credit(gateway, anna, "ada", gbp(3333), "ada-b1")).json()["discount"] == gbp(333)
    assert (await credit(gateway, anna, "ada", gbp(3333))).json() == {
        "discount": gbp(0),
        "total": gbp(3333),
        "credits_used": [],
    }


async def test_fixed_credit_in_another_currency_takes_nothing_off(
    gateway: httpx.AsyncClient, anna: TenantCaller, referrals: ReferralsService
) -> None:
    await rewarded_at_booking(gateway, anna, TEN_POUNDS)
    book(referrals, anna, "bo", "bo-b1", through="ada")

    quoted = await credit(gateway, anna, "ada", {"amount_minor": 5000, "currency": "EUR"})

    assert quoted.json() == {
        "discount": {"amount_minor": 0, "currency": "EUR"},
        "total": {"amount_minor": 5000, "currency": "EUR"},
        "credits_used": [],
    }


async def test_a_tenant_never_uses_another_tenants_credit(
    gateway: httpx.AsyncClient, anna: TenantCaller, brook: TenantCaller, referrals: ReferralsService
) -> None:
    await rewarded_at_booking(gateway, anna, TEN_POUNDS)
    book(referrals, anna, "bo", "bo-b1", through="ada")

    for booking_id in (None, "brook-b1"):
        response = await credit(gateway, brook, "ada", gbp(600), booking_id)
        assert response.status_code == 200, response.text
        assert (response.json()["discount"], response.json()["credits_used"]) == (gbp(0), [])
    assert (await credit(gateway, anna, "ada", gbp(6000))).json()["discount"] == gbp(1000)


@pytest.mark.parametrize("path", ["/v1/checkout/credit/quote", "/v1/checkout/credit/redeem"])
@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"amount": gbp(100), "booking_id": "b"}, "client_id"),
        (
            {"client_id": "ada", "amount": {"amount_minor": 1.5, "currency": "GBP"}},
            "amount.amount_minor",
        ),
        (
            {"client_id": "ada", "amount": {"amount_minor": -1, "currency": "GBP"}},
            "amount.amount_minor",
        ),
    ],
)
async def test_a_bad_credit_request_is_refused_naming_the_field(
    gateway: httpx.AsyncClient, anna: TenantCaller, path: str, body: dict[str, Any], loc: str
) -> None:
    response = await gateway.post(path, json={"booking_id": "b"} | body, headers=anna.headers)

    assert refused_field(response) == loc


@pytest.mark.parametrize("path", ["/v1/checkout/credit/quote", "/v1/checkout/credit/redeem"])
async def test_credit_needs_the_tenants_key(gateway: httpx.AsyncClient, path: str) -> None:
    body = {"client_id": "ada", "booking_id": "b", "amount": gbp(100)}
    for headers in ({}, {"Authorization": "Bearer sc_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAA"}):
        assert (await gateway.post(path, json=body, headers=headers)).status_code == 401


# -- welcome codes ---------------------------------------------------------------------------


async def welcome_code(
    gateway: httpx.AsyncClient,
    tenant: TenantCaller,
    referrals: ReferralsService,
    reward: dict[str, Any],
) -> str:
    """Bo books through Ada's link, and the settings give the referred client a code."""
    await rewarded_at_booking(gateway, tenant, reward, reward_referred=True)
    code = book(referrals, tenant, "bo", "bo-b1", through="ada").welcome_code
    assert code is not None
    assert code.startswith("REF-")
    return code


@pytest.mark.parametrize(
    ("amount_minor", "discount_minor"), [(6000, 1000), (1000, 1000), (800, 800), (0, 0)]
)
async def test_a_fixed_welcome_code_takes_its_amount_off_never_more_than_the_price(
    gateway: httpx.AsyncClient,
    anna: TenantCaller,
    referrals: ReferralsService,
    amount_minor: int,
    discount_minor: int,
) -> None:
    code = await welcome_code(gateway, anna, referrals, TEN_POUNDS)

    response = await code_call(gateway, anna, "bo", code.lower(), amount_minor)

    assert response.status_code == 200, response.text
    quoted = response.json()
    assert quoted == {
        "code": code,
        "discount_percent": None,
        "discount_amount": gbp(1000),
        "discount": gbp(discount_minor),
        "total": gbp(amount_minor - discount_minor),
        "expires_at": quoted["expires_at"],
    }


async def test_a_percentage_welcome_code_is_quoted_like_a_loyalty_code(
    gateway: httpx.AsyncClient, anna: TenantCaller, referrals: ReferralsService
) -> None:
    code = await welcome_code(gateway, anna, referrals, {"percent": 10})

    quoted = (await code_call(gateway, anna, "bo", code, 4995)).json()

    assert quoted == {
        "code": code,
        "discount_percent": 10,
        "discount": gbp(500),
        "total": gbp(4495),
        "expires_at": quoted["expires_at"],
    }


async def test_a_welcome_code_is_redeemed_once_and_again_for_the_same_booking_answers_the_same(
    gateway: httpx.AsyncClient, anna: TenantCaller, referrals: ReferralsService
) -> None:
    code = await welcome_code(gateway, anna, referrals, TEN_POUNDS)

    first = await code_call(gateway, anna, "bo", code, 6000, booking_id="bo-b2")
    again = await code_call(gateway, anna, "bo", code, 6000, booking_id="bo-b2")

    assert (first.status_code, again.status_code) == (200, 200), first.text
    redeemed = first.json()
    assert redeemed | {"expires_at": None, "redeemed_at": None} == {
        "code": code,
        "discount_percent": None,
        "discount_amount": gbp(1000),
        "discount": gbp(1000),
        "total": gbp(5000),
        "expires_at": None,
        "booking_id": "bo-b2",
        "redeemed_at": None,
        "next_reward": None,
    }
    assert again.json() == redeemed

    for response in (
        await code_call(gateway, anna, "bo", code, 6000, booking_id="bo-b3"),
        await code_call(gateway, anna, "bo", code, 6000),
    ):
        assert response.status_code == 409, response.text
        assert "already used" in response.json()["detail"]


async def test_a_welcome_code_of_another_client_is_refused_without_naming_its_owner(
    gateway: httpx.AsyncClient, anna: TenantCaller, referrals: ReferralsService
) -> None:
    code = await welcome_code(gateway, anna, referrals, TEN_POUNDS)

    for booking_id in (None, "ada-b1"):
        response = await code_call(gateway, anna, "ada", code, 6000, booking_id=booking_id)
        assert response.status_code == 409, response.text
        assert "another client" in response.json()["detail"]
        assert "bo" not in response.json()["detail"].replace(code, "")
    assert (await code_call(gateway, anna, "bo", code, 6000)).status_code == 200


async def test_another_tenants_welcome_code_is_not_found_exactly_like_a_made_up_one(
    gateway: httpx.AsyncClient, anna: TenantCaller, brook: TenantCaller, referrals: ReferralsService
) -> None:
    code = await welcome_code(gateway, anna, referrals, TEN_POUNDS)

    for booking_id in (None, "bo-b2"):
        theirs = await code_call(gateway, brook, "bo", code, 6000, booking_id=booking_id)
        made_up = await code_call(gateway, brook, "bo", MADE_UP, 6000, booking_id=booking_id)

        assert theirs.status_code == made_up.status_code == 404
        assert theirs.json()["detail"].replace(code, "<code>") == made_up.json()["detail"].replace(
            MADE_UP, "<code>"
        )
    assert (await code_call(gateway, anna, "bo", code, 6000)).status_code == 200


async def test_a_fixed_welcome_code_refuses_a_price_in_another_currency(
    gateway: httpx.AsyncClient, anna: TenantCaller, referrals: ReferralsService
) -> None:
    code = await welcome_code(gateway, anna, referrals, TEN_POUNDS)

    response = await gateway.post(
        "/v1/checkout/quote",
        json={"client_id": "bo", "code": code, "amount": {"amount_minor": 6000, "currency": "EUR"}},
        headers=anna.headers,
    )

    assert response.status_code == 422
    assert "GBP" in response.json()["detail"]


async def test_the_openapi_document_lists_the_credit_routes_and_their_refusals(
    gateway: httpx.AsyncClient,
) -> None:
    paths = (await gateway.get("/openapi.json")).json()["paths"]

    assert {"200", "401", "404", "422"} <= set(
        paths["/v1/checkout/credit/quote"]["post"]["responses"]
    )
    assert {"200", "401", "404", "409", "422"} <= set(
        paths["/v1/checkout/credit/redeem"]["post"]["responses"]
    )
