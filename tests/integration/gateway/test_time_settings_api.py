"""Settings → Time over the API: a new tenant in UTC, quiet from 21:00 to 09:00; changing the
zone and the quiet hours (none, or running past midnight); every refusal naming the fix; only the
key's tenant; the loyalty service (whose clock ticks in the zone) reading what was set; and the
operator registering a tenant in its zone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import time
from typing import Any

import httpx
import pytest
from starcard_loyalty.api import SCHEMA, LoyaltyService, QuietHours, TimeSettings

from tests.integration.gateway.conftest import ADMIN_KEY, get, service_on
from tests.support.gateway import TenantCaller

pytestmark = pytest.mark.integration

SETTINGS = "/v1/settings/time"
DEFAULTS = {"time_zone": "UTC", "quiet_hours": {"start": "21:00", "end": "09:00"}}


@pytest.fixture
def loyalty(gateway: httpx.AsyncClient, fresh_database: str) -> Iterator[LoyaltyService]:
    """The loyalty service on the gateway's database, as its scheduler reads it."""
    yield from service_on(LoyaltyService, fresh_database, SCHEMA)


async def change(gateway: httpx.AsyncClient, tenant: TenantCaller, **changes: Any) -> Any:
    response = await gateway.patch(SETTINGS, json=changes, headers=tenant.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_new_tenant_is_in_utc_and_quiet_from_nine_at_night_to_nine_in_the_morning(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    assert await get(gateway, anna, SETTINGS) == DEFAULTS


async def test_changing_one_field_leaves_the_other_and_the_clock_reads_them(
    gateway: httpx.AsyncClient, anna: TenantCaller, loyalty: LoyaltyService
) -> None:
    auckland = await change(gateway, anna, time_zone="Pacific/Auckland")
    assert auckland == DEFAULTS | {"time_zone": "Pacific/Auckland"}

    hours = {"start": "22:30", "end": "07:00"}
    assert await change(gateway, anna, quiet_hours=hours) == {
        "time_zone": "Pacific/Auckland",
        "quiet_hours": hours,
    }
    assert await change(gateway, anna) == await get(gateway, anna, SETTINGS)  # nothing sent
    assert loyalty.tenants_time_settings()[anna.tenant_id] == TimeSettings(
        "Pacific/Auckland", QuietHours(time(22, 30), time(7))
    )


async def test_quiet_hours_can_be_turned_off_and_on_again(
    gateway: httpx.AsyncClient, anna: TenantCaller, loyalty: LoyaltyService
) -> None:
    assert await change(gateway, anna, quiet_hours=None) == {
        "time_zone": "UTC",
        "quiet_hours": None,
    }
    assert loyalty.tenants_time_settings()[anna.tenant_id].quiet_hours is None

    siesta = {"start": "13:00", "end": "15:00"}
    assert (await change(gateway, anna, quiet_hours=siesta))["quiet_hours"] == siesta


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        # What the loyalty domain refuses, in its own words.
        (
            {"time_zone": "Mars/Base"},
            "time_zone must be an IANA time zone such as Europe/London (got 'Mars/Base').",
        ),
        ({"time_zone": "europe/london"}, "(got 'europe/london')"),
        ({"time_zone": ""}, "(got '')"),
        (
            {"quiet_hours": {"start": "25:00", "end": "09:00"}},
            "quiet_hours.start must be a local time as HH:MM, such as 21:00 (got '25:00').",
        ),
        ({"quiet_hours": {"start": "21:00", "end": "9am"}}, "quiet_hours.end must be a local"),
        (
            {"quiet_hours": {"start": "21:00", "end": "21:00"}},
            "quiet_hours must start and end at different times (got 21:00 to 21:00); send null "
            "for no quiet hours.",
        ),
        # What the request's shape refuses, naming the field.
        ({"time_zone": None}, "time_zone cannot be null: leave it out to keep it as it is."),
        ({"time_zone": "A/" + "b" * 80}, "time_zone: String should have at most 64 characters"),
        ({"quiet_hours": {"start": "21:00"}}, "quiet_hours.end: Field required"),
        ({"quiet_hours": "21:00-09:00"}, "quiet_hours: Input should be an object"),
        ({"time_zone": 1}, "time_zone: Input should be a valid string"),
        ({"locale": "en-GB"}, "locale: Extra inputs are not permitted"),
    ],
)
async def test_a_change_that_breaks_a_rule_is_refused_naming_the_fix_and_changes_nothing(
    gateway: httpx.AsyncClient, anna: TenantCaller, changes: dict[str, Any], named: str
) -> None:
    response = await gateway.patch(SETTINGS, json=changes, headers=anna.headers)

    assert response.status_code == 422, response.text
    assert named in response.json()["detail"]
    assert await get(gateway, anna, SETTINGS) == DEFAULTS


async def test_every_problem_is_named_at_once(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    response = await gateway.patch(
        SETTINGS,
        json={"time_zone": "Mars/Base", "quiet_hours": {"start": "9pm", "end": "09:00"}},
        headers=anna.headers,
    )

    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert "time_zone must be an IANA time zone" in detail
    assert "quiet_hours.start must be a local time" in detail


async def test_a_tenant_never_sees_nor_changes_another_tenants_settings(
    gateway: httpx.AsyncClient, anna: TenantCaller, brook: TenantCaller
) -> None:
    await change(gateway, brook, time_zone="America/New_York", quiet_hours=None)

    assert await get(gateway, anna, SETTINGS) == DEFAULTS
    assert await get(gateway, brook, SETTINGS) == {
        "time_zone": "America/New_York",
        "quiet_hours": None,
    }


@pytest.mark.parametrize("method", ["GET", "PATCH"])
@pytest.mark.parametrize("api_key", [None, "sc_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"])
async def test_the_settings_need_the_tenants_key(
    gateway: httpx.AsyncClient, anna: TenantCaller, method: str, api_key: str | None
) -> None:
    headers = {} if api_key is None else {"Authorization": f"Bearer {api_key}"}

    response = await gateway.request(
        method, SETTINGS, json={"time_zone": "Europe/London"}, headers=headers
    )

    assert response.status_code == 401
    assert await get(gateway, anna, SETTINGS) == DEFAULTS


async def register(gateway: httpx.AsyncClient, **body: Any) -> httpx.Response:
    return await gateway.post(
        "/v1/operator/tenants", json=body, headers={"Authorization": f"Bearer {ADMIN_KEY}"}
    )


async def test_the_operator_can_register_a_tenant_in_its_time_zone(
    gateway: httpx.AsyncClient,
) -> None:
    created = await register(gateway, name="Harbour Clinic", time_zone="America/New_York")
    assert created.status_code == 201, created.text
    tenant = TenantCaller(created.json()["tenant"]["tenant_id"], created.json()["api_key"])

    assert await get(gateway, tenant, SETTINGS) == DEFAULTS | {"time_zone": "America/New_York"}


async def test_a_tenant_is_not_registered_in_a_zone_that_is_no_place(
    gateway: httpx.AsyncClient,
) -> None:
    refused = await register(gateway, name="Harbour Clinic", time_zone="Mars/Base")

    assert refused.status_code == 422, refused.text
    assert "time_zone must be an IANA time zone" in refused.json()["detail"]
    created = await register(gateway, name="Harbour Clinic")
    assert created.status_code == 201, created.text  # nothing was made the first time
