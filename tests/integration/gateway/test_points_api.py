"""Points over HTTP: the programme's settings, a client's balance, lots and history, adjustments
by hand, points at checkout and in the portal, through the loyalty service and the points read
model (and, for earning, the booking feed through Kafka)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from starcard_events import examples

from tests.integration.gateway.conftest import (
    gbp,
    get,
    portal_headers,
    project,
    refused_field,
)
from tests.support.gateway import TenantCaller
from tests.support.stack import LoyaltyStack, until

pytestmark = pytest.mark.integration

SETTINGS = "/v1/loyalty/points/settings"
QUOTE = "/v1/checkout/points/quote"
REDEEM = "/v1/checkout/points/redeem"

CHECKOUT_SETTINGS = {
    "enabled": True,
    "points_per_currency_unit": 100,
    "min_redeem_points": 500,
    "max_bill_percent": 50,
}


def adjustments(client: str) -> str:
    return f"/v1/loyalty/clients/{client}/points/adjustments"


async def patch_settings(
    gateway: httpx.AsyncClient, tenant: TenantCaller, **changes: Any
) -> dict[str, Any]:
    response = await gateway.patch(SETTINGS, json=changes, headers=tenant.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def adjust(
    gateway: httpx.AsyncClient, tenant: TenantCaller, client: str, **body: Any
) -> httpx.Response:
    return await gateway.post(adjustments(client), json=body, headers=tenant.headers)


async def projected(database_url: str) -> None:
    """The points read model brought up to date, as the projections process would."""
    await asyncio.to_thread(project, database_url, "points")


async def points_of(gateway: httpx.AsyncClient, tenant: TenantCaller, client: str) -> Any:
    return await get(gateway, tenant, f"/v1/loyalty/clients/{client}/points")


@pytest.fixture
async def ada_holds_1000(
    gateway: httpx.AsyncClient, anna: TenantCaller, fresh_database: str
) -> None:
    """Anna's points are worth £1 per 100, from 500 at once, for at most half a bill; Ada was
    given 1,000 points by hand."""
    await patch_settings(gateway, anna, **CHECKOUT_SETTINGS)
    given = await adjust(gateway, anna, "ada", points=1000, note="Welcome to our points")
    assert given.status_code == 201, given.text
    await projected(fresh_database)


async def redeem(
    gateway: httpx.AsyncClient,
    tenant: TenantCaller,
    points: int,
    amount: dict[str, Any],
    booking_id: str = "ada-b1",
) -> httpx.Response:
    return await gateway.post(
        REDEEM,
        json={"client_id": "ada", "booking_id": booking_id, "points": points, "amount": amount},
        headers=tenant.headers,
    )


# -- settings --------------------------------------------------------------------------------


async def test_the_points_are_off_until_the_business_turns_them_on(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    settings = await get(gateway, anna, SETTINGS)

    assert settings["enabled"] is False
    assert settings["treatment_rate"] == "1"
    assert settings["retail_rate"] == "0.5"
    assert settings["earning_payment_methods"] == ["card", "cash", "other"]


async def test_settings_are_written_and_read_back_with_rates_as_decimals(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    sent = {
        "enabled": True,
        "treatment_rate": "1.5",
        "category_rates": {"Injectables": "2", "facials": "0.25"},
        "retail_rate": "0.5",
        "earning_payment_methods": ["card", "cash"],
        "service_bonuses": [
            {"bonus_id": "botox-double", "service_id": "botox", "multiplier": "2"},
            {"bonus_id": "peel-50", "category": "peels", "points": 50},
        ],
        "rebook_within_days": 42,
        "rebook_bonus_points": 50,
        "package_bonus_points": 100,
        "granted_bonus_points": 25,
        "expiry": "after_days",
        "expiry_days": 365,
        "expiry_notice_days": 14,
        "points_per_currency_unit": 100,
        "min_redeem_points": 500,
        "max_bill_percent": 50,
    }

    answered = await patch_settings(gateway, anna, **sent)

    expected = sent | {
        "category_rates": {"facials": "0.25", "injectables": "2"},
        "service_bonuses": [
            {
                "bonus_id": "botox-double",
                "service_id": "botox",
                "category": None,
                "multiplier": "2",
                "points": None,
            },
            {
                "bonus_id": "peel-50",
                "service_id": None,
                "category": "peels",
                "multiplier": None,
                "points": 50,
            },
        ],
    }
    assert answered == expected
    assert await get(gateway, anna, SETTINGS) == expected


async def test_a_change_keeps_what_it_does_not_send_and_leaving_after_days_clears_the_days(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    await patch_settings(gateway, anna, enabled=True, expiry="after_days", expiry_days=90)

    changed = await patch_settings(gateway, anna, expiry="end_of_year")

    assert (changed["enabled"], changed["expiry"], changed["expiry_days"]) == (
        True,
        "end_of_year",
        None,
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"treatment_rate": 1.5}, "treatment_rate"),
        ({"treatment_rate": "1.555"}, "treatment_rate"),
        ({"retail_rate": "1000.01"}, "retail_rate"),
        ({"category_rates": {"facials": "-1"}}, "category_rates.facials"),
        ({"max_bill_percent": 0}, "max_bill_percent"),
        ({"enabled": None}, "the body"),
        (
            {"service_bonuses": [{"bonus_id": "x", "service_id": "s", "multiplier": "1"}]},
            "service_bonuses.0.multiplier",
        ),
    ],
)
async def test_a_setting_out_of_bounds_is_refused_naming_the_field(
    gateway: httpx.AsyncClient, anna: TenantCaller, changes: dict[str, Any], field: str
) -> None:
    response = await gateway.patch(SETTINGS, json=changes, headers=anna.headers)

    assert refused_field(response) == field
    assert (await get(gateway, anna, SETTINGS))["enabled"] is False


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"expiry": "after_days"}, "expiry_days"),
        ({"rebook_bonus_points": 50}, "rebook_within_days"),
        ({"service_bonuses": [{"bonus_id": "x", "multiplier": "2"}]}, "service_id or a category"),
    ],
)
async def test_settings_that_do_not_hold_together_are_refused_saying_what_to_fix(
    gateway: httpx.AsyncClient, anna: TenantCaller, changes: dict[str, Any], named: str
) -> None:
    response = await gateway.patch(SETTINGS, json=changes, headers=anna.headers)

    assert response.status_code == 422, response.text
    assert named in response.json()["detail"]


# -- earning through the feed ----------------------------------------------------------------


async def test_a_completed_appointment_earns_points_shown_with_their_expiry(
    gateway: httpx.AsyncClient, stack: LoyaltyStack, anna: TenantCaller
) -> None:
    await patch_settings(
        gateway, anna, enabled=True, treatment_rate="1.5", expiry="after_days", expiry_days=365
    )
    done_at = datetime.now(UTC)  # after the change: settings apply from when they are made
    await stack.publish(
        examples.appointment_completed(
            anna.tenant_id,
            done_at,
            booking_id="ada-b1",
            client_id="ada",
            list_price_minor=4599,
        )
    )

    async def earned() -> Any:
        points = await points_of(gateway, anna, "ada")
        assert points["balance"] == 68  # £45.99 at 1.5 a pound: 68.985, rounded down
        return points

    points = await until(earned)
    expires_on = (done_at.date() + timedelta(days=365)).isoformat()
    [lot] = points["lots"]
    assert (lot["source"], lot["points"], lot["remaining"], lot["expires_on"]) == (
        "booking:ada-b1",
        68,
        68,
        expires_on,
    )
    assert points["next_expiry"]["expires_on"] == expires_on
    assert points["next_expiry"]["points"] == 68
    history = await get(gateway, anna, "/v1/loyalty/clients/ada/points/history")
    assert history["count"] == 1
    [row] = history["data"]
    assert (row["reason"], row["points"], row["balance"], row["source"]) == (
        "earned",
        68,
        68,
        "booking:ada-b1",
    )
    listed = await get(gateway, anna, "/v1/loyalty/points/clients")
    assert listed == {"data": [{"client_id": "ada", "balance": 68}], "count": 1}


# -- checkout --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount_minor", "max_points", "max_discount_minor"),
    [(4599, 1000, 1000), (1999, 999, 999), (999, 0, 0)],
)
@pytest.mark.usefixtures("ada_holds_1000")
async def test_a_quote_offers_what_the_points_take_off_at_most_half_the_bill(
    gateway: httpx.AsyncClient,
    anna: TenantCaller,
    amount_minor: int,
    max_points: int,
    max_discount_minor: int,
) -> None:
    response = await gateway.post(
        QUOTE, json={"client_id": "ada", "amount": gbp(amount_minor)}, headers=anna.headers
    )

    assert response.status_code == 200, response.text
    assert response.json() == {
        "balance": 1000,
        "usable": 1000,
        "max_points": max_points,  # below the 500-point minimum, nothing
        "max_discount": gbp(max_discount_minor),
        "min_points": 500,
    }


@pytest.mark.usefixtures("ada_holds_1000")
async def test_redeeming_takes_the_points_worth_off_to_the_penny_once_per_booking(
    gateway: httpx.AsyncClient, anna: TenantCaller, fresh_database: str
) -> None:
    first = await redeem(gateway, anna, 750, gbp(4599))
    again = await redeem(gateway, anna, 750, gbp(4599))

    assert first.status_code == 200, first.text
    assert first.json() == {
        "booking_id": "ada-b1",
        "points": 750,
        "discount": gbp(750),
        "total": gbp(3849),
    }
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    await projected(fresh_database)
    assert (await points_of(gateway, anna, "ada"))["balance"] == 250
    history = await get(gateway, anna, "/v1/loyalty/clients/ada/points/history")
    assert [(row["reason"], row["points"]) for row in history["data"]] == [
        ("redeemed", -750),
        ("adjusted", 1000),
    ]


@pytest.mark.usefixtures("ada_holds_1000")
async def test_redeeming_again_for_the_booking_with_a_smaller_bill_is_refused(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    assert (await redeem(gateway, anna, 750, gbp(4599))).status_code == 200

    response = await redeem(gateway, anna, 750, gbp(500))

    assert response.status_code == 409, response.text
    assert "ada-b1" in response.json()["detail"]


@pytest.mark.parametrize(
    ("points", "amount_minor", "said"),
    [
        (400, 4599, "At least 500 points can be redeemed at once."),
        (1200, 4599, "The client has 1000 points to spend; 1200 were asked for."),
        (600, 1000, "Points may pay at most 50% of the bill: 500 points (£5.00)."),
    ],
)
@pytest.mark.usefixtures("ada_holds_1000")
async def test_points_that_cannot_be_used_are_refused_with_the_figures(
    gateway: httpx.AsyncClient,
    anna: TenantCaller,
    fresh_database: str,
    *,
    points: int,
    amount_minor: int,
    said: str,
) -> None:
    response = await redeem(gateway, anna, points, gbp(amount_minor))

    assert response.status_code == 409, response.text
    assert response.json() == {"detail": said}
    await projected(fresh_database)
    assert (await points_of(gateway, anna, "ada"))["balance"] == 1000


async def test_points_are_refused_at_checkout_while_the_programme_is_off(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    response = await redeem(gateway, anna, 500, gbp(4599))

    assert response.status_code == 409
    assert "no points programme" in response.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {"client_id": "ada", "booking_id": "b1", "points": 0, "amount": gbp(100)},
        {"client_id": "ada", "booking_id": "b1", "points": "500", "amount": gbp(100)},
        {"client_id": "ada", "booking_id": "b1", "points": 500, "amount": gbp(-1)},
    ],
)
async def test_a_bad_redemption_is_refused_naming_the_field(
    gateway: httpx.AsyncClient, anna: TenantCaller, body: dict[str, Any]
) -> None:
    response = await gateway.post(REDEEM, json=body, headers=anna.headers)

    assert refused_field(response) in {"points", "amount.amount_minor"}


# -- adjustments -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"points": 50}, "note"),
        ({"points": 50, "note": "   "}, "note"),
        ({"points": 0, "note": "Nothing"}, "points"),
        ({"points": "50", "note": "Goodwill"}, "points"),
    ],
)
async def test_an_adjustment_needs_points_and_a_note(
    gateway: httpx.AsyncClient, anna: TenantCaller, body: dict[str, Any], field: str
) -> None:
    response = await adjust(gateway, anna, "ada", **body)

    assert refused_field(response) == field


async def test_an_adjustment_is_kept_with_its_note_and_counted_once_per_id(
    gateway: httpx.AsyncClient, anna: TenantCaller, fresh_database: str
) -> None:
    body = {"points": 120, "note": "Goodwill: started late", "adjustment_id": "adj-1"}

    first = await adjust(gateway, anna, "ada", **body)
    again = await adjust(gateway, anna, "ada", **body)
    taken = await adjust(gateway, anna, "ada", points=-20, note="Typo in the first one")

    assert first.status_code == 201, first.text
    assert first.json() == {
        "client_id": "ada",
        "adjustment_id": "adj-1",
        "points": 120,
        "balance": 120,
    }
    assert again.json()["balance"] == 120
    assert taken.json()["balance"] == 100
    assert taken.json()["adjustment_id"]  # made up when not given
    await projected(fresh_database)
    history = await get(gateway, anna, "/v1/loyalty/clients/ada/points/history", limit=1)
    assert history["count"] == 2
    assert [(r["points"], r["note"]) for r in history["data"]] == [(-20, "Typo in the first one")]


async def test_taking_more_points_than_the_client_has_is_refused(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    await adjust(gateway, anna, "ada", points=30, note="Birthday")

    response = await adjust(gateway, anna, "ada", points=-31, note="Too many")

    assert response.status_code == 409, response.text
    assert response.json() == {"detail": "The client has 30 points; 31 cannot be taken."}


# -- tenancy and the portal ------------------------------------------------------------------


@pytest.mark.usefixtures("ada_holds_1000")
async def test_another_tenant_sees_nothing_of_the_clients_points(
    gateway: httpx.AsyncClient, brook: TenantCaller
) -> None:
    assert await points_of(gateway, brook, "ada") == {
        "client_id": "ada",
        "balance": 0,
        "lots": [],
        "next_expiry": None,
    }
    assert (await get(gateway, brook, "/v1/loyalty/clients/ada/points/history"))["count"] == 0
    assert (await get(gateway, brook, "/v1/loyalty/points/clients"))["count"] == 0
    refused = await redeem(gateway, brook, 500, gbp(4599))
    assert refused.status_code == 409


async def test_the_portal_shows_the_balance_and_when_points_expire(
    gateway: httpx.AsyncClient, anna: TenantCaller, fresh_database: str
) -> None:
    await patch_settings(gateway, anna, enabled=True, expiry="after_days", expiry_days=30)
    await adjust(gateway, anna, "ada", points=1200, note="Loyal since 2019")
    await projected(fresh_database)
    expires_on = datetime.now(UTC).date() + timedelta(days=30)

    response = await gateway.get(
        "/v1/portal/points", headers=await portal_headers(gateway, anna, "ada")
    )

    assert response.status_code == 200, response.text
    shown = response.json()
    assert (shown["enabled"], shown["balance"], shown["count"]) == (True, 1200, 1)
    assert shown["next_expiry"] == {
        "expires_on": expires_on.isoformat(),
        "points": 1200,
        "text": f"1,200 points expire on {expires_on.day} {expires_on:%B %Y}",
    }
    [movement] = shown["data"]
    assert (movement["reason"], movement["text"], movement["points"]) == (
        "adjusted",
        "Adjusted by the business",
        1200,
    )
    assert "Loyal since 2019" not in response.text  # the business's note stays on its side
