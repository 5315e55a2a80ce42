"""Settings → Campaigns → Birthday over the API: a new tenant's programme (the campaign off),
reading and changing the settings, every refusal naming the fix, and only the key's tenant."""

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
DEFAULTS = {
    "enabled": False,
    "days_before": 7,
    "discount_percent": 10,
    "valid_days": 30,
    "message": "Happy birthday! Here is a treat from us for your birthday week.",
}


@pytest.fixture
def campaigns(gateway: httpx.AsyncClient, fresh_database: str) -> Iterator[CampaignsService]:
    """The campaigns service on the gateway's database, as its consumer reads it."""
    yield from service_on(CampaignsService, fresh_database, SCHEMA)


async def change(gateway: httpx.AsyncClient, tenant: TenantCaller, **changes: Any) -> Any:
    response = await gateway.patch(SETTINGS, json=changes, headers=tenant.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_new_tenant_has_the_birthday_campaign_off_until_it_opts_in(
    gateway: httpx.AsyncClient, anna: TenantCaller, campaigns: CampaignsService
) -> None:
    assert await get(gateway, anna, SETTINGS) == DEFAULTS
    # The programme is signed with the business's name: its birthday emails say who sends them.
    assert campaigns.programme(anna.tenant_id).name == "Anna Massage"


async def test_changing_some_settings_leaves_the_rest_and_the_service_reads_them(
    gateway: httpx.AsyncClient, anna: TenantCaller, campaigns: CampaignsService
) -> None:
    changed = await change(gateway, anna, enabled=True, discount_percent=15)
    expected = DEFAULTS | {"enabled": True, "discount_percent": 15}
    assert changed == expected

    whole = {
        "enabled": True,
        "days_before": 0,
        "discount_percent": 100,
        "valid_days": 365,
        "message": "Happy birthday, from all of us!\nSee you soon.",
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
        ({"reward": "cake"}, "reward: Extra inputs are not permitted"),
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


@pytest.mark.parametrize("method", ["GET", "PATCH"])
@pytest.mark.parametrize("api_key", [None, "sc_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"])
async def test_the_settings_need_the_tenants_key(
    gateway: httpx.AsyncClient, anna: TenantCaller, method: str, api_key: str | None
) -> None:
    headers = {} if api_key is None else {"Authorization": f"Bearer {api_key}"}

    response = await gateway.request(method, SETTINGS, json={"enabled": True}, headers=headers)

    assert response.status_code == 401
    assert await get(gateway, anna, SETTINGS) == DEFAULTS


@pytest.mark.parametrize("method", ["GET", "PATCH"])
async def test_a_tenant_registered_before_campaigns_existed_has_no_programme(
    gateway: httpx.AsyncClient, fresh_database: str, method: str
) -> None:
    tenant = registered_without_campaigns(fresh_database, "old-studio")

    response = await gateway.request(
        method, SETTINGS, json={"enabled": True}, headers=tenant.headers
    )

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
