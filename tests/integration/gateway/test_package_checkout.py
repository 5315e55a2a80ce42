"""A service paid from a pre-paid package at checkout, through the gateway: which package can pay
(the one expiring soonest), a session used once per booking however often the till asks, and
a refusal once no package can pay.

Packages are bought as the booking platform reports them: a ``PackagePurchased`` on the booking
topic, consumed by the real loyalty service.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from starcard_events import examples

from tests.support.gateway import TenantCaller
from tests.support.stack import LoyaltyStack, until

pytestmark = pytest.mark.integration

QUOTE = "/v1/checkout/package/quote"
REDEEM = "/v1/checkout/package/redeem"
FACIAL = {"id": "hydrafacial-60", "name": "Hydrafacial, 60 min", "category": "Facials"}
FACIALS = {
    "package_id": "facial-x3",
    "name": "Three facials",
    "categories": ["facials"],
    "sessions": 3,
    "price_minor": 27_000,
    "single_session_price_minor": 10_000,
    "validity_days": 180,
}


async def sell_facials(gateway: httpx.AsyncClient, tenant: TenantCaller) -> None:
    """The business's catalogue: three facials for £270.00, valid 180 days from purchase."""
    response = await gateway.put(
        "/v1/settings/packages",
        json={
            "catalogue": [FACIALS],
            "refund_policy": "pro_rata",
            "reminder_days": 14,
            "currency": "GBP",
        },
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text


async def quote(
    gateway: httpx.AsyncClient,
    tenant: TenantCaller,
    service: dict[str, Any] = FACIAL,
    **body: Any,
) -> Any:
    asked = {"id": service["id"], "category": service.get("category")}
    response = await gateway.post(
        QUOTE, json={"client_id": "ada", "service": asked, **body}, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


async def redeem(
    gateway: httpx.AsyncClient,
    tenant: TenantCaller,
    booking_id: str,
    service: dict[str, Any] = FACIAL,
) -> httpx.Response:
    return await gateway.post(
        REDEEM,
        json={"client_id": "ada", "booking_id": booking_id, "service": service},
        headers=tenant.headers,
    )


async def bought(
    gateway: httpx.AsyncClient, stack: LoyaltyStack, tenant: TenantCaller, **purchase: Any
) -> datetime:
    """Ada buys a package (the platform reports it); returns once the till can see it."""
    at = datetime.now(UTC)
    await stack.publish(
        examples.package_purchased(tenant.tenant_id, at, client_id="ada", **purchase)
    )

    async def seen() -> None:
        balances = balances_of(stack, tenant)
        assert purchase["purchase_id"] in balances, balances

    await until(seen)
    return at


def balances_of(stack: LoyaltyStack, tenant: TenantCaller) -> dict[str, int]:
    """Ada's packages as the loyalty service holds them: purchase id -> sessions left."""
    holdings = stack.commands.package_holdings(tenant.tenant_id, "ada").holdings()
    return {purchase: each.left for purchase, each in holdings.balances.items()}


async def test_the_till_asks_which_package_pays_then_uses_one_session_of_it(
    gateway: httpx.AsyncClient, stack: LoyaltyStack, anna: TenantCaller
) -> None:
    await sell_facials(gateway, anna)
    at = await bought(
        gateway, stack, anna, purchase_id="p-facials", package_id="facial-x3", price_minor=27_000
    )
    package = {
        "purchase_id": "p-facials",
        "package_id": "facial-x3",
        "name": "Three facials",
        "sessions": 3,
        "sessions_used": 0,
        "sessions_left": 3,
        "expires_on": (at.date() + timedelta(days=180)).isoformat(),
    }

    assert await quote(gateway, anna) == {"payable": True, "package": package}

    used = await redeem(gateway, anna, "ada-b1")

    assert used.status_code == 200, used.text
    after = {**package, "sessions_used": 1, "sessions_left": 2}
    assert used.json() == {"booking_id": "ada-b1", "package": after}
    assert await quote(gateway, anna) == {"payable": True, "package": after}


async def test_the_same_booking_redeemed_twice_uses_one_session(
    gateway: httpx.AsyncClient, stack: LoyaltyStack, anna: TenantCaller
) -> None:
    await sell_facials(gateway, anna)
    await bought(
        gateway, stack, anna, purchase_id="p-facials", package_id="facial-x3", price_minor=27_000
    )

    first = await redeem(gateway, anna, "ada-b1")
    again = await redeem(gateway, anna, "ada-b1")

    assert (first.status_code, again.status_code) == (200, 200), again.text
    assert again.json() == first.json()
    assert first.json()["package"]["sessions_left"] == 2
    assert balances_of(stack, anna) == {"p-facials": 2}


async def test_a_booking_after_the_last_session_is_refused_and_uses_nothing(
    gateway: httpx.AsyncClient, stack: LoyaltyStack, anna: TenantCaller
) -> None:
    await bought(
        gateway,
        stack,
        anna,
        purchase_id="p-one",
        terms=examples.package_terms("One facial", sessions=1, categories=["facials"]),
        price_minor=9_000,
    )
    last = await redeem(gateway, anna, "ada-b1")
    assert last.status_code == 200, last.text
    assert last.json()["package"]["sessions_left"] == 0

    refused = await redeem(gateway, anna, "ada-b2")

    assert refused.status_code == 409
    assert refused.json()["detail"] == "The client has no package that covers this service now."
    assert await quote(gateway, anna) == {"payable": False, "package": None}
    assert (await redeem(gateway, anna, "ada-b1")).json() == last.json()  # still answered


async def test_of_two_packages_that_can_pay_the_one_expiring_soonest_pays(
    gateway: httpx.AsyncClient, stack: LoyaltyStack, anna: TenantCaller
) -> None:
    await sell_facials(gateway, anna)
    await bought(
        gateway, stack, anna, purchase_id="p-long", package_id="facial-x3", price_minor=27_000
    )
    short = examples.package_terms(
        "Summer facials", sessions=2, categories=["Facials"], validity_days=30
    )
    at = await bought(gateway, stack, anna, purchase_id="p-short", terms=short, price_minor=16_000)

    quoted = await quote(gateway, anna)
    used = await redeem(gateway, anna, "ada-b1")

    assert quoted["package"]["purchase_id"] == "p-short"
    assert quoted["package"]["expires_on"] == (at.date() + timedelta(days=30)).isoformat()
    assert used.json()["package"]["purchase_id"] == "p-short"
    assert balances_of(stack, anna) == {"p-long": 3, "p-short": 1}


async def test_a_package_pays_only_for_what_it_covers_and_only_while_it_is_valid(
    gateway: httpx.AsyncClient, stack: LoyaltyStack, anna: TenantCaller
) -> None:
    await sell_facials(gateway, anna)
    at = await bought(
        gateway, stack, anna, purchase_id="p-facials", package_id="facial-x3", price_minor=27_000
    )
    massage = {"id": "deep-tissue-60", "name": "Deep tissue massage", "category": "Massage"}

    assert (await quote(gateway, anna, massage))["payable"] is False
    before = (at - timedelta(days=2)).isoformat()
    assert (await quote(gateway, anna, at=before))["payable"] is False
    expiry_day = (at + timedelta(days=180)).isoformat()
    assert (await quote(gateway, anna, at=expiry_day))["payable"] is False
    last_day = (at + timedelta(days=179)).isoformat()
    assert (await quote(gateway, anna, at=last_day))["payable"] is True

    refused = await redeem(gateway, anna, "ada-b1", massage)

    assert refused.status_code == 409
    assert balances_of(stack, anna) == {"p-facials": 3}


async def test_a_client_of_another_business_has_no_package_here(
    gateway: httpx.AsyncClient, stack: LoyaltyStack, anna: TenantCaller, brook: TenantCaller
) -> None:
    await sell_facials(gateway, anna)
    await bought(
        gateway, stack, anna, purchase_id="p-facials", package_id="facial-x3", price_minor=27_000
    )

    assert await quote(gateway, brook) == {"payable": False, "package": None}
    assert (await redeem(gateway, brook, "ada-b1")).status_code == 409
    assert balances_of(stack, anna) == {"p-facials": 3}


async def test_checkout_needs_the_business_s_api_key(gateway: httpx.AsyncClient) -> None:
    body = {"client_id": "ada", "booking_id": "ada-b1", "service": FACIAL}

    response = await gateway.post(REDEEM, json=body)

    assert response.status_code == 401
