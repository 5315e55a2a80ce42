"""The most-loyal list and the stars pill, from completed appointments on Kafka to HTTP."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from starcard_events import examples

from tests.integration.gateway.conftest import TenantCaller
from tests.support.stack import LoyaltyStack, loyalty_stack

pytestmark = pytest.mark.integration

START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
async def stack(
    gateway: httpx.AsyncClient, fresh_database: str, kafka_bootstrap: str, topic_prefix: str
) -> AsyncIterator[LoyaltyStack]:
    async with loyalty_stack(fresh_database, kafka_bootstrap, topic_prefix) as running:
        yield running


def visits(tenant: TenantCaller, client: str, count: int) -> list[dict[str, Any]]:
    return [
        examples.appointment_completed(
            tenant.tenant_id,
            START + timedelta(days=7 * n),
            booking_id=f"{client}-b{n}",
            client_id=client,
        )
        for n in range(count)
    ]


async def eventually(check: Callable[[], Awaitable[None]], *, within: float = 30.0) -> None:
    """Await ``check`` until it passes (the pipeline is asynchronous); re-raise its last failure."""
    deadline = time.monotonic() + within
    while True:
        try:
            return await check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
        await asyncio.sleep(0.1)


async def get(gateway: httpx.AsyncClient, tenant: TenantCaller, path: str, **params: int) -> Any:
    response = await gateway.get(path, params=params, headers=tenant.headers)
    assert response.status_code == 200, response.text
    return response.json()


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

    await eventually(paged)


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
            }

        return check

    await eventually(pill_is(False))
    added = await gateway.post(
        "/v1/loyalty/milestones",
        json={"session_count": 5, "message": "Thanks"},
        headers=anna.headers,
    )
    await eventually(pill_is(True))
    await gateway.patch(
        f"/v1/loyalty/milestones/{added.json()['milestone_id']}",
        json={"active": False},
        headers=anna.headers,
    )
    await eventually(pill_is(False))


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

    await eventually(projected)
    listed = await get(gateway, anna, "/v1/loyalty/clients")
    found = await gateway.get("/v1/loyalty/clients/dee", headers=anna.headers)

    assert listed == {"data": [], "count": 0}
    assert found.status_code == 404


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 201}, {"offset": -1}])
async def test_a_page_out_of_range_is_refused_naming_the_parameter(
    gateway: httpx.AsyncClient, anna: TenantCaller, params: dict[str, int]
) -> None:
    response = await gateway.get("/v1/loyalty/clients", params=params, headers=anna.headers)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", *params]
