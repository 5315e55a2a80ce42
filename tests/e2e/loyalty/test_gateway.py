"""What a therapist's dashboard shows, from completions on Kafka through the running processes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starcard_events import examples

from tests.e2e.conftest import Gateway, Platform
from tests.support.gateway import TenantCaller
from tests.support.processes import LoggedProcess
from tests.support.stack import until

pytestmark = pytest.mark.e2e

START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def visit(tenant: TenantCaller, client: str, n: int, **details: Any) -> dict[str, Any]:
    return examples.appointment_completed(
        tenant.tenant_id,
        START + timedelta(days=7 * n),
        booking_id=f"{client}-b{n}",
        client_id=client,
        **details,
    )


async def clients(gateway: Gateway, tenant: TenantCaller, **page: int) -> dict[str, Any]:
    response = await gateway.get(tenant, "/v1/loyalty/clients", **page)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def client(gateway: Gateway, tenant: TenantCaller, client_id: str) -> dict[str, Any]:
    response = await gateway.get(tenant, f"/v1/loyalty/clients/{client_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def rows(page: dict[str, Any]) -> list[tuple[str, int, int]]:
    return [(c["client_id"], c["stars"], c["sessions"]) for c in page["data"]]


async def test_stars_published_to_kafka_are_served_by_the_gateway(
    gateway: Gateway, platform: Platform, loyalty: LoggedProcess, projections: LoggedProcess
) -> None:
    anna = gateway.create_tenant("Anna Massage", "anna-massage")
    brook = gateway.create_tenant("Brook Spa", "brook-spa")
    ada_again = visit(anna, "ada", 3)
    await platform.publish(
        *(visit(anna, "ada", n) for n in range(4)),
        ada_again,  # the platform re-sends a completion
        *(visit(anna, "bo", n) for n in range(3)),
        visit(anna, "bo", 3, discounts=[examples.discount("eco", 500)], price_minor=5500),
        visit(anna, "bo", 4, payment_method="membership_credit"),
        *(visit(anna, "cy", n) for n in range(3)),
        *(visit(anna, "dee", n) for n in range(3)),
        examples.booking_cancelled(
            anna.tenant_id, START + timedelta(days=30), booking_id="dee-b2", client_id="dee"
        ),
        # Two back-to-back appointments are one visit, one star.
        visit(anna, "eve", 0, minutes=30, back_to_back_group="g1"),
        examples.appointment_completed(
            anna.tenant_id,
            START + timedelta(minutes=30),
            booking_id="eve-b0-part2",
            client_id="eve",
            minutes=30,
            back_to_back_group="g1",
        ),
        visit(brook, "ada", 0),  # the same person at another business is another client
    )
    expected = [("ada", 4, 4), ("bo", 3, 5), ("cy", 3, 3), ("dee", 2, 2), ("eve", 1, 1)]

    async def listed() -> None:
        page = await clients(gateway, anna)
        assert rows(page) == expected
        assert page["count"] == 5

    await until(listed)
    second_page = await clients(gateway, anna, limit=2, offset=2)
    assert rows(second_page) == expected[2:4]
    assert second_page["count"] == 5

    brooks = await clients(gateway, brook)
    assert rows(brooks) == [("ada", 1, 1)]
    for client_id in ("bo", "cy", "dee", "eve"):
        response = await gateway.get(brook, f"/v1/loyalty/clients/{client_id}")
        assert response.status_code == 404, response.text

    ada = await client(gateway, anna, "ada")
    assert ada == {
        "client_id": "ada",
        "sessions": 4,
        "stars": 4,
        "show_stars_pill": False,
        "attendance": {"total": 4, "original": 0, "counted": 4, "milestones_reached": []},
        "tags": [],
    }

    added = await gateway.client.post(
        "/v1/loyalty/milestones",
        json={"session_count": 5, "message": "Your 5th visit is on us: 20% off"},
        headers=anna.headers,
    )
    assert added.status_code == 201, added.text

    async def pill_shown() -> None:
        assert (await client(gateway, anna, "ada"))["show_stars_pill"] is True

    await until(pill_shown)
    assert (await client(gateway, anna, "bo")) == {
        "client_id": "bo",
        "sessions": 5,
        "stars": 3,
        "show_stars_pill": True,
        "attendance": {"total": 5, "original": 0, "counted": 5, "milestones_reached": []},
        "tags": [],
    }
    assert (await client(gateway, brook, "ada"))["show_stars_pill"] is False
