"""A studio's attendance counting settings and automations through the HTTP API; who may call."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.gateway.conftest import refused_field
from tests.support.gateway import TenantCaller

pytestmark = pytest.mark.integration

TENTH = {"count": 10, "message": "10 classes! Thank you.", "discount_percent": 15, "tag": "ten"}
FIFTIETH = {"count": 50, "tag": "fifty club"}
ALL_KINDS = ["group_class", "appointment", "video"]


async def add(gateway: httpx.AsyncClient, tenant: TenantCaller, body: dict[str, Any]) -> Any:
    response = await gateway.post(
        "/v1/loyalty/attendance-milestones", json=body, headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def listed(gateway: httpx.AsyncClient, tenant: TenantCaller) -> Any:
    response = await gateway.get("/v1/loyalty/attendance-milestones", headers=tenant.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_new_studio_counts_every_booking_of_every_kind(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    response = await gateway.get("/v1/loyalty/settings/attendance", headers=anna.headers)

    assert response.json() == {"source": "bookings", "kinds": ALL_KINDS}


async def test_the_counting_settings_are_changed_and_read_back(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    body = {"source": "check_ins", "kinds": ["video", "group_class", "video"]}

    changed = await gateway.put("/v1/loyalty/settings/attendance", json=body, headers=anna.headers)
    read = await gateway.get("/v1/loyalty/settings/attendance", headers=anna.headers)

    expected = {"source": "check_ins", "kinds": ["group_class", "video"]}
    assert (changed.status_code, changed.json()) == (200, expected)
    assert read.json() == expected


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"source": "check_ins", "kinds": []}, "at least one kind"),
        ({"source": "check_ins", "kinds": ["yoga"]}, "'appointment', 'group_class' or 'video'"),
        ({"source": "attendance", "kinds": ["video"]}, "'bookings' or 'check_ins'"),
    ],
)
async def test_settings_that_cannot_count_are_refused_saying_what_to_choose(
    gateway: httpx.AsyncClient, anna: TenantCaller, body: dict[str, Any], says: str
) -> None:
    response = await gateway.put("/v1/loyalty/settings/attendance", json=body, headers=anna.headers)

    assert response.status_code == 422
    assert says in response.text


async def test_an_added_automation_is_active_and_listed_lowest_count_first(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    fiftieth = await add(gateway, anna, FIFTIETH)
    tenth = await add(gateway, anna, TENTH)

    assert tenth == {**TENTH, "milestone_id": tenth["milestone_id"], "active": True}
    assert fiftieth == {
        **FIFTIETH,
        "milestone_id": fiftieth["milestone_id"],
        "message": None,
        "discount_percent": None,
        "active": True,
    }
    assert await listed(gateway, anna) == {"data": [tenth, fiftieth], "count": 2}


async def test_an_automation_is_edited_toggled_and_deleted(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    tenth = await add(gateway, anna, TENTH)
    path = f"/v1/loyalty/attendance-milestones/{tenth['milestone_id']}"

    off = await gateway.patch(path, json={"active": False}, headers=anna.headers)
    edited = await gateway.put(path, json={"count": 12, "tag": "twelve"}, headers=anna.headers)

    assert off.json()["active"] is False
    assert edited.json() == {
        "milestone_id": tenth["milestone_id"],
        "count": 12,
        "message": None,
        "discount_percent": None,
        "tag": "twelve",
        "active": False,
    }
    deleted = await gateway.delete(path, headers=anna.headers)
    again = await gateway.delete(path, headers=anna.headers)
    assert deleted.status_code == 204
    assert again.status_code == 404
    assert tenth["milestone_id"] in again.json()["detail"]
    assert await listed(gateway, anna) == {"data": [], "count": 0}


async def test_a_second_automation_at_the_same_count_is_refused_naming_the_first(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    tenth = await add(gateway, anna, TENTH)

    response = await gateway.post(
        "/v1/loyalty/attendance-milestones", json={"count": 10, "tag": "x"}, headers=anna.headers
    )

    assert response.status_code == 409
    assert tenth["milestone_id"] in response.json()["detail"]
    assert "pick another count" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"count": 10}, "needs an email message, a reward or a tag"),
        ({"count": 10, "discount_percent": 10}, "write the message too"),
        ({"count": 10, "tag": "Ten Classes!"}, "lowercase letters"),
        ({"count": 10, "message": "   "}, "must not be blank"),
        ({"count": 0, "tag": "zero"}, "greater than or equal to 1"),
        ({"count": 10, "tag": "ten", "active": False}, "Extra inputs are not permitted"),
    ],
)
async def test_an_automation_that_could_not_fire_sensibly_is_refused_saying_what_to_fix(
    gateway: httpx.AsyncClient, anna: TenantCaller, body: dict[str, Any], says: str
) -> None:
    response = await gateway.post(
        "/v1/loyalty/attendance-milestones", json=body, headers=anna.headers
    )

    assert response.status_code == 422
    assert says in response.text
    assert await listed(gateway, anna) == {"data": [], "count": 0}


async def test_the_original_count_is_refused_out_of_range(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    response = await gateway.put(
        "/v1/loyalty/clients/ada/original-count", json={"count": -1}, headers=anna.headers
    )

    assert refused_field(response) == "count"


async def test_a_studio_never_sees_nor_changes_another_studios_settings_or_automations(
    gateway: httpx.AsyncClient, anna: TenantCaller, brook: TenantCaller
) -> None:
    brooks = await add(gateway, brook, TENTH)
    await gateway.put(
        "/v1/loyalty/settings/attendance",
        json={"source": "check_ins", "kinds": ["video"]},
        headers=brook.headers,
    )
    path = f"/v1/loyalty/attendance-milestones/{brooks['milestone_id']}"

    edited = await gateway.put(path, json={"count": 3, "tag": "mine"}, headers=anna.headers)
    toggled = await gateway.patch(path, json={"active": False}, headers=anna.headers)
    deleted = await gateway.delete(path, headers=anna.headers)
    annas_settings = await gateway.get("/v1/loyalty/settings/attendance", headers=anna.headers)

    assert [edited.status_code, toggled.status_code, deleted.status_code] == [404, 404, 404]
    assert await listed(gateway, anna) == {"data": [], "count": 0}
    assert await listed(gateway, brook) == {"data": [brooks], "count": 1}
    assert annas_settings.json() == {"source": "bookings", "kinds": ALL_KINDS}


ROUTES = [
    ("GET", "/v1/loyalty/settings/attendance", None),
    ("PUT", "/v1/loyalty/settings/attendance", {"source": "bookings", "kinds": ["video"]}),
    ("GET", "/v1/loyalty/attendance-milestones", None),
    ("POST", "/v1/loyalty/attendance-milestones", TENTH),
    ("PUT", "/v1/loyalty/attendance-milestones/m1", TENTH),
    ("PATCH", "/v1/loyalty/attendance-milestones/m1", {"active": False}),
    ("DELETE", "/v1/loyalty/attendance-milestones/m1", None),
    ("PUT", "/v1/loyalty/clients/ada/original-count", {"count": 49}),
    ("GET", "/v1/loyalty/clients/ada/attendance?booking_id=b1", None),
    ("GET", "/v1/loyalty/tags", None),
    ("GET", "/v1/loyalty/segments/ten", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
@pytest.mark.parametrize(
    "api_key", [None, "sc_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"]
)
async def test_every_attendance_route_needs_a_valid_key(
    gateway: httpx.AsyncClient,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    api_key: str | None,
) -> None:
    headers = {} if api_key is None else {"Authorization": f"Bearer {api_key}"}

    response = await gateway.request(method, path, json=body, headers=headers)

    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_every_attendance_route_and_field_is_documented(gateway: httpx.AsyncClient) -> None:
    spec = (await gateway.get("/openapi.json")).json()

    for method, path, _ in ROUTES:
        templated = path.split("?")[0].replace("/m1", "/{milestone_id}")
        templated = templated.replace("/ada/", "/{client_id}/").replace("/ten", "/{tag}")
        operation = spec["paths"][templated][method.lower()]
        assert operation["summary"], templated
        assert "401" in operation["responses"], templated
    for name, schema in spec["components"]["schemas"].items():
        if name.startswith(("Attendance", "CheckInCount", "Segment", "Tag", "OriginalCount")):
            for field, described in schema["properties"].items():
                assert described.get("description"), f"{name}.{field}"
