"""A bill at checkout under the client's membership tier, through the gateway: the tier's
discount per line, and how it meets a code the client offers (the better of the two, unless the
tenant lets them stack)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from starcard_events import examples
from starcard_loyalty.api import TierSettings

from tests.integration.gateway.conftest import add_milestone, card, gbp, refused_field
from tests.support.gateway import TenantCaller
from tests.support.stack import LoyaltyStack, until

pytestmark = pytest.mark.integration

QUOTE = "/v1/checkout/tier/quote"
BILL = [
    {"kind": "treatment", "amount": gbp(20_000)},
    {"kind": "product", "amount": gbp(3_999)},
]


async def vip_with_a_code(
    gateway: httpx.AsyncClient, stack: LoyaltyStack, anna: TenantCaller
) -> str:
    """Ada reached VIP (5% off treatments and products) with a visit that also earned her a 10%
    code; returns the code."""
    await add_milestone(
        gateway, anna, {"session_count": 1, "message": "Thank you!", "discount_percent": 10}
    )
    now = datetime.now(UTC)
    stack.commands.set_tier_settings(
        anna.tenant_id, TierSettings(enabled=True), now - timedelta(days=1)
    )
    await stack.publish(
        examples.appointment_completed(
            anna.tenant_id, now, booking_id="ada-b1", client_id="ada", list_price_minor=120_000
        )
    )

    async def issued() -> str:
        outstanding = (await card(gateway, anna, "ada"))["outstanding"]
        assert outstanding is not None
        return str(outstanding["code"])

    return await until(issued)


async def quote(gateway: httpx.AsyncClient, anna: TenantCaller, **body: Any) -> Any:
    response = await gateway.post(QUOTE, json={"client_id": "ada", **body}, headers=anna.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_tier_takes_its_discount_off_each_line_and_the_better_of_it_and_a_code_applies(
    gateway: httpx.AsyncClient, stack: LoyaltyStack, anna: TenantCaller
) -> None:
    code = await vip_with_a_code(gateway, stack, anna)

    tier_only = await quote(gateway, anna, lines=BILL)
    assert (tier_only["tier_id"], tier_only["applied"]) == ("vip", "tier")
    assert [line["tier_discount"]["amount_minor"] for line in tier_only["lines"]] == [1000, 200]
    assert tier_only["total"] == gbp(22_799)

    with_code = await quote(gateway, anna, lines=BILL, code=code.lower())
    assert with_code["applied"] == "code"  # 10% of £239.99 beats the tier's £12.00
    assert (with_code["code_discount"], with_code["total"]) == (gbp(2_400), gbp(21_599))


async def test_when_the_tenant_lets_them_stack_both_apply(
    gateway: httpx.AsyncClient, stack: LoyaltyStack, anna: TenantCaller
) -> None:
    code = await vip_with_a_code(gateway, stack, anna)
    stacking = replace(TierSettings(enabled=True), stack_with_codes=True)
    stack.commands.set_tier_settings(anna.tenant_id, stacking, datetime.now(UTC))

    both = await quote(gateway, anna, lines=BILL, code=code)
    assert both["applied"] == "both"
    assert both["code_discount"] == gbp(2_280)  # 10% of what the tier left, £227.99
    assert both["total"] == gbp(23_999 - 1_200 - 2_280)


async def test_a_client_without_a_tier_pays_the_first_tier_s_prices(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    body = await quote(gateway, anna, lines=BILL)
    assert (body["tier_id"], body["applied"], body["total"]) == ("regular", "none", gbp(23_999))


async def test_a_bill_in_two_currencies_is_refused_naming_the_line(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    lines = [BILL[0], {"kind": "product", "amount": {"amount_minor": 100, "currency": "EUR"}}]
    response = await gateway.post(
        QUOTE, json={"client_id": "ada", "lines": lines}, headers=anna.headers
    )
    assert refused_field(response) == "lines[1].amount.currency"


async def test_while_tiers_are_off_no_tier_discount_applies(
    gateway: httpx.AsyncClient, stack: LoyaltyStack, anna: TenantCaller
) -> None:
    code = await vip_with_a_code(gateway, stack, anna)
    generous_first = replace(
        TierSettings(enabled=False),
        tiers=(
            replace(TierSettings().tiers[0], treatment_discount_percent=2),
            *TierSettings().tiers[1:],
        ),
    )
    stack.commands.set_tier_settings(anna.tenant_id, generous_first, datetime.now(UTC))

    off = await quote(gateway, anna, lines=BILL)
    assert (off["applied"], off["tier_discount"], off["total"]) == ("none", gbp(0), gbp(23_999))
    assert (await quote(gateway, anna, lines=BILL, code=code))["applied"] == "code"
