"""Loyalty codes at checkout: quoting, redeeming once per booking, and every refusal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.integration.gateway.conftest import (
    FIFTH,
    START,
    TENTH,
    add_milestone,
    card,
    gbp,
    get,
    refused_field,
    visits,
)
from tests.support.gateway import TenantCaller
from tests.support.stack import LoyaltyStack, until

pytestmark = pytest.mark.integration

MADE_UP = "LOYAL-ZZZZ2345"


async def outstanding_code(gateway: httpx.AsyncClient, tenant: TenantCaller, client: str) -> str:
    """The code the client's card shows, once the pipeline has issued and projected it."""
    codes: list[str] = []

    async def shown() -> None:
        outstanding = (await card(gateway, tenant, client))["outstanding"]
        assert outstanding is not None
        codes.append(outstanding["code"])

    await until(shown)
    return codes[-1]


async def quote(
    gateway: httpx.AsyncClient, tenant: TenantCaller, client: str, code: str, amount_minor: int
) -> httpx.Response:
    return await gateway.post(
        "/v1/checkout/quote",
        json={"client_id": client, "code": code, "amount": gbp(amount_minor)},
        headers=tenant.headers,
    )


async def redeem(
    gateway: httpx.AsyncClient,
    tenant: TenantCaller,
    client: str,
    code: str,
    booking_id: str,
    *,
    amount_minor: int = 6000,
) -> httpx.Response:
    return await gateway.post(
        "/v1/checkout/redeem",
        json={
            "client_id": client,
            "code": code,
            "booking_id": booking_id,
            "amount": gbp(amount_minor),
        },
        headers=tenant.headers,
    )


@pytest.fixture
async def ada_code(gateway: httpx.AsyncClient, stack: LoyaltyStack, anna: TenantCaller) -> str:
    """Anna rewards the 5th visit with 10% off and the 10th with 25%; Ada has made 5 visits."""
    await add_milestone(gateway, anna, FIFTH)
    await add_milestone(gateway, anna, TENTH)
    await stack.publish(*visits(anna, "ada", 5))
    return await outstanding_code(gateway, anna, "ada")


@pytest.mark.parametrize(
    ("amount_minor", "discount_minor"),
    [(6000, 600), (4995, 500), (4994, 499), (5, 1), (0, 0)],
)
async def test_a_quote_takes_the_percentage_off_to_the_minor_unit_rounding_half_up(
    gateway: httpx.AsyncClient,
    anna: TenantCaller,
    ada_code: str,
    amount_minor: int,
    discount_minor: int,
) -> None:
    response = await quote(gateway, anna, "ada", ada_code, amount_minor)

    assert response.status_code == 200, response.text
    quoted = response.json()
    assert quoted == {
        "code": ada_code,
        "discount_percent": 10,
        "discount": gbp(discount_minor),
        "total": gbp(amount_minor - discount_minor),
        "expires_at": quoted["expires_at"],
    }
    assert quoted["expires_at"].startswith(str(START.year + 1))


async def test_a_quote_uses_nothing_up_and_takes_the_code_as_typed(
    gateway: httpx.AsyncClient, anna: TenantCaller, ada_code: str
) -> None:
    response = await quote(gateway, anna, "ada", f"  {ada_code.lower()} ", 6000)

    assert response.status_code == 200, response.text
    assert response.json()["code"] == ada_code
    assert (await card(gateway, anna, "ada"))["outstanding"]["code"] == ada_code


async def test_redeeming_the_code_turns_the_card_back_to_stars_toward_the_tenth(
    gateway: httpx.AsyncClient, anna: TenantCaller, ada_code: str
) -> None:
    response = await redeem(gateway, anna, "ada", ada_code, "ada-b5", amount_minor=6000)

    assert response.status_code == 200, response.text
    redeemed = response.json()
    assert redeemed | {"expires_at": None, "redeemed_at": None} == {
        "code": ada_code,
        "discount_percent": 10,
        "discount": gbp(600),
        "total": gbp(5400),
        "expires_at": None,
        "booking_id": "ada-b5",
        "redeemed_at": None,
        "next_reward": None,
    }

    async def back_to_stars() -> None:
        shown = await card(gateway, anna, "ada")
        assert shown["outstanding"] is None
        progress = shown["next_reward"]
        assert (progress["stars"], progress["circles"], progress["reward_label"]) == (
            5,
            10,
            "25% off",
        )
        listed = await get(gateway, anna, "/v1/loyalty/clients")
        assert [c["outstanding_reward"] for c in listed["data"]] == [False]

    await until(back_to_stars)


async def test_a_reward_earned_meanwhile_fires_the_moment_the_code_is_redeemed(
    gateway: httpx.AsyncClient, stack: LoyaltyStack, anna: TenantCaller, ada_code: str
) -> None:
    await stack.publish(*visits(anna, "ada", 5, first=5))

    async def tenth_queued() -> None:
        assert stack.sql(
            "SELECT status FROM read.loyalty_rewards"
            " WHERE tenant_id = %s AND client_id = 'ada' AND discount_percent = 25",
            (anna.tenant_id,),
        ) == [("queued",)]
        assert (await card(gateway, anna, "ada"))["outstanding"]["code"] == ada_code

    await until(tenth_queued)
    response = await redeem(gateway, anna, "ada", ada_code, "ada-b10")

    assert response.status_code == 200, response.text
    next_reward = response.json()["next_reward"]
    assert next_reward["code"].startswith("LOYAL-")
    assert next_reward["code"] != ada_code
    assert (next_reward["discount_percent"], next_reward["message"]) == (25, TENTH["message"])
    assert next_reward["issued_at"] == response.json()["redeemed_at"]

    async def the_card_shows_the_next_code() -> None:
        shown = await card(gateway, anna, "ada")
        assert shown["outstanding"]["code"] == next_reward["code"]
        assert (shown["next_reward"], shown["all_rewards_earned"]) == (None, True)

    await until(the_card_shows_the_next_code)
    quoted = await quote(gateway, anna, "ada", next_reward["code"], 3333)
    assert (quoted.json()["discount"], quoted.json()["total"]) == (gbp(833), gbp(2500))


async def test_redeeming_again_for_the_same_booking_answers_the_same(
    gateway: httpx.AsyncClient, anna: TenantCaller, ada_code: str
) -> None:
    first = await redeem(gateway, anna, "ada", ada_code, "ada-b5")
    again = await redeem(gateway, anna, "ada", ada_code, "ada-b5")

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()


async def test_a_code_used_once_is_refused_for_another_booking(
    gateway: httpx.AsyncClient, anna: TenantCaller, ada_code: str
) -> None:
    assert (await redeem(gateway, anna, "ada", ada_code, "ada-b5")).status_code == 200

    for response in (
        await redeem(gateway, anna, "ada", ada_code, "ada-b6"),
        await quote(gateway, anna, "ada", ada_code, 6000),
    ):
        assert response.status_code == 409, response.text
        assert "already used" in response.json()["detail"]


async def test_another_tenants_code_is_not_found_exactly_like_a_made_up_one(
    gateway: httpx.AsyncClient, brook: TenantCaller, ada_code: str
) -> None:
    async def quoted(code: str) -> httpx.Response:
        return await quote(gateway, brook, "ada", code, 6000)

    async def redeemed(code: str) -> httpx.Response:
        return await redeem(gateway, brook, "ada", code, "brook-b1")

    for call in (quoted, redeemed):
        theirs, made_up = await call(ada_code), await call(MADE_UP)

        assert theirs.status_code == made_up.status_code == 404
        assert theirs.json()["detail"].replace(ada_code, "<code>") == made_up.json()[
            "detail"
        ].replace(MADE_UP, "<code>")
        assert theirs.headers.keys() == made_up.headers.keys()


async def test_a_code_of_another_client_is_refused_without_naming_its_owner(
    gateway: httpx.AsyncClient, anna: TenantCaller, ada_code: str
) -> None:
    for response in (
        await quote(gateway, anna, "bo", ada_code, 6000),
        await redeem(gateway, anna, "bo", ada_code, "bo-b1"),
    ):
        assert response.status_code == 409, response.text
        assert "another client" in response.json()["detail"]
        assert "ada" not in response.json()["detail"]
    assert (await card(gateway, anna, "ada"))["outstanding"]["code"] == ada_code


async def test_an_expired_code_is_gone_and_says_since_when(
    gateway: httpx.AsyncClient, stack: LoyaltyStack, anna: TenantCaller
) -> None:
    await add_milestone(gateway, anna, FIFTH)
    long_ago = START - timedelta(days=2 * 365)
    await stack.publish(*visits(anna, "ada", 5, start=long_ago))
    codes: list[tuple[str, Any]] = []

    async def issued_long_ago() -> None:
        codes[:] = stack.sql(
            "SELECT code, expires_at FROM read.loyalty_rewards"
            " WHERE tenant_id = %s AND client_id = 'ada' AND status = 'outstanding'",
            (anna.tenant_id,),
        )
        assert codes

    await until(issued_long_ago)
    [(code, expires_at)] = codes
    assert (await card(gateway, anna, "ada"))["outstanding"] is None

    for response in (
        await quote(gateway, anna, "ada", code, 6000),
        await redeem(gateway, anna, "ada", code, "ada-b5"),
    ):
        assert response.status_code == 410, response.text
        assert expires_at.date().isoformat() in response.json()["detail"]

    async def recorded_as_expired() -> None:
        assert stack.sql("SELECT status FROM read.loyalty_rewards WHERE code = %s", (code,)) == [
            ("expired",)
        ]

    await until(recorded_as_expired)


@pytest.mark.parametrize(
    ("amount", "field"),
    [
        ({"amount_minor": -1, "currency": "GBP"}, "amount_minor"),
        ({"amount_minor": 60.5, "currency": "GBP"}, "amount_minor"),
        ({"amount_minor": 6000, "currency": "gbp"}, "currency"),
        ({"amount_minor": 6000, "currency": "POUNDS"}, "currency"),
    ],
)
async def test_a_bad_amount_is_refused_naming_the_field(
    gateway: httpx.AsyncClient, anna: TenantCaller, amount: dict[str, Any], field: str
) -> None:
    for path, extra in (("quote", {}), ("redeem", {"booking_id": "ada-b5"})):
        response = await gateway.post(
            f"/v1/checkout/{path}",
            json={"client_id": "ada", "code": MADE_UP, "amount": amount, **extra},
            headers=anna.headers,
        )

        assert refused_field(response) == f"amount.{field}"


async def test_redeeming_needs_a_booking_id(gateway: httpx.AsyncClient, anna: TenantCaller) -> None:
    response = await gateway.post(
        "/v1/checkout/redeem",
        json={"client_id": "ada", "code": MADE_UP, "amount": gbp(6000)},
        headers=anna.headers,
    )

    assert refused_field(response) == "booking_id"


async def test_checkout_needs_the_tenants_key(gateway: httpx.AsyncClient) -> None:
    response = await gateway.post(
        "/v1/checkout/quote",
        json={"client_id": "ada", "code": MADE_UP, "amount": gbp(6000)},
    )

    assert response.status_code == 401


async def test_the_openapi_document_lists_every_refusal_of_a_code(
    gateway: httpx.AsyncClient,
) -> None:
    paths = (await gateway.get("/openapi.json")).json()["paths"]

    for path in ("/v1/checkout/quote", "/v1/checkout/redeem"):
        assert {"200", "401", "404", "409", "410", "422"} <= set(paths[path]["post"]["responses"])
    assert "/v1/loyalty/clients/{client_id}/card" in paths
