"""The gateway on a fresh database, driven in-process over HTTP, and tenants to call it as."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from starcard_gateway.app import create_app
from starcard_gateway.settings import GatewaySettings

ADMIN_KEY = "operator-test-key"


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
