"""Honest health: /readyz, /metrics and the dashboard say when the pipeline behind them is not
keeping up, so that an operator (or a load balancer) can act.

The read models' health comes from what the projections process writes (positions, heads,
heartbeats); consumer lag from Kafka's committed offsets.
"""

from __future__ import annotations

import re
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager

import httpx
import psycopg
import pytest
from starcard_gateway.app import create_app
from starcard_gateway.settings import GatewaySettings
from starcard_projections.runner import PROJECTION_NAMES, follow

from tests.integration.gateway.conftest import (
    ADMIN_KEY,
    PORTAL_SECRET,
    register,
    visits,
)
from tests.support.gateway import TenantCaller, served
from tests.support.stack import LoyaltyStack, until

pytestmark = pytest.mark.integration


@asynccontextmanager
async def gateway_with(**settings: str) -> AsyncIterator[httpx.AsyncClient]:
    environment = {
        "STARCARD_ADMIN_KEY": ADMIN_KEY,
        "STARCARD_PORTAL_SECRET": PORTAL_SECRET,
        **settings,
    }
    app = create_app(GatewaySettings.model_validate(environment))
    async with served(app) as client:
        yield client


@pytest.fixture
def projections(fresh_database: str) -> Iterator[Callable[[], None]]:
    """The projections process's loop, following in a thread; yields what stops it."""
    stop = threading.Event()
    thread = threading.Thread(target=follow, args=(fresh_database, stop), daemon=True)
    thread.start()

    def stopped() -> None:
        stop.set()
        thread.join(timeout=10)

    try:
        yield stopped
    finally:
        stopped()


def execute(database_url: str, statement: str, params: tuple[object, ...] = ()) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(statement, params)


async def test_ready_only_while_a_projections_process_follows_the_read_models(
    fresh_database: str, projections: Callable[[], None]
) -> None:
    async with gateway_with(DATABASE_URL=fresh_database) as gateway:

        async def ready() -> None:
            answer = await gateway.get("/readyz")
            assert (answer.status_code, answer.json()) == (200, {"status": "ready"})

        await until(ready, within=10)
        # The process dies: its heartbeat stops (and is made an hour old at once).
        projections()
        execute(
            fresh_database,
            "UPDATE read.projection_positions SET heartbeat_at = now() - interval '1 hour'",
        )
        answer = await gateway.get("/readyz")

    assert answer.status_code == 503
    assert "read model loyalty is not being followed" in answer.json()["detail"]


async def test_not_ready_while_a_read_model_lags_beyond_the_threshold(
    fresh_database: str,
) -> None:
    async with gateway_with(DATABASE_URL=fresh_database, STARCARD_READY_MAX_LAG="100") as gateway:
        execute(
            fresh_database,
            "INSERT INTO read.projection_positions (name, position, head, heartbeat_at)"
            " SELECT name, 10, 10, now() FROM unnest(%s::text[]) AS n (name)",
            (PROJECTION_NAMES,),
        )
        caught_up = await gateway.get("/readyz")
        execute(fresh_database, "UPDATE read.projection_positions SET head = 111")
        behind = await gateway.get("/readyz")

    assert caught_up.status_code == 200
    assert behind.status_code == 503
    assert "read model loyalty is 101 events behind its source" in behind.json()["detail"]


async def test_metrics_export_each_read_model_and_consumer_partition_lag(
    stack: LoyaltyStack, fresh_database: str, kafka_bootstrap: str, topic_prefix: str
) -> None:
    async with gateway_with(
        DATABASE_URL=fresh_database,
        KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
        STARCARD_TOPIC_PREFIX=topic_prefix,
    ) as gateway:
        anna = await register(gateway, "Anna Massage")
        await stack.publish(*visits(anna, "ada", 3))
        group = f"{topic_prefix}starcard-loyalty"
        topic = f"{topic_prefix}booking.events.v1"

        metrics = ""

        async def caught_up() -> None:
            nonlocal metrics
            metrics = (await gateway.get("/metrics")).text
            assert 'starcard_read_model_lag_events{read_model="loyalty"} 0.0' in metrics
            lines = re.findall(
                rf'starcard_consumer_lag_records{{group="{re.escape(group)}",'
                rf'partition="\d+",topic="{re.escape(topic)}"}} (\S+)',
                metrics,
            )
            assert lines, metrics
            assert set(lines) == {"0.0"}

        await until(caught_up)

    assert 'starcard_read_model_stale_tenants{read_model="loyalty"} 0.0' in metrics
    assert 'starcard_read_model_failures{read_model="loyalty"} 0.0' in metrics
    assert "starcard_read_model_health_known 1.0" in metrics
    assert "starcard_consumer_lag_known 1.0" in metrics
    assert 'starcard_read_model_heartbeat_age_seconds{read_model="referrals"}' in metrics


async def sign_in(gateway: httpx.AsyncClient, tenant: TenantCaller) -> None:
    form = await gateway.get("/dashboard/login")
    [nonce] = re.findall(r'name="nonce" value="([^"]+)"', form.text)
    signed_in = await gateway.post(
        "/dashboard/login",
        data={"nonce": nonce, "api_key": tenant.api_key},
        headers={"Sec-Fetch-Site": "same-origin"},
    )
    assert signed_in.status_code == 303, signed_in.text


async def test_a_tenant_whose_read_model_stopped_sees_it_on_every_dashboard_page(
    gateway: httpx.AsyncClient, anna: TenantCaller, brook: TenantCaller, fresh_database: str
) -> None:
    execute(
        fresh_database,
        "INSERT INTO read.projection_failures"
        " (projection, tenant_id, notification_id, event_type, aggregate_id, error)"
        f" VALUES ('loyalty', '{anna.tenant_id}', 7, 'LoyaltyProgramme.MilestoneAdded',"
        " gen_random_uuid(), 'NumericValueOutOfRange: integer out of range')",
    )
    await sign_in(gateway, anna)
    anna_pages = [
        (await gateway.get(path)).text
        for path in ("/dashboard", "/dashboard/settings/loyalty", "/dashboard/settings/referrals")
    ]
    gateway.cookies.clear()
    await sign_in(gateway, brook)
    brook_page = (await gateway.get("/dashboard")).text

    for page in anna_pages:
        assert "Some figures here stopped updating" in page
        assert "Stars, rewards and the most-loyal list" in page
        assert "NumericValueOutOfRange" not in page  # the operator's detail, not the tenant's
    assert "stopped updating" not in brook_page
