"""The gateway on a fresh database, driven in-process over HTTP, tenants to call it as, and the
loyalty pipeline (``stack``) feeding its read models."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from starcard_events import examples
from starcard_gateway.app import create_app
from starcard_gateway.settings import GatewaySettings

from tests.support.stack import LoyaltyStack, loyalty_stack

ADMIN_KEY = "operator-test-key"
# Relative to today: the card and checkout judge codes (valid 12 months) against the real clock.
START = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(days=120)


@dataclass(frozen=True)
class TenantCaller:
    tenant_id: str
    api_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


@pytest.fixture
async def gateway(fresh_database: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(GatewaySettings(DATABASE_URL=fresh_database, STARCARD_ADMIN_KEY=ADMIN_KEY))
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://gateway") as client,
    ):
        yield client


async def register(gateway: httpx.AsyncClient, name: str) -> TenantCaller:
    response = await gateway.post(
        "/v1/operator/tenants",
        json={"name": name},
        headers={"Authorization": f"Bearer {ADMIN_KEY}"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return TenantCaller(body["tenant"]["tenant_id"], body["api_key"])


@pytest.fixture
async def anna(gateway: httpx.AsyncClient) -> TenantCaller:
    return await register(gateway, "Anna Massage")


@pytest.fixture
async def brook(gateway: httpx.AsyncClient) -> TenantCaller:
    return await register(gateway, "Brook Spa")


@pytest.fixture
async def stack(
    gateway: httpx.AsyncClient, fresh_database: str, kafka_bootstrap: str, topic_prefix: str
) -> AsyncIterator[LoyaltyStack]:
    """The loyalty service consuming the test's topics and the projections following it."""
    async with loyalty_stack(fresh_database, kafka_bootstrap, topic_prefix) as running:
        yield running


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


def visits(
    tenant: TenantCaller,
    client: str,
    count: int,
    *,
    first: int = 0,
    start: datetime = START,
    **details: Any,
) -> list[dict[str, Any]]:
    """``count`` weekly completions of the client (bookings ``<client>-b<first>``...), full price
    and an hour long unless ``details`` say otherwise."""
    return [
        examples.appointment_completed(
            tenant.tenant_id,
            start + timedelta(days=7 * n),
            booking_id=f"{client}-b{n}",
            client_id=client,
            **details,
        )
        for n in range(first, first + count)
    ]


async def add_milestone(
    gateway: httpx.AsyncClient, tenant: TenantCaller, body: dict[str, Any]
) -> str:
    response = await gateway.post("/v1/loyalty/milestones", json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    milestone_id: str = response.json()["milestone_id"]
    return milestone_id


async def card(gateway: httpx.AsyncClient, tenant: TenantCaller, client: str) -> Any:
    """The client's loyalty card, as the tenant's dashboard reads it."""
    return await get(gateway, tenant, f"/v1/loyalty/clients/{client}/card")
