"""Health, readiness, metrics, and the operator's tenant routes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starcard_gateway.app import create_app
from starcard_runtime.settings import RuntimeSettings

from tests.integration.gateway.conftest import ADMIN_KEY, register
from tests.support.gateway import TenantCaller, served

pytestmark = pytest.mark.integration

OPERATOR = {"Authorization": f"Bearer {ADMIN_KEY}"}


async def test_the_gateway_is_alive_but_not_ready_while_no_projections_process_follows(
    gateway: httpx.AsyncClient,
) -> None:
    alive = await gateway.get("/healthz")
    ready = await gateway.get("/readyz")

    assert (alive.status_code, alive.json()) == (200, {"status": "ok"})
    assert ready.status_code == 503
    assert "is not being followed" in ready.json()["detail"]


async def test_metrics_count_requests_by_route_template_not_by_path(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    for milestone_id in ("one", "two"):
        await gateway.delete(f"/v1/loyalty/milestones/{milestone_id}", headers=anna.headers)
    await gateway.get("/no/such/path")

    metrics = (await gateway.get("/metrics")).text

    assert (
        'starcard_gateway_requests_total{method="DELETE",'
        'route="/v1/loyalty/milestones/{milestone_id}",status="404"} 2.0'
    ) in metrics
    assert 'route="<unmatched>",status="404"' in metrics
    assert "starcard_gateway_request_duration_seconds_bucket" in metrics


async def test_the_openapi_document_describes_the_loyalty_routes(
    gateway: httpx.AsyncClient,
) -> None:
    document = (await gateway.get("/openapi.json")).json()

    assert document["info"]["title"] == "Starcard"
    assert "/v1/loyalty/milestones/{milestone_id}" in document["paths"]
    assert "TenantKey" in document["components"]["securitySchemes"]


async def test_an_operator_registers_tenants_and_lists_them(gateway: httpx.AsyncClient) -> None:
    created = await gateway.post(
        "/v1/operator/tenants", json={"name": "Brook Spa", "tenant_id": "brook"}, headers=OPERATOR
    )
    listed = await gateway.get("/v1/operator/tenants", headers=OPERATOR)

    assert created.status_code == 201
    assert created.json()["api_key"].startswith("sc_")
    assert [t["tenant_id"] for t in listed.json()["data"]] == ["brook"]


async def test_a_taken_tenant_id_is_a_conflict(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    response = await gateway.post(
        "/v1/operator/tenants",
        json={"name": "Anna Again", "tenant_id": anna.tenant_id},
        headers=OPERATOR,
    )

    assert response.status_code == 409
    assert anna.tenant_id in response.json()["detail"]


async def test_a_tenant_id_that_could_not_key_a_record_is_refused(
    gateway: httpx.AsyncClient,
) -> None:
    response = await gateway.post(
        "/v1/operator/tenants", json={"name": "Anna", "tenant_id": "anna:spa"}, headers=OPERATOR
    )

    assert response.status_code == 422
    assert "lowercase letters" in response.json()["detail"]


async def test_a_key_for_an_unknown_tenant_is_not_issued(gateway: httpx.AsyncClient) -> None:
    response = await gateway.post("/v1/operator/tenants/nobody/keys", headers=OPERATOR)

    assert response.status_code == 404


async def test_operator_routes_need_the_admin_key(gateway: httpx.AsyncClient) -> None:
    wrong = await gateway.get("/v1/operator/tenants", headers={"Authorization": "Bearer nope"})
    missing = await gateway.get("/v1/operator/tenants")

    assert wrong.status_code == missing.status_code == 401


@pytest.fixture
async def gateway_without_admin_key(
    fresh_database: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    monkeypatch.delenv("STARCARD_ADMIN_KEY", raising=False)
    app = create_app(RuntimeSettings(DATABASE_URL=fresh_database))
    async with served(app) as client:
        yield client


async def test_operator_routes_are_off_while_no_admin_key_is_set(
    gateway_without_admin_key: httpx.AsyncClient,
) -> None:
    response = await gateway_without_admin_key.get(
        "/v1/operator/tenants", headers={"Authorization": "Bearer anything"}
    )

    assert response.status_code == 403
    assert "STARCARD_ADMIN_KEY" in response.json()["detail"]


async def test_tenants_registered_through_the_api_can_call_it(gateway: httpx.AsyncClient) -> None:
    caller = await register(gateway, "Cleo Clinic")

    response = await gateway.get("/v1/loyalty/settings", headers=caller.headers)

    assert caller.tenant_id == "cleo-clinic"
    assert response.status_code == 200
