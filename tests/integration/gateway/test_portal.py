"""The client portal: tokens the tenant mints for one client, and what the client sees with one.

A token names its tenant and client, so a portal call names neither; it never opens the tenant's
API, and the tenant's key never opens a portal. Campaign offers come from the real campaigns
pipeline; the portal judges their expiry by the real clock, so the ticks are of days relative to
today.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import jwt
import psycopg
import pytest
from starcard_campaigns.domain.holdout import held_out
from starcard_events import examples
from starcard_gateway.app import create_app
from starcard_gateway.portal import PortalTokens
from starcard_gateway.settings import GatewaySettings
from starcard_projections.referrals import client_link_code
from starcard_referrals.application import ReferralsService

from tests.integration.gateway.conftest import (
    ADMIN_KEY,
    PORTAL_SECRET,
    add_milestone,
    book,
    card,
    patch_referral_settings,
    portal_headers,
    project,
    refused_field,
    register,
    visit,
)
from tests.support.campaigns import CampaignsStack, campaigns_stack
from tests.support.gateway import TenantCaller, served

pytestmark = pytest.mark.integration

PAGE = "https://book.example.com/anna"
TEN_POUNDS = {"amount_minor": 1000, "currency": "GBP"}
PORTAL_ROUTES = (
    "/v1/portal/referrals",
    "/v1/portal/card",
    "/v1/portal/points",
    "/v1/portal/offers",
)
TODAY = datetime.now(UTC).date()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def mint(
    gateway: httpx.AsyncClient, tenant: TenantCaller, client: str, **body: Any
) -> httpx.Response:
    return await gateway.post(
        "/v1/portal/tokens", json={"client_id": client, **body}, headers=tenant.headers
    )


async def portal(gateway: httpx.AsyncClient, headers: dict[str, str]) -> Any:
    response = await gateway.get("/v1/portal/referrals", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


# -- tokens ----------------------------------------------------------------------------------


async def test_a_token_lasts_seven_days_unless_asked_otherwise_and_thirty_at_most(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    default, hour, too_long = (
        await mint(gateway, anna, "ada"),
        await mint(gateway, anna, "ada", ttl_minutes=60),
        await mint(gateway, anna, "ada", ttl_minutes=30 * 24 * 60 + 1),
    )
    after = datetime.now(UTC)

    assert (default.status_code, hour.status_code, too_long.status_code) == (201, 201, 422)
    minted = default.json()
    assert minted.keys() == {"token", "expires_at", "portal_url"}
    assert minted["portal_url"] is None
    expires_at = datetime.fromisoformat(minted["expires_at"])
    assert before + timedelta(days=7) <= expires_at <= after + timedelta(days=7)
    assert datetime.fromisoformat(hour.json()["expires_at"]) <= after + timedelta(hours=1)
    assert refused_field(too_long) == "ttl_minutes"


async def test_a_token_binds_the_tenant_the_client_and_the_expiry(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    minted = (await mint(gateway, anna, "ada")).json()

    claims = jwt.decode(
        minted["token"], PORTAL_SECRET, algorithms=["HS256"], audience="starcard:portal"
    )
    assert (claims["tid"], claims["sub"]) == (anna.tenant_id, "ada")
    assert datetime.fromtimestamp(claims["exp"], UTC) == datetime.fromisoformat(
        minted["expires_at"]
    )


async def test_with_a_portal_address_the_token_comes_as_a_link(fresh_database: str) -> None:
    app = create_app(
        GatewaySettings(
            DATABASE_URL=fresh_database,
            STARCARD_ADMIN_KEY=ADMIN_KEY,
            STARCARD_PORTAL_URL="https://portal.example.com/me",
        )
    )
    async with served(app) as gateway:
        anna = await register(gateway, "Anna Massage")
        minted = (await mint(gateway, anna, "ada")).json()

        assert minted["portal_url"] == f"https://portal.example.com/me#token={minted['token']}"
        assert (await gateway.get("/v1/portal/referrals", headers=bearer(minted["token"]))).json()


async def test_minting_needs_the_tenants_key(gateway: httpx.AsyncClient) -> None:
    response = await gateway.post("/v1/portal/tokens", json={"client_id": "ada"})

    assert response.status_code == 401


def forged(**claims: Any) -> str:
    """A token as an attacker (or another purpose) would make it; ``secret`` overrides ours."""
    now = datetime.now(UTC)
    secret = claims.pop("secret", PORTAL_SECRET)
    payload = {
        "iss": "starcard-gateway",
        "aud": "starcard:portal",
        "sub": "ada",
        "tid": "anna-massage",
        "iat": now,
        "exp": now + timedelta(hours=1),
    } | claims
    return jwt.encode({k: v for k, v in payload.items() if v is not None}, secret)


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (forged(secret="x" * 40), "Invalid portal token"),
        (forged(aud="starcard:password-reset"), "not a client portal token"),
        (forged(iss="someone-else"), "not a client portal token"),
        (forged(exp=None), "Invalid portal token"),
        (forged(tid=None), "Invalid portal token"),
        (jwt.encode({"sub": "ada"}, "", algorithm="none"), "Invalid portal token"),
        ("not.a.token", "Invalid portal token"),
    ],
)
async def test_a_forged_or_other_purpose_token_is_refused(
    gateway: httpx.AsyncClient, anna: TenantCaller, token: str, message: str
) -> None:
    for path in PORTAL_ROUTES:
        response = await gateway.get(path, headers=bearer(token))

        assert response.status_code == 401, response.text
        assert message in response.json()["detail"]
        assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_an_expired_token_is_refused_saying_so(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    tokens = PortalTokens(PORTAL_SECRET.encode())
    expired = tokens.mint(
        anna.tenant_id, "ada", ttl=timedelta(minutes=5), now=datetime.now(UTC) - timedelta(hours=1)
    )

    response = await gateway.get("/v1/portal/referrals", headers=bearer(expired.token))

    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


async def test_a_token_with_its_tenant_changed_is_refused(
    gateway: httpx.AsyncClient, anna: TenantCaller, brook: TenantCaller
) -> None:
    token = (await mint(gateway, anna, "ada")).json()["token"]
    header, payload, signature = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    swapped = jwt.encode(claims | {"tid": brook.tenant_id}, "x" * 32).split(".")[1]

    response = await gateway.get(
        "/v1/portal/referrals", headers=bearer(f"{header}.{swapped}.{signature}")
    )

    assert response.status_code == 401
    assert payload != swapped


async def test_no_token_is_refused_saying_how_to_send_one(gateway: httpx.AsyncClient) -> None:
    for path in PORTAL_ROUTES:
        response = await gateway.get(path)

        assert response.status_code == 401
        assert "Authorization: Bearer" in response.json()["detail"]


async def test_a_tenant_key_is_no_portal_token_and_a_portal_token_no_tenant_key(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    portal_token = (await mint(gateway, anna, "ada")).json()["token"]

    for path in PORTAL_ROUTES:
        assert (await gateway.get(path, headers=anna.headers)).status_code == 401
    for method, path in (
        ("GET", "/v1/referrals/settings"),
        ("GET", "/v1/loyalty/clients/ada/card"),
        ("POST", "/v1/portal/tokens"),
        ("POST", "/v1/checkout/credit/quote"),
        ("POST", "/v1/checkout/points/quote"),
        ("GET", "/v1/loyalty/clients/ada/points"),
    ):
        response = await gateway.request(
            method,
            path,
            json={"client_id": "ada", "amount": {"amount_minor": 100, "currency": "GBP"}},
            headers=bearer(portal_token),
        )
        assert response.status_code == 401, (path, response.text)


# -- the referral link -----------------------------------------------------------------------


async def test_the_link_is_made_on_the_first_ask_and_the_same_ever_after(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    first = await portal(gateway, await portal_headers(gateway, anna, "ada"))
    again = await portal(gateway, await portal_headers(gateway, anna, "ada"))

    assert first["link"] == again["link"]
    assert len(first["link"]["code"]) >= 16
    assert first == {
        "link": {"code": first["link"]["code"], "url": None, "hint": first["link"]["hint"]},
        "referrals": [],
        "credit_banner": None,
        "count": 0,
        "pending_rewards": 0,
    }
    assert "booking page" in first["link"]["hint"]


async def test_concurrent_first_asks_make_one_link(
    gateway: httpx.AsyncClient, anna: TenantCaller, fresh_database: str
) -> None:
    headers = await portal_headers(gateway, anna, "ada")

    answers = await asyncio.gather(*(portal(gateway, headers) for _ in range(8)))

    assert len({answer["link"]["code"] for answer in answers}) == 1
    project(fresh_database)
    with psycopg.connect(fresh_database) as conn:
        assert client_link_code(conn, anna.tenant_id, "ada") == answers[0]["link"]["code"]
        [(links,)] = conn.execute(
            "SELECT count(*) FROM read.referral_links WHERE tenant_id = %s", (anna.tenant_id,)
        ).fetchall()
    assert links == 1


async def test_the_link_url_follows_the_tenants_booking_page(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    headers = await portal_headers(gateway, anna, "ada")
    code = (await portal(gateway, headers))["link"]["code"]

    await patch_referral_settings(gateway, anna, booking_page_url=PAGE)
    assert (await portal(gateway, headers))["link"] == {
        "code": code,
        "url": f"{PAGE}?ref={code}",
        "hint": None,
    }

    await patch_referral_settings(gateway, anna, booking_page_url=f"{PAGE}?staff=4")
    assert (await portal(gateway, headers))["link"]["url"] == f"{PAGE}?staff=4&ref={code}"


async def test_a_portal_shows_its_own_tenants_client_only(
    gateway: httpx.AsyncClient,
    anna: TenantCaller,
    brook: TenantCaller,
    referrals: ReferralsService,
    fresh_database: str,
) -> None:
    await patch_referral_settings(gateway, anna, trigger="first_booking")
    book(referrals, anna, "bo", "bo-b1", through="ada")
    project(fresh_database)

    annas_ada = await portal(gateway, await portal_headers(gateway, anna, "ada"))
    brooks_ada = await portal(gateway, await portal_headers(gateway, brook, "ada"))
    annas_bo = await portal(gateway, await portal_headers(gateway, anna, "bo"))

    assert annas_ada["link"]["code"] == referrals.link_for(anna.tenant_id, "ada").code
    assert (
        len({annas_ada["link"]["code"], brooks_ada["link"]["code"], annas_bo["link"]["code"]}) == 3
    )
    assert annas_ada["referrals"] == [{"stage": "booked", "colour": "amber"}]
    assert annas_ada["credit_banner"] is not None
    assert (brooks_ada["referrals"], brooks_ada["credit_banner"]) == ([], None)
    assert (annas_bo["referrals"], annas_bo["credit_banner"]) == ([], None)


# -- referrals and credit --------------------------------------------------------------------


async def test_the_portal_lists_referrals_by_stage_and_leaves_refused_ones_out(
    gateway: httpx.AsyncClient, anna: TenantCaller, referrals: ReferralsService, fresh_database: str
) -> None:
    start = datetime.now(UTC) - timedelta(days=3)
    visit(referrals, anna, "visitor-1", through="ada")
    book(referrals, anna, "bo", "bo-b1", through="ada", at=start)
    book(referrals, anna, "cy", "cy-b1", through="ada", completed=True, at=start)
    book(referrals, anna, "ada", "ada-b1", through="ada", at=start)
    project(fresh_database)

    shown = await portal(gateway, await portal_headers(gateway, anna, "ada"))

    assert sorted(shown["referrals"], key=lambda r: r["stage"]) == [
        {"stage": "booked", "colour": "amber"},
        {"stage": "completed", "colour": "green"},
        {"stage": "invited", "colour": "red"},
    ]
    # Rewards come on completion by default: Bo's booking is a reward on its way.
    assert (shown["count"], shown["pending_rewards"]) == (3, 1)


@pytest.mark.parametrize(
    ("reward", "text"),
    [
        (
            {"amount": TEN_POUNDS},
            "You have £10.00 credit — it will be applied at your next booking",
        ),
        ({"percent": 15}, "You have 15% off — it will be applied at your next booking"),
    ],
)
async def test_the_credit_banner_says_what_the_next_booking_gets(
    gateway: httpx.AsyncClient,
    anna: TenantCaller,
    *,
    referrals: ReferralsService,
    fresh_database: str,
    reward: dict[str, Any],
    text: str,
) -> None:
    await patch_referral_settings(gateway, anna, reward=reward, trigger="first_booking")
    book(referrals, anna, "bo", "bo-b1", through="ada")
    project(fresh_database)

    banner = (await portal(gateway, await portal_headers(gateway, anna, "ada")))["credit_banner"]

    assert banner == {
        "amounts": [TEN_POUNDS] if "amount" in reward else [],
        "percents": [15] if "percent" in reward else [],
        "text": text,
    }


async def test_the_banner_adds_credits_up_and_shows_what_is_left_after_checkout(
    gateway: httpx.AsyncClient, anna: TenantCaller, referrals: ReferralsService, fresh_database: str
) -> None:
    await patch_referral_settings(
        gateway, anna, reward={"amount": TEN_POUNDS}, trigger="first_booking"
    )
    book(referrals, anna, "bo", "bo-b1", through="ada")
    book(referrals, anna, "cy", "cy-b1", through="ada")
    await patch_referral_settings(gateway, anna, reward={"percent": 10})
    book(referrals, anna, "di", "di-b1", through="ada")
    project(fresh_database)
    headers = await portal_headers(gateway, anna, "ada")

    assert (await portal(gateway, headers))["credit_banner"] == {
        "amounts": [{"amount_minor": 2000, "currency": "GBP"}],
        "percents": [10],
        "text": "You have £20.00 credit and 10% off — they will be applied from your next booking",
    }

    # 10% of £10.00, then £9.00 of the first £10.00 credit.
    used = await gateway.post(
        "/v1/checkout/credit/redeem",
        json={"client_id": "ada", "booking_id": "ada-b1", "amount": TEN_POUNDS},
        headers=anna.headers,
    )
    assert used.json()["discount"] == TEN_POUNDS
    project(fresh_database)

    assert (await portal(gateway, headers))["credit_banner"] == {
        "amounts": [{"amount_minor": 1100, "currency": "GBP"}],
        "percents": [],
        "text": "You have £11.00 credit — it will be applied at your next booking",
    }


# -- the loyalty card ------------------------------------------------------------------------


async def test_the_portal_card_is_the_clients_loyalty_card(
    gateway: httpx.AsyncClient, anna: TenantCaller, brook: TenantCaller, fresh_database: str
) -> None:
    headers = await portal_headers(gateway, anna, "ada")
    no_card = await gateway.get("/v1/portal/card", headers=headers)
    assert no_card.status_code == 404
    assert "active milestone" in no_card.json()["detail"]

    await add_milestone(gateway, anna, {"session_count": 5, "message": "Thanks!"})
    project(fresh_database, "loyalty")

    shown = await gateway.get("/v1/portal/card", headers=headers)
    assert shown.status_code == 200, shown.text
    assert shown.json() == await card(gateway, anna, "ada")
    assert shown.json()["next_reward"]["circles"] == 5
    brooks = await gateway.get(
        "/v1/portal/card", headers=await portal_headers(gateway, brook, "ada")
    )
    assert brooks.status_code == 404


# -- campaign offers -------------------------------------------------------------------------


def midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC)


def anniversary_day() -> date:
    """A recent day with a day of the same date a year before: yesterday, or the day before
    when yesterday was 29 February."""
    day = TODAY - timedelta(days=1)
    return day - timedelta(days=1) if (day.month, day.day) == (2, 29) else day


async def campaign_settings(
    gateway: httpx.AsyncClient, tenant: TenantCaller, *changes: tuple[str, dict[str, Any]]
) -> None:
    for path, body in changes:
        response = await gateway.patch(f"/v1/campaigns/{path}", json=body, headers=tenant.headers)
        assert response.status_code == 200, response.text


def born(tenant: TenantCaller, client_id: str, birthday: date) -> dict[str, Any]:
    return examples.client_registered(
        tenant.tenant_id,
        midnight(TODAY - timedelta(days=200)),
        client_id=client_id,
        birthday={"month": birthday.month, "day": birthday.day},
    )


def came_in(tenant: TenantCaller, client_id: str, day: date) -> dict[str, Any]:
    return examples.appointment_completed(
        tenant.tenant_id,
        midnight(day) + timedelta(hours=11),
        booking_id=f"{client_id}-{day}",
        client_id=client_id,
        starts_at=midnight(day) + timedelta(hours=10),
    )


@pytest.fixture
async def campaigns(
    gateway: httpx.AsyncClient,
    anna: TenantCaller,
    fresh_database: str,
    kafka_bootstrap: str,
    topic_prefix: str,
) -> AsyncIterator[CampaignsStack]:
    """The campaigns pipeline on the gateway's database; anna runs birthdays and anniversaries
    (no booking link yet, no one held out)."""
    await campaign_settings(
        gateway,
        anna,
        ("settings", {"holdout_percent": 0}),
        ("birthday/settings", {"enabled": True, "discount_percent": 20, "valid_days": 30}),
        ("anniversary/settings", {"enabled": True, "discount_percent": 10, "valid_days": 30}),
    )
    async with campaigns_stack(fresh_database, kafka_bootstrap, topic_prefix) as running:
        yield running


async def offers(gateway: httpx.AsyncClient, headers: dict[str, str]) -> Any:
    response = await gateway.get("/v1/portal/offers", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_portal_shows_the_clients_offers_still_open_newest_first(
    gateway: httpx.AsyncClient, anna: TenantCaller, brook: TenantCaller, campaigns: CampaignsStack
) -> None:
    # Ada's birthday code of 100 days ago has expired since (30 days).
    long_ago = TODAY - timedelta(days=100)
    await campaigns.publish(born(anna, "ada", long_ago + timedelta(days=3)))
    await campaigns.tick(anna.tenant_id, long_ago)
    # The anniversary of her first visit: an offer with no booking link (anna had none then).
    anniversary = anniversary_day()
    await campaigns.publish(
        came_in(anna, "ada", anniversary.replace(year=anniversary.year - 1)),
        came_in(anna, "ada", TODAY - timedelta(days=60)),
    )
    await campaigns.tick(anna.tenant_id, anniversary)
    # Today, 60 days after her last visit: we miss you, with the booking link set since. Bea's
    # birthday offer is hers alone.
    await campaign_settings(
        gateway,
        anna,
        ("settings", {"booking_url": PAGE}),
        ("reengagement/settings", {"enabled": True, "discount_percent": 15, "valid_days": 14}),
    )
    await campaigns.publish(born(anna, "bea", TODAY + timedelta(days=3)))
    await campaigns.tick(anna.tenant_id, TODAY)
    made = {each.campaign: each.terms for each in campaigns.commands.offers(anna.tenant_id, "ada")}
    assert sorted(made) == ["anniversary", "birthday", "reengagement"]
    codes = {campaign: terms.code for campaign, terms in made.items() if terms is not None}

    shown = await offers(gateway, await portal_headers(gateway, anna, "ada"))

    assert shown == {
        "data": [
            {
                "campaign": "reengagement",
                "name": "We miss you",
                "code": codes["reengagement"],
                "discount_percent": 15,
                "add_on": None,
                "expires_at": f"{TODAY + timedelta(days=14)}T00:00:00Z",
                "valid_until": str(TODAY + timedelta(days=13)),
                "booking_url": PAGE,
            },
            {
                "campaign": "anniversary",
                "name": "Anniversary",
                "code": codes["anniversary"],
                "discount_percent": 10,
                "add_on": None,
                "expires_at": f"{anniversary + timedelta(days=30)}T00:00:00Z",
                "valid_until": str(anniversary + timedelta(days=29)),
                "booking_url": None,
            },
        ],
        "count": 2,
    }
    # Used at checkout, a code leaves the list.
    redeemed = await gateway.post(
        "/v1/checkout/redeem",
        json={
            "client_id": "ada",
            "code": codes["reengagement"],
            "booking_id": "ada-back",
            "amount": {"amount_minor": 5000, "currency": "GBP"},
        },
        headers=anna.headers,
    )
    assert redeemed.status_code == 200, redeemed.text
    still_open = await offers(gateway, await portal_headers(gateway, anna, "ada"))
    assert [each["campaign"] for each in still_open["data"]] == ["anniversary"]
    (beas_birthday,) = campaigns.commands.offers(anna.tenant_id, "bea")
    assert beas_birthday.terms is not None
    beas = await offers(gateway, await portal_headers(gateway, anna, "bea"))
    assert [(each["campaign"], each["code"]) for each in beas["data"]] == [
        ("birthday", beas_birthday.terms.code)
    ]
    # Another tenant's client of the same id sees none of them.
    brooks_ada = await offers(gateway, await portal_headers(gateway, brook, "ada"))
    assert brooks_ada == {"data": [], "count": 0}


async def test_a_client_held_out_of_an_offer_sees_nothing_of_it(
    gateway: httpx.AsyncClient, anna: TenantCaller, campaigns: CampaignsStack
) -> None:
    await campaign_settings(gateway, anna, ("settings", {"holdout_percent": 50}))
    birthday = TODAY + timedelta(days=3)
    held = next(
        client
        for client in (f"client-{n}" for n in range(100))
        if held_out(anna.tenant_id, "birthday", client, str(birthday.year), 50)
    )
    await campaigns.publish(born(anna, held, birthday))
    await campaigns.tick(anna.tenant_id, TODAY)
    (offer,) = campaigns.commands.offers(anna.tenant_id, held)
    assert offer.held_out

    assert await offers(gateway, await portal_headers(gateway, anna, held)) == {
        "data": [],
        "count": 0,
    }
