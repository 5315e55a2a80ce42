"""The gateway on a fresh database, driven in-process over HTTP, tenants to call it as, the
loyalty pipeline (``stack``) feeding its read models, and the referrals service's own commands
(``referrals``) to set up referrals, credits and welcome codes without Kafka."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
import pytest
from starcard_events import examples
from starcard_gateway.app import create_app
from starcard_gateway.settings import GatewaySettings
from starcard_projections.runner import Follower
from starcard_referrals.app import SCHEMA as REFERRALS_SCHEMA
from starcard_referrals.application import ReferralsService
from starcard_referrals.domain.referee import Referee
from starcard_runtime.batching import BatchApplication, UnitOfWork
from starcard_runtime.service import build_application
from starcard_runtime.settings import RuntimeSettings

from tests.support.gateway import TenantCaller, served
from tests.support.stack import LoyaltyStack, loyalty_stack

TApp = TypeVar("TApp", bound=BatchApplication)

ADMIN_KEY = "operator-test-key"
PORTAL_SECRET = "portal-test-secret-of-at-least-32-bytes"  # noqa: S105 - the tests' own
# Relative to today: the card and checkout judge codes (valid 12 months) against the real clock.
START = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(days=120)
FIFTH = {"session_count": 5, "message": "Thank you for your 5th visit!", "discount_percent": 10}
TENTH = {"session_count": 10, "message": "25% off, you star", "discount_percent": 25}


def gbp(amount_minor: int) -> dict[str, Any]:
    return {"amount_minor": amount_minor, "currency": "GBP"}


@pytest.fixture
async def gateway(fresh_database: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        GatewaySettings(
            DATABASE_URL=fresh_database,
            STARCARD_ADMIN_KEY=ADMIN_KEY,
            STARCARD_PORTAL_SECRET=PORTAL_SECRET,
        )
    )
    async with served(app) as client:
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


def refused_field(response: httpx.Response) -> str:
    """The field a 422 names first: its ``detail`` reads ``"<field>: <what it should be>..."``
    (``amount.currency``, or ``query parameter limit`` outside the body)."""
    assert response.status_code == 422, response.text
    detail: str = response.json()["detail"]
    return detail.split(": ", 1)[0]


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


# -- referrals -----------------------------------------------------------------------------


@pytest.fixture
def referrals(gateway: httpx.AsyncClient, fresh_database: str) -> Iterator[ReferralsService]:
    """The referrals service on the gateway's database: what its Kafka consumer would do."""
    yield from service_on(ReferralsService, fresh_database, REFERRALS_SCHEMA)


def service_on(kind: type[TApp], database_url: str, schema: str) -> Iterator[TApp]:
    """A service's application on the gateway's database, closed after the test."""
    service = build_application(kind, RuntimeSettings(DATABASE_URL=database_url), schema)
    yield service
    service.close()


def book(
    service: ReferralsService,
    tenant: TenantCaller,
    client: str,
    booking_id: str,
    *,
    through: str | None = None,
    completed: bool = False,
    at: datetime | None = None,
) -> Referee:
    """The client's booking as the booking platform reports it, through the link of the client
    ``through`` when given, and completed (paid) when ``completed``."""
    at = at or datetime.now(UTC)
    code = None if through is None else service.link_for(tenant.tenant_id, through).code
    unit = UnitOfWork(service)
    if completed:
        referee = service.record_completion(
            unit, tenant.tenant_id, client, booking_id, at, paid=True, code=code
        )
    else:
        referee = service.record_booking(unit, tenant.tenant_id, client, booking_id, at, code=code)
    service.save(*unit.aggregates.values())
    return referee


def visit(service: ReferralsService, tenant: TenantCaller, visitor: str, *, through: str) -> None:
    """Someone follows the client ``through``'s link to the booking page."""
    code = service.link_for(tenant.tenant_id, through).code
    unit = UnitOfWork(service)
    service.record_visit(unit, tenant.tenant_id, code, visitor, datetime.now(UTC))
    service.save(*unit.aggregates.values())


def project(database_url: str, *names: str) -> None:
    """Bring the named read models up to date, as the projections process would."""
    for name in names or ("referrals",):
        follower = Follower(database_url, name)
        try:
            follower.catch_up()
        finally:
            follower.close()


async def patch_referral_settings(
    gateway: httpx.AsyncClient, tenant: TenantCaller, **changes: Any
) -> Any:
    response = await gateway.patch("/v1/referrals/settings", json=changes, headers=tenant.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def portal_headers(
    gateway: httpx.AsyncClient, tenant: TenantCaller, client: str
) -> dict[str, str]:
    """The headers of the client's portal: a token the tenant minted for them."""
    response = await gateway.post(
        "/v1/portal/tokens", json={"client_id": client}, headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}
