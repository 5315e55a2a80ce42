"""Settings → Campaigns over the API: a new tenant's programme (every campaign off), reading and
changing each campaign's settings and what they share, every refusal naming the fix, an unknown
campaign, and only the key's tenant."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
from starcard_campaigns.api import SCHEMA, CampaignsService
from starcard_gateway.tenants import new_api_key

from tests.integration.gateway.conftest import get, service_on
from tests.support.gateway import TenantCaller

pytestmark = pytest.mark.integration

SETTINGS = "/v1/campaigns/birthday/settings"
SHARED = "/v1/campaigns/settings"
DEFAULTS = {
    "enabled": False,
    "days_before": 7,
    "discount_percent": 10,
    "valid_days": 30,
    "message": "Happy birthday! Here is a treat from us for your birthday week.",
    "reward": "discount",
    "add_on": None,
}
CAMPAIGN_DEFAULTS = {
    "birthday": DEFAULTS,
    "anniversary": {
        "enabled": False,
        "days_before": 0,
        "discount_percent": 10,
        "valid_days": 30,
        "message": "It is a year since your first visit: thank you! Here is something for you.",
        "reward": "discount",
        "add_on": None,
    },
    "reengagement": {
        "enabled": False,
        "discount_percent": 15,
        "valid_days": 14,
        "message": "We have missed you! Here is an offer to welcome you back.",
        "steps_days": [60, 90, 120],
        "category_steps": {},
    },
}
SHARED_DEFAULTS = {"booking_url": None, "holdout_percent": 10, "attribution_days": 14}
BOOKING_URL = "https://book.example.com/anna"


@pytest.fixture
def campaigns(gateway: httpx.AsyncClient, fresh_database: str) -> Iterator[CampaignsService]:
    """The campaigns service on the gateway's database, as its consumer reads it."""
    yield from service_on(CampaignsService, fresh_database, SCHEMA)


async def change(
    gateway: httpx.AsyncClient, tenant: TenantCaller, path: str = SETTINGS, **changes: Any
) -> Any:
    response = await gateway.patch(path, json=changes, headers=tenant.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def refused(
    gateway: httpx.AsyncClient, tenant: TenantCaller, path: str, body: dict[str, Any]
) -> str:
    """The detail of the 422 that refuses the change."""
    response = await gateway.patch(path, json=body, headers=tenant.headers)
    assert response.status_code == 422, response.text
    detail: str = response.json()["detail"]
    return detail


def settings_of(campaign: str) -> str:
    return f"/v1/campaigns/{campaign}/settings"


async def test_a_new_tenant_has_every_campaign_off_until_it_opts_in(
    gateway: httpx.AsyncClient, anna: TenantCaller, campaigns: CampaignsService
) -> None:
    for campaign, defaults in CAMPAIGN_DEFAULTS.items():
        assert await get(gateway, anna, settings_of(campaign)) == defaults
    assert await get(gateway, anna, SHARED) == SHARED_DEFAULTS
    # The programme is signed with the business's name: its emails say who sends them.
    assert campaigns.programme(anna.tenant_id).name == "Anna Massage"


async def test_the_anniversary_is_changed_on_its_own(
    gateway: httpx.AsyncClient, anna: TenantCaller, campaigns: CampaignsService
) -> None:
    path = settings_of("anniversary")
    changed = await change(gateway, anna, path, enabled=True, days_before=3, valid_days=60)

    assert changed == CAMPAIGN_DEFAULTS["anniversary"] | {
        "enabled": True,
        "days_before": 3,
        "valid_days": 60,
    }
    assert campaigns.programme(anna.tenant_id).anniversary.to_record() == changed
    assert await get(gateway, anna, SETTINGS) == DEFAULTS  # the birthday is another campaign


async def test_reengagement_steps_per_category_and_its_booking_link(
    gateway: httpx.AsyncClient, anna: TenantCaller, campaigns: CampaignsService
) -> None:
    path = settings_of("reengagement")
    steps = {"steps_days": [45, 75], "category_steps": {"Injectables": [100, 130, 160]}}
    assert await change(gateway, anna, path, **steps) == CAMPAIGN_DEFAULTS["reengagement"] | steps

    # Its messages carry the booking link: not on before there is one.
    detail = await refused(gateway, anna, path, {"enabled": True})
    assert "set booking_url (PATCH /v1/campaigns/settings)" in detail

    await change(gateway, anna, SHARED, booking_url=BOOKING_URL)
    assert (await change(gateway, anna, path, enabled=True))["enabled"] is True
    assert campaigns.programme(anna.tenant_id).reengagement.steps_for("Injectables") == (
        100,
        130,
        160,
    )

    # ... nor the link removed while they are on (null removes it, and only it may be null).
    detail = await refused(gateway, anna, SHARED, {"booking_url": None})
    assert "booking_url cannot be removed while re-engagement" in detail
    await change(gateway, anna, path, enabled=False, category_steps={})
    assert (await change(gateway, anna, SHARED, booking_url=None))["booking_url"] is None


async def test_the_shared_settings_change_and_the_service_reads_them(
    gateway: httpx.AsyncClient, anna: TenantCaller, campaigns: CampaignsService
) -> None:
    changed = await change(
        gateway, anna, SHARED, booking_url=BOOKING_URL, holdout_percent=20, attribution_days=30
    )

    expected = {"booking_url": BOOKING_URL, "holdout_percent": 20, "attribution_days": 30}
    assert changed == expected
    assert await change(gateway, anna, SHARED) == expected  # an empty change changes nothing
    assert campaigns.programme(anna.tenant_id).shared.to_record() == expected


REENGAGEMENT = settings_of("reengagement")


@pytest.mark.parametrize(
    ("path", "changes", "named"),
    [
        # Re-engagement's steps, as the campaigns domain refuses them.
        (REENGAGEMENT, {"steps_days": [90, 60]}, "steps_days must be 1 to 5 whole numbers"),
        (REENGAGEMENT, {"steps_days": []}, "steps_days must be 1 to 5 whole numbers of days"),
        (REENGAGEMENT, {"steps_days": [0, 2000]}, "steps_days must be 1 to 5 whole numbers"),
        (
            REENGAGEMENT,
            {"category_steps": {"Injectables": [30, 30]}},
            "category_steps['Injectables'] must be 1 to 5 whole numbers",
        ),
        (REENGAGEMENT, {"category_steps": {"\u00a0": [30]}}, "category_steps has a category"),
        (REENGAGEMENT, {"steps_days": ["60"]}, "steps_days.0: Input should be a valid integer"),
        (REENGAGEMENT, {"steps_days": None}, "steps_days cannot be null"),
        (REENGAGEMENT, {"days_before": 3}, "days_before: Extra inputs are not permitted"),
        # What the campaigns share.
        (SHARED, {"holdout_percent": 51}, "holdout_percent must be a whole number from 0 to 50"),
        (SHARED, {"attribution_days": 91}, "attribution_days must be a whole number from 1 to"),
        (SHARED, {"booking_url": "http://book.example.com"}, "booking_url must be the https"),
        (SHARED, {"holdout_percent": -1}, "holdout_percent: Input should be greater than or"),
        (SHARED, {"attribution_days": 0}, "attribution_days: Input should be greater than or"),
        (SHARED, {"holdout_percent": None}, "holdout_percent cannot be null"),
        (SHARED, {"attribution_days": "14"}, "attribution_days: Input should be a valid integer"),
        (SHARED, {"currency": "GBP"}, "currency: Extra inputs are not permitted"),
    ],
)
async def test_a_setting_that_breaks_a_rule_is_refused_naming_the_fix_and_changes_nothing(
    gateway: httpx.AsyncClient, anna: TenantCaller, path: str, changes: dict[str, Any], named: str
) -> None:
    before = await get(gateway, anna, path)

    assert named in await refused(gateway, anna, path, changes)
    assert await get(gateway, anna, path) == before


async def test_every_problem_of_the_shared_settings_is_named_at_once(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    body = {"booking_url": "book here", "holdout_percent": 80, "attribution_days": 365}

    detail = await refused(gateway, anna, SHARED, body)

    for name in ("booking_url", "holdout_percent", "attribution_days"):
        assert f"{name} must" in detail


@pytest.mark.parametrize("method", ["GET", "PATCH"])
async def test_an_unknown_campaign_is_not_found_naming_the_campaigns(
    gateway: httpx.AsyncClient, anna: TenantCaller, method: str
) -> None:
    response = await gateway.request(
        method, settings_of("loyalty"), json={"enabled": True}, headers=anna.headers
    )

    assert response.status_code == 404, response.text
    assert response.json()["detail"] == (
        "No campaign 'loyalty': the campaigns are birthday, anniversary and reengagement."
    )


async def test_a_client_without_offers_has_none(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    offers = await get(gateway, anna, "/v1/campaigns/clients/ada/offers")

    assert offers == {"data": [], "count": 0}


async def test_changing_some_settings_leaves_the_rest_and_the_service_reads_them(
    gateway: httpx.AsyncClient, anna: TenantCaller, campaigns: CampaignsService
) -> None:
    changed = await change(gateway, anna, enabled=True, discount_percent=15)
    expected = DEFAULTS | {"enabled": True, "discount_percent": 15}
    assert changed == expected

    whole: dict[str, Any] = {
        "enabled": True,
        "days_before": 0,
        "discount_percent": 100,
        "valid_days": 365,
        "message": "Happy birthday, from all of us!\nSee you soon.",
        "reward": "add_on",
        "add_on": "Scalp massage, 15 min",
    }
    assert await change(gateway, anna, **whole) == whole
    assert await change(gateway, anna) == whole  # an empty change changes nothing
    assert await get(gateway, anna, SETTINGS) == whole
    assert campaigns.programme(anna.tenant_id).birthday.to_record() == whole


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        # What the campaigns domain refuses, in its own words.
        ({"message": "   "}, "message must not be blank: write the note the client receives."),
        ({"message": "Happy\x07birthday"}, "message must not contain control characters"),
        # What the request's bounds refuse, naming the field and the bound.
        ({"days_before": 29}, "days_before: Input should be less than or equal to 28 (got 29)"),
        ({"days_before": -1}, "days_before: Input should be greater than or equal to 0"),
        ({"discount_percent": 0}, "discount_percent: Input should be greater than or equal to 1"),
        ({"discount_percent": 101}, "discount_percent: Input should be less than or equal to 100"),
        ({"valid_days": 0}, "valid_days: Input should be greater than or equal to 1"),
        ({"valid_days": 366}, "valid_days: Input should be less than or equal to 365"),
        ({"message": ""}, "message: String should have at least 1 character"),
        ({"message": "x" * 2001}, "message: String should have at most 2000 characters"),
        ({"enabled": "yes"}, "enabled: Input should be a valid boolean"),
        ({"days_before": "7"}, "days_before: Input should be a valid integer"),
        ({"enabled": None}, "enabled cannot be null: leave it out to keep it as it is."),
        ({"reward": "cake"}, "reward: Input should be 'discount', 'add_on' or 'points'"),
        ({"reward": None}, "reward cannot be null: leave it out to keep it as it is."),
        ({"add_on": "x" * 81}, "add_on: String should have at most 80 characters"),
        (
            {"reward": "add_on"},
            "add_on must name the complimentary add-on when reward is add_on, e.g. "
            "'Scalp massage, 15 min'.",
        ),
        ({"add_on": "Scalp\nmassage"}, "add_on must be one line: no line breaks or tabs."),
    ],
)
async def test_a_change_that_breaks_a_rule_is_refused_naming_the_fix_and_changes_nothing(
    gateway: httpx.AsyncClient, anna: TenantCaller, changes: dict[str, Any], named: str
) -> None:
    # Sent with a valid change (opting in), which the refusal leaves undone too.
    response = await gateway.patch(
        SETTINGS, json=changes | {"enabled": changes.get("enabled", True)}, headers=anna.headers
    )

    assert response.status_code == 422, response.text
    assert named in response.json()["detail"]
    assert await get(gateway, anna, SETTINGS) == DEFAULTS


async def test_a_celebration_rewards_with_an_add_on_or_points_and_keeps_the_add_on_name(
    gateway: httpx.AsyncClient, anna: TenantCaller, campaigns: CampaignsService
) -> None:
    path = settings_of("anniversary")
    add_on = await change(gateway, anna, path, reward="add_on", add_on="Brow tint")
    assert (add_on["reward"], add_on["add_on"]) == ("add_on", "Brow tint")

    # Points come from the points programme's granted bonus: refused while it would grant none.
    detail = await refused(gateway, anna, path, {"reward": "points"})
    assert "reward 'points' needs the points programme on with a granted bonus" in detail
    await change(
        gateway, anna, "/v1/loyalty/points/settings", enabled=True, granted_bonus_points=200
    )
    points = await change(gateway, anna, path, reward="points")
    assert (points["reward"], points["add_on"]) == ("points", "Brow tint")
    assert campaigns.programme(anna.tenant_id).anniversary.gives() == ("points", None)

    # Null removes the name, but not while it is the reward.
    assert (await change(gateway, anna, path, add_on=None))["add_on"] is None
    detail = await refused(gateway, anna, path, {"reward": "add_on"})
    assert "add_on must name the complimentary add-on" in detail


async def test_re_engagement_is_always_a_discount(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    """A time-limited booking offer: it has no reward to choose."""
    for body in ({"reward": "points"}, {"add_on": "Brow tint"}):
        detail = await refused(gateway, anna, settings_of("reengagement"), body)
        assert f"{next(iter(body))}: Extra inputs are not permitted" in detail


async def test_every_problem_is_named_at_once(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    response = await gateway.patch(
        SETTINGS, json={"days_before": 40, "valid_days": 0}, headers=anna.headers
    )

    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert "days_before:" in detail
    assert "valid_days:" in detail


async def test_a_tenant_never_sees_nor_changes_another_tenants_settings(
    gateway: httpx.AsyncClient, anna: TenantCaller, brook: TenantCaller
) -> None:
    await change(gateway, brook, enabled=True, days_before=14)

    assert await get(gateway, anna, SETTINGS) == DEFAULTS
    assert await get(gateway, brook, SETTINGS) == DEFAULTS | {"enabled": True, "days_before": 14}


ROUTES = [
    *((method, path) for path in (SETTINGS, SHARED) for method in ("GET", "PATCH")),
    *(("GET", settings_of(campaign)) for campaign in ("anniversary", "reengagement")),
    ("GET", "/v1/campaigns/results"),
    ("GET", "/v1/campaigns/results.csv"),
    ("GET", "/v1/campaigns/clients/ada/offers"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize("api_key", [None, "sc_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"])
async def test_the_campaigns_need_the_tenants_key(
    gateway: httpx.AsyncClient, anna: TenantCaller, method: str, path: str, api_key: str | None
) -> None:
    headers = {} if api_key is None else {"Authorization": f"Bearer {api_key}"}
    body = {"holdout_percent": 0} if path == SHARED else {"enabled": True}

    response = await gateway.request(method, path, json=body, headers=headers)

    assert response.status_code == 401
    assert await get(gateway, anna, SETTINGS) == DEFAULTS
    assert await get(gateway, anna, SHARED) == SHARED_DEFAULTS


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_a_tenant_registered_before_campaigns_existed_has_no_programme(
    gateway: httpx.AsyncClient, fresh_database: str, method: str, path: str
) -> None:
    tenant = registered_without_campaigns(fresh_database, "old-studio")
    body = {"holdout_percent": 0} if path == SHARED else {"enabled": True}

    response = await gateway.request(method, path, json=body, headers=tenant.headers)

    assert response.status_code == 404, response.text
    assert response.json()["detail"] == "No campaign programme for tenant 'old-studio'."


def registered_without_campaigns(database_url: str, tenant_id: str) -> TenantCaller:
    """A tenant and its key as the registry held them before the campaigns service: no
    campaign programme was opened for it."""
    key_id, secret_hash, api_key = new_api_key()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO gateway.tenants (tenant_id, name) VALUES (%s, %s)", (tenant_id, "Old")
        )
        conn.execute(
            "INSERT INTO gateway.api_keys (key_id, tenant_id, secret_hash) VALUES (%s, %s, %s)",
            (key_id, tenant_id, secret_hash),
        )
    return TenantCaller(tenant_id, api_key)
