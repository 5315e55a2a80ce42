"""A tenant's milestones and counting toggle through the HTTP API."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.gateway.conftest import add_milestone, refused_field
from tests.support.gateway import TenantCaller

pytestmark = pytest.mark.integration

FIFTH = {"session_count": 5, "message": "Thank you for your 5th visit!"}
TENTH_LONG = {
    "session_count": 10,
    "message": "25% off your next booking",
    "discount_percent": 25,
    "min_minutes": 60,
}


async def milestones(gateway: httpx.AsyncClient, tenant: TenantCaller) -> list[dict[str, Any]]:
    response = await gateway.get("/v1/loyalty/milestones", headers=tenant.headers)
    assert response.status_code == 200
    data: list[dict[str, Any]] = response.json()["data"]
    return data


async def test_a_new_tenant_counts_full_price_sessions_only_and_has_no_milestones(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    response = await gateway.get("/v1/loyalty/settings", headers=anna.headers)

    assert response.json() == {"count_discounted_sessions": False, "milestones": []}


async def test_an_added_milestone_is_active_and_listed_at_once(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    response = await gateway.post("/v1/loyalty/milestones", json=TENTH_LONG, headers=anna.headers)

    assert response.status_code == 201
    added = response.json()
    assert added == {
        **TENTH_LONG,
        "milestone_id": added["milestone_id"],
        "min_minutes_label": "60+ min",
        "active": True,
    }
    assert await milestones(gateway, anna) == [added]


async def test_milestones_are_listed_in_the_order_clients_reach_them(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    await add_milestone(gateway, anna, TENTH_LONG)
    await add_milestone(gateway, anna, FIFTH)

    listed = await milestones(gateway, anna)

    assert [(m["session_count"], m["min_minutes_label"]) for m in listed] == [
        (5, None),
        (10, "60+ min"),
    ]


async def test_an_edited_milestone_shows_its_new_fields_and_keeps_its_id(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    milestone_id = await add_milestone(gateway, anna, FIFTH)
    edited = {"session_count": 6, "message": "Six!", "discount_percent": 10, "min_minutes": 90}

    response = await gateway.put(
        f"/v1/loyalty/milestones/{milestone_id}", json=edited, headers=anna.headers
    )

    assert response.status_code == 200
    assert response.json()["milestone_id"] == milestone_id
    settings = await gateway.get("/v1/loyalty/settings", headers=anna.headers)
    [shown] = settings.json()["milestones"]
    assert shown == {
        **edited,
        "milestone_id": milestone_id,
        "min_minutes_label": "90+ min",
        "active": True,
    }


async def test_a_milestone_can_be_toggled_inactive_and_back(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    milestone_id = await add_milestone(gateway, anna, FIFTH)
    path = f"/v1/loyalty/milestones/{milestone_id}"

    off = await gateway.patch(path, json={"active": False}, headers=anna.headers)
    listed_off = await milestones(gateway, anna)
    on = await gateway.patch(path, json={"active": True}, headers=anna.headers)

    assert off.json()["active"] is False
    assert [m["active"] for m in listed_off] == [False]
    assert on.json()["active"] is True


async def test_a_deleted_milestone_is_gone_and_cannot_be_deleted_again(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    milestone_id = await add_milestone(gateway, anna, FIFTH)
    path = f"/v1/loyalty/milestones/{milestone_id}"

    deleted = await gateway.delete(path, headers=anna.headers)
    again = await gateway.delete(path, headers=anna.headers)

    assert deleted.status_code == 204
    assert deleted.content == b""
    assert await milestones(gateway, anna) == []
    assert again.status_code == 404
    assert milestone_id in again.json()["detail"]


async def test_the_count_discounted_sessions_toggle_shows_in_the_settings_at_once(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    response = await gateway.put(
        "/v1/loyalty/settings/count-discounted-sessions",
        json={"enabled": True},
        headers=anna.headers,
    )

    assert response.json() == {"count_discounted_sessions": True}
    settings = await gateway.get("/v1/loyalty/settings", headers=anna.headers)
    assert settings.json()["count_discounted_sessions"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**FIFTH, "session_count": 0}, "session_count"),
        ({**FIFTH, "discount_percent": 101}, "discount_percent"),
        ({**FIFTH, "min_minutes": -5}, "min_minutes"),
        ({**FIFTH, "message": ""}, "message"),
        ({**FIFTH, "message": "x" * 2001}, "message"),
        ({"session_count": 5}, "message"),
    ],
)
async def test_a_malformed_milestone_is_refused_naming_the_field(
    gateway: httpx.AsyncClient, anna: TenantCaller, body: dict[str, Any], field: str
) -> None:
    response = await gateway.post("/v1/loyalty/milestones", json=body, headers=anna.headers)

    assert refused_field(response) == field
    assert ";" not in response.json()["detail"], "one problem, in the field named"
    assert await milestones(gateway, anna) == []


async def test_a_milestone_the_domain_refuses_comes_back_with_what_to_fix(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    response = await gateway.post(
        "/v1/loyalty/milestones", json={**FIFTH, "message": "   "}, headers=anna.headers
    )

    assert response.status_code == 422
    assert response.json() == {
        "detail": "The message must not be blank: write the note the client receives."
    }


async def test_a_second_milestone_at_the_same_count_and_length_is_a_conflict(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    first = await add_milestone(gateway, anna, FIFTH)

    response = await gateway.post(
        "/v1/loyalty/milestones", json={**FIFTH, "message": "Again"}, headers=anna.headers
    )

    assert response.status_code == 409
    assert first in response.json()["detail"]
    assert len(await milestones(gateway, anna)) == 1


async def test_editing_an_unknown_milestone_is_not_found(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    response = await gateway.put(
        "/v1/loyalty/milestones/no-such-id", json=FIFTH, headers=anna.headers
    )

    assert response.status_code == 404
