"""The most-loyal list and the stars pill, from completed appointments on Kafka to HTTP."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest

from tests.integration.gateway.conftest import get, refused_field, visits
from tests.support.gateway import TenantCaller
from tests.support.stack import LoyaltyStack, until

pytestmark = pytest.mark.integration


async def test_clients_are_listed_most_loyal_first_a_page_at_a_time(
    gateway: httpx.AsyncClient, stack: LoyaltyStack, anna: TenantCaller, brook: TenantCaller
) -> None:
    await stack.publish(
        *visits(anna, "ada", 1),
        *visits(anna, "bo", 3),
        *visits(anna, "cy", 2),
        *visits(brook, "dee", 5),
    )

    async def paged() -> None:
        first = await get(gateway, anna, "/v1/loyalty/clients", limit=2, offset=0)
        second = await get(gateway, anna, "/v1/loyalty/clients", limit=2, offset=2)
        assert [(c["client_id"], c["stars"], c["sessions"]) for c in first["data"]] == [
            ("bo", 3, 3),
            ("cy", 2, 2),
        ]
        assert [c["client_id"] for c in second["data"]] == ["ada"]
        assert first["count"] == second["count"] == 3

    await until(paged)


async def test_the_stars_pill_shows_only_while_the_tenant_has_an_active_milestone(
    gateway: httpx.AsyncClient, stack: LoyaltyStack, anna: TenantCaller
) -> None:
    await stack.publish(*visits(anna, "ada", 2))

    def pill_is(shown: bool) -> Callable[[], Awaitable[None]]:
        async def check() -> None:
            assert await get(gateway, anna, "/v1/loyalty/clients/ada") == {
                "client_id": "ada",
                "sessions": 2,
                "stars": 2,
                "show_stars_pill": shown,
                "attendance": {"total": 2, "original": 0, "counted": 2, "milestones_reached": []},
                "tags": [],
            }

        return check

    await until(pill_is(False))
    added = await gateway.post(
        "/v1/loyalty/milestones",
        json={"session_count": 5, "message": "Thanks"},
        headers=anna.headers,
    )
    await until(pill_is(True))
    await gateway.patch(
        f"/v1/loyalty/milestones/{added.json()['milestone_id']}",
        json={"active": False},
        headers=anna.headers,
    )
    await until(pill_is(False))


async def test_a_client_with_no_visits_is_not_found(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    response = await gateway.get("/v1/loyalty/clients/nobody", headers=anna.headers)

    assert response.status_code == 404
    assert "nobody" in response.json()["detail"]


async def test_another_tenants_client_is_neither_listed_nor_found(
    gateway: httpx.AsyncClient, stack: LoyaltyStack, anna: TenantCaller, brook: TenantCaller
) -> None:
    await stack.publish(*visits(brook, "dee", 1))

    async def projected() -> None:
        assert (await get(gateway, brook, "/v1/loyalty/clients"))["count"] == 1

    await until(projected)
    listed = await get(gateway, anna, "/v1/loyalty/clients")
    found = await gateway.get("/v1/loyalty/clients/dee", headers=anna.headers)

    assert listed == {"data": [], "count": 0}
    assert found.status_code == 404


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 201}, {"offset": -1}])
async def test_a_page_out_of_range_is_refused_naming_the_parameter(
    gateway: httpx.AsyncClient, anna: TenantCaller, params: dict[str, int]
) -> None:
    response = await gateway.get("/v1/loyalty/clients", params=params, headers=anna.headers)

    assert refused_field(response) == f"query parameter {next(iter(params))}"
