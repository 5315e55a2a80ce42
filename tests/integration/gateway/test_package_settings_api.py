"""The package settings over HTTP: the catalogue, the refund policy and the expiry reminder,
replaced whole or one package at a time, refused with every problem named, refused when made
against settings someone has changed since, and each tenant's own."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.gateway.conftest import get, refused_field
from tests.support.gateway import TenantCaller

pytestmark = pytest.mark.integration

SETTINGS = "/v1/settings/packages"
FACIALS = {
    "package_id": "facial-x3",
    "name": "Three facials",
    "categories": ["facials"],
    "sessions": 3,
    "price_minor": 27_000,
    "single_session_price_minor": 10_000,
    "validity_days": 180,
}
MASSAGES = {
    "package_id": "massage-x10",
    "name": "Ten massages",
    "service_ids": ["deep-tissue-60", "swedish-60"],
    "sessions": 10,
    "price_minor": 60_000,
    "validity_days": 365,
    "valid_from": "first_use",
    "bonus_points": 500,
    "active": False,
}
CLINIC = {
    "catalogue": [FACIALS, MASSAGES],
    "refund_policy": "less_sessions_used",
    "reminder_days": 7,
    "currency": "GBP",
}


def one(package_id: str) -> str:
    return f"{SETTINGS}/catalogue/{package_id}"


async def put(gateway: httpx.AsyncClient, tenant: TenantCaller, body: dict[str, Any]) -> Any:
    response = await gateway.put(SETTINGS, json=body, headers=tenant.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def refusal(
    gateway: httpx.AsyncClient, tenant: TenantCaller, body: dict[str, Any], path: str = SETTINGS
) -> str:
    response = await gateway.put(path, json=body, headers=tenant.headers)
    assert response.status_code == 422, response.text
    detail: str = response.json()["detail"]
    return detail


async def test_a_business_sells_no_package_until_it_sets_its_catalogue(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    assert await get(gateway, anna, SETTINGS) == {
        "catalogue": [],
        "refund_policy": "pro_rata",
        "reminder_days": 14,
        "currency": "GBP",
        "version": 0,
    }


async def test_the_catalogue_is_written_and_read_back_with_each_package_s_saving(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    written = await put(gateway, anna, CLINIC)

    assert written == await get(gateway, anna, SETTINGS)
    assert (written["refund_policy"], written["reminder_days"], written["version"]) == (
        "less_sessions_used",
        7,
        1,
    )
    facials, massages = written["catalogue"]
    assert facials == {
        **FACIALS,
        "service_ids": [],
        "saving_minor": 3_000,  # three singles at £100.00 cost £300.00; the package £270.00
        "valid_from": "purchase",
        "bonus_points": None,
        "active": True,
    }
    assert massages == {
        **MASSAGES,
        "categories": [],
        "single_session_price_minor": None,
        "saving_minor": None,
    }


async def test_sending_the_same_settings_again_changes_nothing(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    await put(gateway, anna, CLINIC)

    again = await put(gateway, anna, CLINIC)

    assert again["version"] == 1


async def test_every_problem_of_the_catalogue_is_named_at_once(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    covers_nothing = {**FACIALS, "categories": []}
    dearer_than_singles = {**MASSAGES, "package_id": "m", "single_session_price_minor": 5_000}

    detail = await refusal(
        gateway, anna, {**CLINIC, "catalogue": [covers_nothing, dearer_than_singles]}
    )

    assert "Package 'facial-x3': A package must cover at least one service id or category." in (
        detail
    )
    assert "Package 'm': its price is more than 10 single sessions" in detail
    assert (await get(gateway, anna, SETTINGS))["version"] == 0  # nothing was saved


async def test_two_packages_with_one_id_are_refused(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    detail = await refusal(
        gateway, anna, {**CLINIC, "catalogue": [FACIALS, {**MASSAGES, "package_id": "facial-x3"}]}
    )

    assert detail == "Each package needs its own package_id."


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"sessions": 0}, "catalogue.0.sessions"),
        ({"price_minor": 0}, "catalogue.0.price_minor"),
        ({"validity_days": 0}, "catalogue.0.validity_days"),
        ({"valid_from": "booking"}, "catalogue.0.valid_from"),
        ({"package_id": "facial x3"}, "catalogue.0.package_id"),
        ({"name": " "}, "catalogue.0.name"),
        ({"saving_minor": 3_000}, "catalogue.0.saving_minor"),
    ],
)
async def test_a_package_field_out_of_bounds_is_refused_naming_it(
    gateway: httpx.AsyncClient, anna: TenantCaller, change: dict[str, Any], field: str
) -> None:
    response = await gateway.put(
        SETTINGS, json={**CLINIC, "catalogue": [{**FACIALS, **change}]}, headers=anna.headers
    )

    assert refused_field(response) == field


async def test_settings_changed_since_they_were_read_are_not_overwritten(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    read = await put(gateway, anna, CLINIC)
    # Someone else takes the massages off sale meanwhile.
    await put(gateway, anna, {**CLINIC, "catalogue": [FACIALS], "version": read["version"]})

    detail = await refusal(
        gateway, anna, {**CLINIC, "reminder_days": 3, "version": read["version"]}
    )

    assert "changed by someone else" in detail
    now = await get(gateway, anna, SETTINGS)
    assert ([each["package_id"] for each in now["catalogue"]], now["reminder_days"]) == (
        ["facial-x3"],
        7,
    )


async def test_one_package_is_added_replaced_and_removed_leaving_the_others_as_they_are(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    await put(gateway, anna, {**CLINIC, "catalogue": [FACIALS]})
    fields = {key: value for key, value in MASSAGES.items() if key != "package_id"}

    added = await gateway.put(one("massage-x10"), json=fields, headers=anna.headers)
    cheaper = {key: value for key, value in FACIALS.items() if key != "package_id"}
    cheaper["price_minor"] = 25_000
    replaced = await gateway.put(one("facial-x3"), json=cheaper, headers=anna.headers)

    assert (added.status_code, replaced.status_code) == (200, 200), replaced.text
    catalogue = replaced.json()["catalogue"]
    assert [(each["package_id"], each["price_minor"]) for each in catalogue] == [
        ("facial-x3", 25_000),
        ("massage-x10", 60_000),
    ]
    assert catalogue[0]["saving_minor"] == 5_000

    removed = await gateway.delete(one("facial-x3"), headers=anna.headers)

    assert removed.status_code == 200, removed.text
    assert [each["package_id"] for each in removed.json()["catalogue"]] == ["massage-x10"]
    gone = await gateway.delete(one("facial-x3"), headers=anna.headers)
    assert gone.status_code == 404
    assert gone.json()["detail"] == "No package 'facial-x3' in the catalogue."


async def test_one_package_is_refused_for_what_the_catalogue_refuses(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    fields = {key: value for key, value in FACIALS.items() if key != "package_id"}

    detail = await refusal(
        gateway, anna, {**fields, "single_session_price_minor": 8_000}, one("facial-x3")
    )

    assert detail == (
        "Package 'facial-x3': its price is more than 3 single sessions: a package sells "
        "sessions for less."
    )


async def test_each_business_has_its_own_catalogue(
    gateway: httpx.AsyncClient, anna: TenantCaller, brook: TenantCaller
) -> None:
    await put(gateway, anna, CLINIC)

    theirs = await get(gateway, brook, SETTINGS)
    gone = await gateway.delete(one("facial-x3"), headers=brook.headers)

    assert (theirs["catalogue"], theirs["version"]) == ([], 0)
    assert gone.status_code == 404
    assert len((await get(gateway, anna, SETTINGS))["catalogue"]) == 2


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", SETTINGS), ("PUT", SETTINGS), ("PUT", one("x")), ("DELETE", one("x"))],
)
async def test_the_settings_need_the_business_s_api_key(
    gateway: httpx.AsyncClient, method: str, path: str
) -> None:
    body = None if method in {"GET", "DELETE"} else CLINIC
    response = await gateway.request(method, path, json=body)

    assert response.status_code == 401
    assert "Missing API key" in response.json()["detail"]
