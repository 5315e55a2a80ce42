"""Numbers and texts enter bounded and typed: an out-of-range or wrongly typed value is a 422
naming the field, and nothing is recorded for it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starcard_loyalty.app import SCHEMA as LOYALTY_SCHEMA
from starcard_loyalty.application import LoyaltyService

from tests.integration.gateway.conftest import get, refused_field, service_on
from tests.support.gateway import TenantCaller

pytestmark = pytest.mark.integration

FIFTH = {"session_count": 5, "message": "Thank you for your 5th visit!"}
HUGE = 109839338902283546211123200


@pytest.fixture
def loyalty(gateway: httpx.AsyncClient, fresh_database: str) -> Iterator[LoyaltyService]:
    """The loyalty service on the gateway's database, to read its event store."""
    yield from service_on(LoyaltyService, fresh_database, LOYALTY_SCHEMA)


def events_stored(loyalty: LoyaltyService) -> int:
    latest: int | None = loyalty.recorder.max_notification_id()
    return latest or 0


@pytest.mark.parametrize("session_count", [HUGE, 719573745397320, 100_001])
async def test_a_milestone_at_an_unreachable_session_is_refused_and_nothing_is_recorded(
    gateway: httpx.AsyncClient, anna: TenantCaller, loyalty: LoyaltyService, session_count: int
) -> None:
    before = events_stored(loyalty)

    response = await gateway.post(
        "/v1/loyalty/milestones",
        json={**FIFTH, "session_count": session_count},
        headers=anna.headers,
    )

    assert refused_field(response) == "session_count"
    assert "100000" in response.json()["detail"]
    assert (await get(gateway, anna, "/v1/loyalty/milestones"))["count"] == 0
    assert events_stored(loyalty) == before


async def test_an_edit_to_an_unreachable_session_is_refused_and_the_milestone_kept(
    gateway: httpx.AsyncClient, anna: TenantCaller, loyalty: LoyaltyService
) -> None:
    added = await gateway.post("/v1/loyalty/milestones", json=FIFTH, headers=anna.headers)
    milestone_id = added.json()["milestone_id"]
    before = events_stored(loyalty)

    response = await gateway.put(
        f"/v1/loyalty/milestones/{milestone_id}",
        json={**FIFTH, "session_count": HUGE, "min_minutes": 10**12},
        headers=anna.headers,
    )

    assert response.status_code == 422
    assert "session_count" in response.json()["detail"]
    assert "min_minutes" in response.json()["detail"]
    [kept] = (await get(gateway, anna, "/v1/loyalty/milestones"))["data"]
    assert kept["session_count"] == 5
    assert events_stored(loyalty) == before


@pytest.mark.parametrize("enabled", ["yes", 1, "true", None])
async def test_a_toggle_that_is_not_a_json_boolean_is_refused_naming_the_field(
    gateway: httpx.AsyncClient, anna: TenantCaller, enabled: Any
) -> None:
    response = await gateway.put(
        "/v1/loyalty/settings/count-discounted-sessions",
        json={"enabled": enabled},
        headers=anna.headers,
    )

    assert refused_field(response) == "enabled"
    settings = await get(gateway, anna, "/v1/loyalty/settings")
    assert settings["count_discounted_sessions"] is False


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/loyalty/milestones", {**FIFTH, "session_count": "5"}, "session_count"),
        ("/v1/loyalty/milestones", {**FIFTH, "session_count": 5.0}, "session_count"),
        ("/v1/loyalty/milestones", {**FIFTH, "discount_percent": "10"}, "discount_percent"),
        ("/v1/loyalty/milestones", {**FIFTH, "message": 5}, "message"),
        ("/v1/loyalty/attendance-milestones", {"count": "10", "tag": "ten"}, "count"),
        ("/v1/portal/tokens", {"client_id": "ada", "ttl_minutes": "60"}, "ttl_minutes"),
        ("/v1/portal/tokens", {"client_id": 42}, "client_id"),
    ],
)
async def test_a_wrongly_typed_value_is_refused_not_coerced(
    gateway: httpx.AsyncClient, anna: TenantCaller, path: str, body: dict[str, Any], field: str
) -> None:
    response = await gateway.post(path, json=body, headers=anna.headers)

    assert refused_field(response) == field


async def test_a_wrong_type_is_refused_only_once_the_key_is_checked(
    gateway: httpx.AsyncClient,
) -> None:
    response = await gateway.put(
        "/v1/loyalty/settings/count-discounted-sessions", json={"enabled": "yes"}
    )

    assert response.status_code == 401


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v1/loyalty/clients", {"offset": 10**30}, "query parameter offset"),
        ("/v1/loyalty/clients", {"limit": 10**30}, "query parameter limit"),
        ("/v1/loyalty/clients/ada%00x/card", {}, "path parameter client_id"),
        (
            "/v1/loyalty/clients/ada/attendance",
            {"booking_id": "b\x00"},
            "query parameter booking_id",
        ),
        ("/v1/loyalty/clients", {"sort": "stars"}, "query parameter sort"),
    ],
)
async def test_an_unbounded_page_an_unknown_parameter_or_a_bad_id_is_refused_naming_it(
    gateway: httpx.AsyncClient,
    anna: TenantCaller,
    path: str,
    params: dict[str, Any],
    field: str,
) -> None:
    response = await gateway.get(path, params=params, headers=anna.headers)

    assert refused_field(response) == field


async def test_a_message_with_control_characters_is_refused(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    response = await gateway.post(
        "/v1/loyalty/milestones", json={**FIFTH, "message": "Thank\x00you"}, headers=anna.headers
    )

    assert response.status_code == 422
    assert "control characters" in response.json()["detail"]


async def test_an_amount_beyond_what_json_carries_exactly_is_refused(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    response = await gateway.post(
        "/v1/checkout/quote",
        json={
            "client_id": "ada",
            "code": "LOYAL-ZZZZ2345",
            "amount": {"amount_minor": 2**53, "currency": "GBP"},
        },
        headers=anna.headers,
    )

    assert refused_field(response) == "amount.amount_minor"


async def test_a_refused_request_is_one_documented_string_naming_the_field(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    response = await gateway.post(
        "/v1/loyalty/milestones", json={"session_count": 0}, headers=anna.headers
    )

    assert response.status_code == 422
    detail = response.json()["detail"]
    assert isinstance(detail, str)
    assert "session_count:" in detail
    assert "message: Field required" in detail
    document = (await gateway.get("/openapi.json")).json()
    responses = document["paths"]["/v1/loyalty/milestones"]["post"]["responses"]
    assert responses["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorPublic"
    }
    assert "HTTPValidationError" not in document["components"]["schemas"]


async def test_a_method_a_path_lacks_is_405_allowing_every_method_it_has(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    refused = await gateway.delete("/v1/loyalty/milestones", headers=anna.headers)
    options = await gateway.options("/v1/loyalty/milestones", headers=anna.headers)

    assert refused.status_code == 405
    assert refused.headers["allow"] == "GET, OPTIONS, POST"
    assert options.status_code == 204
    assert options.headers["allow"] == refused.headers["allow"]
