"""Packages over HTTP: a client's packages (sessions used and left, expiry, status, and their
visits needing attention), the tenant's visits needing attention, the outstanding liability by
package and currency, and the client's packages in their portal.

Purchases, package-paid visits and a refund go in through Kafka to the real loyalty service; the
projections follow; the test reads as the booking platform or the client's portal would.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from starcard_events import examples

from tests.integration.gateway.conftest import (
    START,
    gbp,
    get,
    portal_headers,
    refused_field,
)
from tests.support.gateway import TenantCaller
from tests.support.packages import package_visit
from tests.support.stack import LoyaltyStack, until

pytestmark = pytest.mark.integration

ATTENTION = "/v1/packages/attention"
LIABILITY = "/v1/packages/liability"
FACIAL_TRIO = examples.package_terms(
    "Facial trio", sessions=3, categories=["facials"], validity_days=60
)
"""Three facials, valid 60 days from purchase."""


def packages_of(client: str) -> str:
    return f"/v1/clients/{client}/packages"


def on(days: int) -> str:
    return (START + timedelta(days=days)).date().isoformat()


def day_text(days: int) -> str:
    """The day `days` after ``START`` as the API words it: "1 May 2026"."""
    when = (START + timedelta(days=days)).date()
    return f"{when.day} {when:%B %Y}"


def sale(
    tenant: TenantCaller, client: str, purchase: str, days: int, price_minor: int, **extra: Any
) -> dict[str, Any]:
    """A facial trio (unless `extra` gives other terms) sold `days` after ``START``."""
    extra.setdefault("terms", FACIAL_TRIO)
    return examples.package_purchased(
        tenant.tenant_id,
        START + timedelta(days=days),
        purchase_id=purchase,
        client_id=client,
        price_minor=price_minor,
        **extra,
    )


def facial(tenant: TenantCaller, client: str, booking: str, days: int) -> dict[str, Any]:
    return package_visit(
        tenant.tenant_id, START + timedelta(days=days), client_id=client, booking_id=booking
    )


def peel(tenant: TenantCaller, client: str, booking: str, days: int) -> dict[str, Any]:
    """A chemical peel paid "from a package": no facial trio covers it."""
    return package_visit(
        tenant.tenant_id,
        START + timedelta(days=days),
        client_id=client,
        booking_id=booking,
        service_name="Chemical peel",
        category="peels",
    )


@pytest.fixture
async def sold(gateway: httpx.AsyncClient, stack: LoyaltyStack, anna: TenantCaller) -> None:
    """Anna's clients: Ada bought a facial trio for £250.00 and had one facial, and a peel no
    package covers; Bo bought one and had it refunded after a facial; Cy bought one in euros;
    Dee had two peels "from a package" she never bought."""
    await stack.publish(
        sale(anna, "ada", "p-ada", 0, 25_000),
        facial(anna, "ada", "ada-f1", 7),
        peel(anna, "ada", "ada-p1", 9),
        sale(anna, "bo", "p-bo", 1, 25_000),
        facial(anna, "bo", "bo-f1", 2),
        examples.package_refunded(
            anna.tenant_id,
            START + timedelta(days=3),
            refund_id="r-bo",
            purchase_id="p-bo",
            client_id="bo",
        ),
        sale(anna, "cy", "p-cy", 2, 30_000, currency="EUR"),
        peel(anna, "dee", "dee-p1", 4),
        peel(anna, "dee", "dee-p2", 11),
    )

    async def everything_projected() -> None:
        seen = (await get(gateway, anna, ATTENTION))["count"]
        bo = await gateway.get(packages_of("bo"), headers=anna.headers)
        cy = await gateway.get(packages_of("cy"), headers=anna.headers)
        assert seen == 3
        assert bo.status_code == 200
        assert bo.json()["data"][0]["status"] == "refunded"
        assert cy.status_code == 200

    await until(everything_projected)


async def test_a_client_s_packages_show_sessions_used_and_left_expiry_and_what_needs_attention(
    gateway: httpx.AsyncClient, anna: TenantCaller, sold: None
) -> None:
    ada = await get(gateway, anna, packages_of("ada"))

    assert ada == {
        "client_id": "ada",
        "data": [
            {
                "purchase_id": "p-ada",
                "package_id": None,
                "name": "Facial trio",
                "sessions": 3,
                "used": 1,
                "left": 2,
                "closed": 0,
                "status": "active",
                "status_text": "Active",
                "text": f"2 of 3 sessions left · use them before {day_text(60)}",
                "bought_on": on(0),
                "expires_on": on(60),
                "price": gbp(25_000),
                "deferred": gbp(16_667),
                "refund": None,
            }
        ],
        "attention": [
            {
                "client_id": "ada",
                "booking_id": "ada-p1",
                "service_name": "Chemical peel",
                "on": on(9),
            }
        ],
    }
    bo = (await get(gateway, anna, packages_of("bo")))["data"][0]
    # Refunded after one of three facials: two thirds of £250.00 back, nothing owed.
    assert (bo["used"], bo["left"], bo["closed"], bo["refund"], bo["deferred"]) == (
        1,
        0,
        2,
        gbp(16_667),
        gbp(0),
    )
    assert bo["text"] == "Refunded: £166.67 for 2 unused sessions"


async def test_the_visits_needing_attention_are_listed_newest_first_a_page_at_a_time(
    gateway: httpx.AsyncClient, anna: TenantCaller, sold: None
) -> None:
    first = await get(gateway, anna, ATTENTION, limit=2)
    rest = await get(gateway, anna, ATTENTION, limit=2, offset=2)

    assert [(v["client_id"], v["booking_id"], v["on"]) for v in first["data"]] == [
        ("dee", "dee-p2", on(11)),
        ("ada", "ada-p1", on(9)),
    ]
    assert [(v["client_id"], v["booking_id"], v["on"]) for v in rest["data"]] == [
        ("dee", "dee-p1", on(4))
    ]
    assert first["count"] == rest["count"] == 3


async def test_the_liability_is_the_price_received_for_sessions_left_by_package_and_currency(
    gateway: httpx.AsyncClient, anna: TenantCaller, sold: None
) -> None:
    owed = await get(gateway, anna, LIABILITY)

    # Ada's trio: 2 of 3 sessions of £250.00 (£166.67); Bo's refunded trio owes nothing; Cy's
    # euro trio is whole.
    assert owed == {
        "data": [
            {
                "package_id": None,
                "name": "Facial trio",
                "packages": 1,
                "sessions_left": 3,
                "deferred": {"amount_minor": 30_000, "currency": "EUR"},
            },
            {
                "package_id": None,
                "name": "Facial trio",
                "packages": 1,
                "sessions_left": 2,
                "deferred": gbp(16_667),
            },
        ],
        "totals": [
            {
                "packages": 1,
                "sessions_left": 3,
                "deferred": {"amount_minor": 30_000, "currency": "EUR"},
            },
            {"packages": 1, "sessions_left": 2, "deferred": gbp(16_667)},
        ],
    }


async def test_another_tenant_never_sees_the_packages(
    gateway: httpx.AsyncClient, anna: TenantCaller, brook: TenantCaller, sold: None
) -> None:
    response = await gateway.get(packages_of("ada"), headers=brook.headers)

    assert response.status_code == 404
    assert response.json() == {
        "detail": "No packages of client 'ada': none bought, and no visit paid from one."
    }
    assert await get(gateway, brook, ATTENTION) == {"data": [], "count": 0}
    assert await get(gateway, brook, LIABILITY) == {"data": [], "totals": []}
    assert (await get(gateway, anna, packages_of("ada")))["data"][0]["purchase_id"] == "p-ada"


@pytest.mark.parametrize("path", [packages_of("ada"), ATTENTION, LIABILITY])
async def test_a_call_without_the_tenant_s_key_is_refused(
    gateway: httpx.AsyncClient, path: str
) -> None:
    missing = await gateway.get(path)
    wrong = await gateway.get(path, headers={"Authorization": "Bearer sc_not-a-key"})

    assert missing.status_code == wrong.status_code == 401
    assert missing.json()["detail"].startswith("Missing API key")
    assert wrong.json() == {"detail": "Invalid or revoked API key."}


async def test_a_client_with_no_package_is_not_found(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    response = await gateway.get(packages_of("zed"), headers=anna.headers)

    assert response.status_code == 404
    assert response.json()["detail"] == (
        "No packages of client 'zed': none bought, and no visit paid from one."
    )


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        (ATTENTION, {"limit": 0}, "query parameter limit"),
        (ATTENTION, {"limit": 201}, "query parameter limit"),
        (ATTENTION, {"offset": -1}, "query parameter offset"),
        (ATTENTION, {"page": 2}, "query parameter page"),
        (LIABILITY, {"currency": "GBP"}, "query parameter currency"),
        (packages_of("not a client"), {}, "path parameter client_id"),
    ],
)
async def test_a_malformed_request_is_refused_naming_what_to_change(
    gateway: httpx.AsyncClient,
    anna: TenantCaller,
    path: str,
    params: dict[str, int | str],
    field: str,
) -> None:
    response = await gateway.get(path, params=params, headers=anna.headers)

    assert refused_field(response) == field


async def test_the_portal_shows_the_client_her_packages_and_no_one_else_s(
    gateway: httpx.AsyncClient, anna: TenantCaller, sold: None
) -> None:
    ada = await gateway.get(
        "/v1/portal/packages", headers=await portal_headers(gateway, anna, "ada")
    )
    zed = await gateway.get(
        "/v1/portal/packages", headers=await portal_headers(gateway, anna, "zed")
    )
    with_key = await gateway.get("/v1/portal/packages", headers=anna.headers)

    assert ada.status_code == 200, ada.text
    assert ada.json() == {
        "data": [
            {
                "name": "Facial trio",
                "sessions": 3,
                "used": 1,
                "left": 2,
                "status": "active",
                "status_text": "Active",
                "text": f"2 of 3 sessions left · use them before {day_text(60)}",
                "bought_on": on(0),
                "expires_on": on(60),
            }
        ]
    }
    assert zed.json() == {"data": []}
    assert with_key.status_code == 401
