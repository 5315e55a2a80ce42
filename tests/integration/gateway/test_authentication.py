"""Who may call the gateway: a tenant's key speaks for that tenant only, and is stored hashed."""

from __future__ import annotations

import hashlib

import httpx
import psycopg
import pytest

from tests.integration.gateway.conftest import ADMIN_KEY, refused_field
from tests.support.gateway import TenantCaller

pytestmark = pytest.mark.integration

MILESTONE = {"session_count": 5, "message": "Thank you for your 5th visit!"}


async def test_a_call_without_a_key_is_refused_saying_how_to_send_one(
    gateway: httpx.AsyncClient,
) -> None:
    response = await gateway.get("/v1/loyalty/milestones")

    assert response.status_code == 401
    assert "Authorization: Bearer" in response.json()["detail"]
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "api_key",
    [
        "not-a-key",
        "sc_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ],
)
async def test_a_call_with_an_unknown_key_is_refused(
    gateway: httpx.AsyncClient, anna: TenantCaller, api_key: str
) -> None:
    response = await gateway.get(
        "/v1/loyalty/milestones", headers={"Authorization": f"Bearer {api_key}"}
    )

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid or revoked API key."}


async def test_a_key_with_the_right_id_but_a_wrong_secret_is_refused(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    key_id = anna.api_key.split("_")[1]
    forged = f"sc_{key_id}_{'A' * 43}"

    response = await gateway.get(
        "/v1/loyalty/milestones", headers={"Authorization": f"Bearer {forged}"}
    )

    assert response.status_code == 401


async def test_a_tenant_never_sees_nor_changes_another_tenants_milestones(
    gateway: httpx.AsyncClient, anna: TenantCaller, brook: TenantCaller
) -> None:
    added = await gateway.post("/v1/loyalty/milestones", json=MILESTONE, headers=brook.headers)
    brooks = added.json()["milestone_id"]
    path = f"/v1/loyalty/milestones/{brooks}"

    listed = await gateway.get("/v1/loyalty/milestones", headers=anna.headers)
    edited = await gateway.put(
        path, json={**MILESTONE, "message": "hijacked"}, headers=anna.headers
    )
    toggled = await gateway.patch(path, json={"active": False}, headers=anna.headers)
    deleted = await gateway.delete(path, headers=anna.headers)

    assert listed.json() == {"data": [], "count": 0}
    assert [edited.status_code, toggled.status_code, deleted.status_code] == [404, 404, 404]
    untouched = await gateway.get("/v1/loyalty/milestones", headers=brook.headers)
    assert untouched.json()["data"] == [added.json()]


async def test_the_tenant_comes_from_the_key_not_from_the_body(
    gateway: httpx.AsyncClient, anna: TenantCaller, brook: TenantCaller
) -> None:
    response = await gateway.post(
        "/v1/loyalty/milestones",
        json={**MILESTONE, "tenant_id": brook.tenant_id},
        headers=anna.headers,
    )

    assert refused_field(response) == "tenant_id"


async def test_an_issued_key_is_stored_only_as_the_hash_of_its_secret(
    gateway: httpx.AsyncClient, anna: TenantCaller, fresh_database: str
) -> None:
    with psycopg.connect(fresh_database) as conn:
        rows = conn.execute(
            "SELECT key_id, tenant_id, secret_hash FROM gateway.api_keys"
        ).fetchall()
        dump = conn.execute("SELECT string_agg(t::text, ' ') FROM gateway.api_keys t").fetchone()

    _, key_id, secret = anna.api_key.split("_", 2)
    assert rows == [(key_id, anna.tenant_id, hashlib.sha256(secret.encode()).hexdigest())]
    assert dump is not None
    assert secret not in dump[0]
    assert anna.api_key not in dump[0]


async def test_a_second_key_works_alongside_the_first(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    issued = await gateway.post(
        f"/v1/operator/tenants/{anna.tenant_id}/keys",
        headers={"Authorization": f"Bearer {ADMIN_KEY}"},
    )
    second = TenantCaller(anna.tenant_id, issued.json()["api_key"])

    for caller in (anna, second):
        response = await gateway.get("/v1/loyalty/settings", headers=caller.headers)
        assert response.status_code == 200


async def test_operator_routes_refuse_a_tenants_key(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    response = await gateway.get("/v1/operator/tenants", headers=anna.headers)

    assert response.status_code == 401
