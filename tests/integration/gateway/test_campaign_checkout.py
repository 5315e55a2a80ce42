"""Campaign codes at checkout: issued by the real campaigns pipeline, quoted and redeemed
through ``/v1/checkout`` like any other code.

The tenant opts in through the API; the client's record and the clock's ticks reach the
campaigns service through Kafka, which grants the reward and its ``BDAY-`` code. The checkout
judges the code against the real clock, so the ticks are of days relative to today: today's
tick gives a code valid now, a tick of 100 days ago one that expired 70 days ago.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from starcard_events import examples
from starcard_events.notifications import Notice
from starcard_notifier.domain.notification import Content
from starcard_notifier.rendering import render

from tests.integration.gateway.conftest import gbp
from tests.support.campaigns import CampaignsStack, campaigns_stack
from tests.support.gateway import TenantCaller

pytestmark = pytest.mark.integration

TODAY = datetime.now(UTC).date()
SETTINGS = {"enabled": True, "days_before": 7, "discount_percent": 20, "valid_days": 30}


@pytest.fixture
async def campaigns(
    gateway: httpx.AsyncClient,
    anna: TenantCaller,
    fresh_database: str,
    kafka_bootstrap: str,
    topic_prefix: str,
) -> AsyncIterator[CampaignsStack]:
    """The campaigns pipeline on the gateway's database, for a tenant that opted in through
    the API (birthdays and anniversaries, no one held out)."""
    for path, settings in (
        ("settings", {"holdout_percent": 0}),
        ("birthday/settings", SETTINGS),
        ("anniversary/settings", {"enabled": True, "discount_percent": 15}),
    ):
        response = await gateway.patch(f"/v1/campaigns/{path}", json=settings, headers=anna.headers)
        assert response.status_code == 200, response.text
    async with campaigns_stack(fresh_database, kafka_bootstrap, topic_prefix) as running:
        yield running


async def birthday_code(
    campaigns: CampaignsStack, tenant: TenantCaller, client_id: str, ticked: date
) -> str:
    """The code the pipeline grants the client, whose birthday is 3 days after the tick of
    `ticked`, on that tick."""
    birthday = ticked + timedelta(days=3)
    await campaigns.publish(
        examples.client_registered(
            tenant.tenant_id,
            datetime.combine(ticked, datetime.min.time(), tzinfo=UTC) - timedelta(days=1),
            client_id=client_id,
            birthday={"month": birthday.month, "day": birthday.day},
        )
    )
    await campaigns.tick(tenant.tenant_id, ticked)
    (offer,) = campaigns.commands.offers(tenant.tenant_id, client_id)
    assert offer.terms is not None
    assert offer.terms.code is not None
    return offer.terms.code


def content_of(notice: dict[str, Any]) -> Content:
    """What the notifier's email says of a published notice."""
    read = Notice.model_validate(notice)
    return Content(
        tenant_name=read.tenant_name,
        client_id=read.client_id,
        message=read.message,
        discount_percent=read.discount_percent,
        code=read.code,
        expires_at=read.expires_at,
        valid_until=read.valid_until,
        add_on=read.add_on,
    )


async def checkout(
    gateway: httpx.AsyncClient,
    tenant: TenantCaller,
    client_id: str,
    code: str,
    *,
    booking_id: str | None = None,
) -> httpx.Response:
    """Quote the code on 45.00, or redeem it on the booking when one is given."""
    body: dict[str, Any] = {"client_id": client_id, "code": code, "amount": gbp(4500)}
    if booking_id is None:
        return await gateway.post("/v1/checkout/quote", json=body, headers=tenant.headers)
    return await gateway.post(
        "/v1/checkout/redeem", json=body | {"booking_id": booking_id}, headers=tenant.headers
    )


async def quoted_then_redeemed(
    gateway: httpx.AsyncClient,
    tenant: TenantCaller,
    typed: str,
    code: str,
    priced: dict[str, Any],
) -> httpx.Response:
    """Ada's code quoted as `typed` at the till, then redeemed on booking ``ada-b1``: both
    answer `priced` (the redemption with its booking and when)."""
    quoted = await checkout(gateway, tenant, "ada", typed)
    assert quoted.status_code == 200, quoted.text
    assert quoted.json() == priced
    redeemed = await checkout(gateway, tenant, "ada", code, booking_id="ada-b1")
    assert redeemed.status_code == 200, redeemed.text
    assert redeemed.json() == priced | {
        "booking_id": "ada-b1",
        "redeemed_at": redeemed.json()["redeemed_at"],
        "next_reward": None,
    }
    return redeemed


async def test_a_birthday_code_is_quoted_then_used_once_on_one_booking(
    gateway: httpx.AsyncClient, anna: TenantCaller, campaigns: CampaignsStack
) -> None:
    code = await birthday_code(campaigns, anna, "ada", TODAY)
    assert code.startswith("BDAY-")
    priced = {
        "code": code,
        "discount_percent": 20,
        "discount": gbp(900),
        "total": gbp(3600),
        "expires_at": f"{TODAY + timedelta(days=30)}T00:00:00Z",
    }

    redeemed = await quoted_then_redeemed(gateway, anna, f"  {code.lower()} ", code, priced)
    # The same booking again (a retried checkout) answers the same and uses nothing more.
    again = await checkout(gateway, anna, "ada", code, booking_id="ada-b1")
    assert again.status_code == 200, again.text
    assert again.json() == redeemed.json()

    for booking_id in (None, "ada-b2"):
        refused = await checkout(gateway, anna, "ada", code, booking_id=booking_id)
        assert refused.status_code == 409, refused.text
        assert code in refused.json()["detail"]


async def test_a_code_worth_an_add_on_takes_nothing_off_and_names_the_add_on(
    gateway: httpx.AsyncClient, anna: TenantCaller, campaigns: CampaignsStack
) -> None:
    """The till adds the complimentary add-on free: the code is used once, for nothing off."""
    changed = await gateway.patch(
        "/v1/campaigns/birthday/settings",
        json={"reward": "add_on", "add_on": "Scalp massage, 15 min"},
        headers=anna.headers,
    )
    assert changed.status_code == 200, changed.text
    code = await birthday_code(campaigns, anna, "ada", TODAY)
    priced = {
        "code": code,
        "discount_percent": None,
        "add_on": "Scalp massage, 15 min",
        "discount": gbp(0),
        "total": gbp(4500),
        "expires_at": f"{TODAY + timedelta(days=30)}T00:00:00Z",
    }

    await quoted_then_redeemed(gateway, anna, code, code, priced)
    used = await checkout(gateway, anna, "ada", code, booking_id="ada-b2")
    assert used.status_code == 409, used.text

    # Its message names the add-on and the code, and no discount.
    await campaigns.settle()
    [notice] = campaigns.notices(anna.tenant_id)
    assert (notice["code"], notice["add_on"]) == (code, "Scalp massage, 15 min")
    assert notice["discount_percent"] is None
    assert render("birthday_reward", content_of(notice)).subject == (
        "Happy birthday from Anna Massage: a complimentary Scalp massage, 15 min"
    )


async def test_only_the_client_of_the_tenant_that_issued_it_can_use_it(
    gateway: httpx.AsyncClient, anna: TenantCaller, brook: TenantCaller, campaigns: CampaignsStack
) -> None:
    code = await birthday_code(campaigns, anna, "ada", TODAY)

    for booking_id in (None, "b1"):
        # Another tenant's code is answered like a code never issued, even for a same-named client.
        elsewhere = await checkout(gateway, brook, "ada", code, booking_id=booking_id)
        assert elsewhere.status_code == 404, elsewhere.text
        never = await checkout(gateway, anna, "ada", "BDAY-ZZZZ2345", booking_id=booking_id)
        assert elsewhere.json()["detail"] == never.json()["detail"].replace("BDAY-ZZZZ2345", code)
        # Another client of the tenant cannot use it either.
        other_client = await checkout(gateway, anna, "bea", code, booking_id=booking_id)
        assert other_client.status_code == 409, other_client.text

    still = await checkout(gateway, anna, "ada", code, booking_id="ada-b1")
    assert still.status_code == 200, still.text


async def test_an_expired_birthday_code_is_refused_saying_when_it_expired(
    gateway: httpx.AsyncClient, anna: TenantCaller, campaigns: CampaignsStack
) -> None:
    ticked = TODAY - timedelta(days=100)
    code = await birthday_code(campaigns, anna, "ada", ticked)

    for booking_id in (None, "ada-b1"):
        refused = await checkout(gateway, anna, "ada", code, booking_id=booking_id)
        assert refused.status_code == 410, refused.text
        assert str(ticked + timedelta(days=30)) in refused.json()["detail"]


async def test_an_anniversary_code_is_quoted_and_used_like_a_birthday_code(
    gateway: httpx.AsyncClient, anna: TenantCaller, campaigns: CampaignsStack
) -> None:
    first_visit = datetime.combine(TODAY.replace(year=TODAY.year - 1), datetime.min.time(), UTC)
    if (TODAY.month, TODAY.day) == (2, 29):  # a year ago had no 29 February
        first_visit -= timedelta(days=1)
    await campaigns.publish(
        examples.appointment_completed(
            anna.tenant_id,
            first_visit + timedelta(hours=11),
            booking_id="bo-1",
            client_id="bo",
            starts_at=first_visit + timedelta(hours=10),
        )
    )
    await campaigns.tick(anna.tenant_id, TODAY)
    (offer,) = campaigns.commands.offers(anna.tenant_id, "bo")
    assert offer.campaign == "anniversary"
    assert offer.terms is not None
    code = offer.terms.code
    assert code is not None
    assert code.startswith("ANNV-")

    redeemed = await checkout(gateway, anna, "bo", code, booking_id="bo-2")
    assert redeemed.status_code == 200, redeemed.text
    assert (redeemed.json()["discount"], redeemed.json()["total"]) == (gbp(675), gbp(3825))
    again = await checkout(gateway, anna, "bo", code, booking_id="bo-3")
    assert again.status_code == 409, again.text
