"""Tiers over HTTP: the programme's tier settings, a client's tier with its benefits and what
keeps or lifts it, their tier history, the members by tier, and the client's tier in the portal.

Tier state is made by the loyalty service's own use cases on the gateway's event store (spend
counted, a refund noted, in one batch each as its consumer would), brought into the tiers read
model by its projection, then read through the API.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from starcard_loyalty.app import SCHEMA as LOYALTY_SCHEMA
from starcard_loyalty.application import LoyaltyService
from starcard_loyalty.domain.membership import Spend
from starcard_loyalty.domain.tier_settings import SpendKind, TierSettings, months_after
from starcard_runtime.batching import UnitOfWork

from tests.integration.gateway.conftest import (
    gbp,
    get,
    portal_headers,
    project,
    refused_field,
    service_on,
)
from tests.support.gateway import TenantCaller

pytestmark = pytest.mark.integration

SETTINGS = "/v1/loyalty/tiers/settings"
DISTRIBUTION = "/v1/tiers/distribution"
NOW = datetime.now(UTC).replace(microsecond=0)
SINCE = NOW - timedelta(days=400)
"""When the tests' tier settings came into force: before every purchase they count."""
ON = TierSettings(enabled=True)
"""Regular for everyone; VIP from £1,000 in 12 months (5% off, priority booking); Elite from
£2,500 (10% off)."""


def client_tier(client: str) -> str:
    return f"/v1/tiers/clients/{client}"


def history_of(client: str) -> str:
    return f"/v1/tiers/clients/{client}/history"


@pytest.fixture
def loyalty(gateway: httpx.AsyncClient, fresh_database: str) -> Iterator[LoyaltyService]:
    """The loyalty service on the gateway's database: what its Kafka consumer would run."""
    yield from service_on(LoyaltyService, fresh_database, LOYALTY_SCHEMA)


def in_one_batch(loyalty: LoyaltyService, work: Callable[[UnitOfWork], object]) -> None:
    unit = UnitOfWork(loyalty)
    work(unit)
    loyalty.save(*unit.aggregates.values())


def spend(
    loyalty: LoyaltyService,
    tenant: TenantCaller,
    client: str,
    booking: str,
    pounds: int,
    *,
    at: datetime,
) -> None:
    """A treatment of `pounds`, paid at `at`, counted toward the client's tier."""
    bought = Spend(f"booking:{booking}", pounds * 100, at, SpendKind.TREATMENT)
    in_one_batch(
        loyalty,
        lambda unit: loyalty.count_tier_spend(unit, tenant.tenant_id, client, "GBP", [bought]),
    )


def refund(
    loyalty: LoyaltyService, tenant: TenantCaller, client: str, booking: str, at: datetime
) -> None:
    """The whole of a treatment given back."""
    in_one_batch(
        loyalty,
        lambda unit: loyalty.refund_tier_spend(
            unit,
            tenant.tenant_id,
            client,
            refund_id=f"refund-{booking}",
            lines=[(f"booking:{booking}", None)],
            at=at,
        ),
    )


async def projected(database_url: str) -> None:
    """The tiers read model brought up to date, as the projections process would."""
    await asyncio.to_thread(project, database_url, "tiers")


async def patch_settings(
    gateway: httpx.AsyncClient, tenant: TenantCaller, **changes: Any
) -> dict[str, Any]:
    response = await gateway.patch(SETTINGS, json=changes, headers=tenant.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
async def ada_is_vip(
    gateway: httpx.AsyncClient, anna: TenantCaller, loyalty: LoyaltyService, fresh_database: str
) -> None:
    """Anna's tiers are on; Ada spent £600 150 days ago and £600 20 days ago: VIP at the second
    visit. Bo reached VIP and was refunded back to Regular; Cy spent £50."""
    loyalty.set_tier_settings(anna.tenant_id, ON, SINCE)
    spend(loyalty, anna, "ada", "ada-b1", 600, at=NOW - timedelta(days=150))
    spend(loyalty, anna, "ada", "ada-b2", 600, at=NOW - timedelta(days=20))
    spend(loyalty, anna, "bo", "bo-b1", 1_100, at=NOW - timedelta(days=30))
    refund(loyalty, anna, "bo", "bo-b1", NOW - timedelta(days=10))
    spend(loyalty, anna, "cy", "cy-b1", 50, at=NOW - timedelta(days=5))
    await projected(fresh_database)


# -- settings --------------------------------------------------------------------------------


async def test_tiers_are_off_with_three_tiers_until_the_business_sets_them(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    settings = await get(gateway, anna, SETTINGS)

    assert settings["enabled"] is False
    assert (settings["currency"], settings["window_months"], settings["drop"]) == (
        "GBP",
        12,
        "one_tier",
    )
    assert [(t["tier_id"], t["entry_minor"]) for t in settings["tiers"]] == [
        ("regular", 0),
        ("vip", 100_000),
        ("elite", 250_000),
    ]
    assert settings["tiers"][1]["points_multiplier"] == "1"
    assert settings["counts"] == ["package", "retail", "treatment"]


async def test_settings_are_written_and_read_back(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    sent = {
        "enabled": True,
        "currency": "EUR",
        "tiers": [
            {
                "tier_id": "silver",
                "name": "Silver",
                "entry_minor": 0,
                "stay_minor": None,
                "treatment_discount_percent": 0,
                "product_discount_percent": 0,
                "priority_booking": False,
                "complimentary_service_id": None,
                "points_multiplier": "1",
            },
            {
                "tier_id": "gold",
                "name": "Gold",
                "entry_minor": 50_000,
                "stay_minor": 40_000,
                "treatment_discount_percent": 10,
                "product_discount_percent": 5,
                "priority_booking": True,
                "complimentary_service_id": "hand-massage",
                "points_multiplier": "1.5",
            },
        ],
        "window_months": 6,
        "counts": ["treatment", "retail"],
        "keep_days": 90,
        "drop": "to_spend",
        "warn_days": None,
        "stack_with_codes": True,
    }

    answered = await patch_settings(gateway, anna, **sent)

    expected = sent | {"counts": ["retail", "treatment"]}
    assert answered == expected
    assert await get(gateway, anna, SETTINGS) == expected


async def test_a_change_keeps_what_it_does_not_send(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    await patch_settings(gateway, anna, enabled=True, keep_days=30)

    changed = await patch_settings(gateway, anna, warn_days=7)

    assert (changed["enabled"], changed["keep_days"], changed["warn_days"]) == (True, 30, 7)
    assert [tier["name"] for tier in changed["tiers"]] == ["Regular", "VIP", "Elite"]


async def test_tiers_that_do_not_hold_together_are_refused_naming_every_problem(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    tiers = [
        {"tier_id": "base", "name": "Base", "entry_minor": 100},
        {"tier_id": "gold", "name": "Gold", "entry_minor": 50_000, "stay_minor": 60_000},
        {"tier_id": "gold", "name": "gold", "entry_minor": 40_000},
    ]

    response = await gateway.patch(SETTINGS, json={"tiers": tiers}, headers=anna.headers)

    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    for problem in (
        "Each tier needs its own tier_id.",
        "Each tier needs its own name.",
        "The first tier is everyone's: its entry threshold must be 0.",
        "Tier 'gold' must need more spend than 'Gold' before it",
        "Tier 'Gold': stay_minor must be 0 to the entry threshold (50000)",
    ):
        assert problem in detail
    assert (await get(gateway, anna, SETTINGS))["tiers"][0]["tier_id"] == "regular"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"window_months": 0}, "window_months"),
        ({"window_months": "12"}, "window_months"),
        ({"keep_days": -1}, "keep_days"),
        ({"counts": ["gifts"]}, "counts.0"),
        ({"drop": "sometimes"}, "drop"),
        ({"currency": "gbp"}, "currency"),
        ({"enabled": None}, "the body"),
        ({"tiers": []}, "tiers"),
        (
            {"tiers": [{"tier_id": "a", "name": "A", "entry_minor": 0, "points_multiplier": 2}]},
            "tiers.0.points_multiplier",
        ),
        (
            {"tiers": [{"tier_id": "a", "name": "A", "entry_minor": 0, "points_multiplier": "11"}]},
            "tiers.0.points_multiplier",
        ),
        ({"tiers": [{"tier_id": "a b", "name": "A", "entry_minor": 0}]}, "tiers.0.tier_id"),
        ({"tiers": [{"tier_id": "a", "name": "  ", "entry_minor": 0}]}, "tiers.0.name"),
    ],
)
async def test_a_setting_out_of_bounds_is_refused_naming_the_field(
    gateway: httpx.AsyncClient, anna: TenantCaller, changes: dict[str, Any], field: str
) -> None:
    response = await gateway.patch(SETTINGS, json=changes, headers=anna.headers)

    assert refused_field(response) == field
    assert (await get(gateway, anna, SETTINGS))["enabled"] is False


# -- a client's tier -------------------------------------------------------------------------


@pytest.mark.usefixtures("ada_is_vip")
async def test_a_vip_gets_the_tier_s_benefits_and_sees_what_keeps_it_and_what_lifts_it(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    tier = await get(gateway, anna, client_tier("ada"))

    drops_on = months_after((NOW - timedelta(days=150)).date(), 12)
    secure_until = drops_on - timedelta(days=1)
    assert tier == {
        "client_id": "ada",
        "enabled": True,
        "tier": {"tier_id": "vip", "name": "VIP"},
        "benefits": {
            "treatment_discount_percent": 5,
            "product_discount_percent": 5,
            "priority_booking": True,
            "complimentary_service_id": None,
            "points_multiplier": "1",
        },
        "spend": gbp(120_000),
        "window_months": 12,
        "next_tier": {
            "tier_id": "elite",
            "name": "Elite",
            "entry": gbp(250_000),
            "needed": gbp(130_000),
            "text": "£1,300.00 more to reach Elite",
        },
        "drops_on": drops_on.isoformat(),
        "secure_until": secure_until.isoformat(),
        "shortfall": gbp(40_000),  # once the first £600 leaves the window, £400 short of £1,000
        "keep_text": f"VIP is secure until {secure_until.day} {secure_until:%B %Y}; it drops on "
        f"{drops_on.day} {drops_on:%B %Y} unless £400.00 is spent before then",
    }


@pytest.mark.usefixtures("ada_is_vip")
async def test_a_client_the_tiers_never_counted_is_in_the_first_tier_with_no_spend(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    tier = await get(gateway, anna, client_tier("zed"))

    assert (tier["tier"], tier["spend"], tier["drops_on"], tier["secure_until"]) == (
        {"tier_id": "regular", "name": "Regular"},
        gbp(0),
        None,
        None,
    )
    assert tier["benefits"]["treatment_discount_percent"] == 0
    assert tier["next_tier"]["text"] == "£1,000.00 more to reach VIP"
    assert (tier["shortfall"], tier["keep_text"]) == (None, None)
    assert await get(gateway, anna, history_of("zed")) == {"data": [], "count": 0}


@pytest.mark.usefixtures("ada_is_vip")
async def test_the_history_lists_each_change_newest_first_with_why_and_the_spend_then(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    history = await get(gateway, anna, history_of("bo"))

    assert history["count"] == 2
    assert [
        (
            row["from_tier"]["name"],
            row["to_tier"]["name"],
            row["direction"],
            row["reason"],
            row["spend"],
        )
        for row in history["data"]
    ] == [
        ("VIP", "Regular", "down", "refunded", gbp(0)),
        ("Regular", "VIP", "up", "spend_reached", gbp(110_000)),
    ]
    assert history["data"][0]["reason_text"] == "A refund"
    assert history["data"][1]["at"].startswith((NOW - timedelta(days=30)).date().isoformat())
    older = await get(gateway, anna, history_of("bo"), limit=1, offset=1)
    assert [row["reason"] for row in older["data"]] == ["spend_reached"]
    assert older["count"] == 2
    bo = await get(gateway, anna, client_tier("bo"))
    assert (bo["tier"]["tier_id"], bo["spend"], bo["drops_on"]) == ("regular", gbp(0), None)


@pytest.mark.usefixtures("ada_is_vip")
async def test_the_distribution_counts_the_members_of_every_tier(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    distribution = await get(gateway, anna, DISTRIBUTION)

    assert distribution == {
        "data": [
            {"tier_id": "regular", "name": "Regular", "entry": gbp(0), "members": 2},
            {"tier_id": "vip", "name": "VIP", "entry": gbp(100_000), "members": 1},
            {"tier_id": "elite", "name": "Elite", "entry": gbp(250_000), "members": 0},
        ],
        "members": 3,
    }


@pytest.mark.usefixtures("ada_is_vip")
async def test_a_renamed_tier_is_shown_by_its_new_name_and_a_removed_one_counts_in_the_first(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    settings = await get(gateway, anna, SETTINGS)
    regular, _, elite = settings["tiers"]
    await patch_settings(gateway, anna, tiers=[regular | {"name": "Member"}, elite])

    tier = await get(gateway, anna, client_tier("ada"))
    distribution = await get(gateway, anna, DISTRIBUTION)

    assert tier["tier"] == {"tier_id": "regular", "name": "Member"}
    assert tier["next_tier"]["name"] == "Elite"
    assert [(row["tier_id"], row["members"]) for row in distribution["data"]] == [
        ("regular", 3),
        ("elite", 0),
    ]
    history = await get(gateway, anna, history_of("bo"))
    assert history["data"][0]["from_tier"] == {"tier_id": "vip", "name": "vip"}


# -- tenancy and the portal ------------------------------------------------------------------


@pytest.mark.usefixtures("ada_is_vip")
async def test_another_tenant_sees_nothing_of_the_client_s_tier(
    gateway: httpx.AsyncClient, brook: TenantCaller
) -> None:
    tier = await get(gateway, brook, client_tier("ada"))

    assert (tier["enabled"], tier["tier"]["tier_id"], tier["spend"], tier["drops_on"]) == (
        False,
        "regular",
        gbp(0),
        None,
    )
    assert (await get(gateway, brook, history_of("ada")))["count"] == 0
    assert (await get(gateway, brook, DISTRIBUTION))["members"] == 0
    assert (await get(gateway, brook, SETTINGS))["enabled"] is False


@pytest.mark.usefixtures("ada_is_vip")
async def test_the_portal_shows_the_client_s_tier_and_what_lifts_it(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    response = await gateway.get(
        "/v1/portal/tier", headers=await portal_headers(gateway, anna, "ada")
    )

    assert response.status_code == 200, response.text
    shown = response.json()
    assert (shown["tier"]["name"], shown["spend"]) == ("VIP", gbp(120_000))
    assert shown["next_tier"]["text"] == "£1,300.00 more to reach Elite"
    assert shown["secure_until"] is not None


async def test_the_tier_routes_need_the_tenant_s_key(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    for path in (SETTINGS, client_tier("ada"), history_of("ada"), DISTRIBUTION):
        assert (await gateway.get(path)).status_code == 401
    portal = await gateway.get("/v1/portal/tier", headers=anna.headers)
    assert portal.status_code == 401


async def test_settings_in_force_are_the_ones_the_client_s_tier_is_read_with(
    gateway: httpx.AsyncClient, anna: TenantCaller, loyalty: LoyaltyService, fresh_database: str
) -> None:
    cheaper = replace(ON, tiers=(ON.tiers[0], replace(ON.tiers[1], entry_minor=50_000)))
    loyalty.set_tier_settings(anna.tenant_id, cheaper, SINCE)
    spend(loyalty, anna, "ada", "ada-b1", 600, at=NOW - timedelta(days=3))
    await projected(fresh_database)

    tier = await get(gateway, anna, client_tier("ada"))

    assert tier["tier"]["name"] == "VIP"
    assert tier["next_tier"] is None  # VIP is the top of these two tiers
