"""What an operator does with ``starcard`` against the running system: rebuilds and replays."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from starcard_cli.main import app as starcard
from starcard_events import examples
from starcard_events.topics import BOOKING_EVENTS
from starcard_projections.runner import rebuild
from starcard_runtime.dead_letters import DeadLetterStore
from starcard_runtime.settings import RuntimeSettings
from typer.testing import CliRunner, Result

from tests.e2e.conftest import Gateway, Platform, assert_settled, event_count, read_list, sql
from tests.support.gateway import TenantCaller
from tests.support.processes import LoggedProcess, process_env, running
from tests.support.stack import eventually

pytestmark = pytest.mark.e2e

START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
VIP = [{"name": "VIP", "percentage": "10", "amount": None}]


def visit(tenant_id: str, client: str, n: int, **details: Any) -> dict[str, Any]:
    return examples.appointment_completed(
        tenant_id,
        START + timedelta(days=7 * n),
        booking_id=f"{client}-b{n}",
        client_id=client,
        **details,
    )


@pytest.fixture
def cli(settings: RuntimeSettings, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """``starcard`` pointed at the test's database and Kafka, as an operator's shell would be."""
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", settings.kafka_bootstrap_servers)
    monkeypatch.setenv("COLUMNS", "250")
    return CliRunner()


async def run(cli: CliRunner, *args: str) -> Result:
    """Run a ``starcard`` command in a thread: ``dlq replay`` runs its own event loop."""
    return await asyncio.to_thread(cli.invoke, starcard, list(args))


async def dashboard(gateway: Gateway, tenants: list[TenantCaller]) -> list[Any]:
    """Everything the tenants' dashboards show: the list and every client's pill."""
    shown: list[Any] = []
    for tenant in tenants:
        response = await gateway.get(tenant, "/v1/loyalty/clients", limit=200)
        assert response.status_code == 200, response.text
        listed = response.json()
        shown.append(listed)
        for row in listed["data"]:
            pill = await gateway.get(tenant, f"/v1/loyalty/clients/{row['client_id']}")
            shown.append(pill.json())
    return shown


def stored_events(database_url: str) -> int:
    [(count,)] = sql(database_url, "SELECT count(*) FROM loyalty.loyalty_events")
    return int(count)


def reached(database_url: str) -> list[tuple[Any, ...]]:
    return sql(database_url, "SELECT * FROM read.loyalty_reached ORDER BY 1, 2, 3")


async def publish_a_varied_feed(
    gateway: Gateway, platform: Platform, anna: TenantCaller, brook: TenantCaller
) -> int:
    """Visits, a re-send, a label discount, a cancellation, milestones and the counting toggle."""
    toggled = await gateway.client.put(
        "/v1/loyalty/settings/count-discounted-sessions",
        json={"enabled": True},
        headers=brook.headers,
    )
    assert toggled.status_code == 200, toggled.text
    for tenant, count in ((anna, 2), (brook, 3)):
        added = await gateway.client.post(
            "/v1/loyalty/milestones",
            json={"session_count": count, "message": f"Visit {count}: 10% off", "min_minutes": 60},
            headers=tenant.headers,
        )
        assert added.status_code == 201, added.text
    published = await platform.publish(
        *(visit(anna.tenant_id, "ada", n) for n in range(3)),
        visit(anna.tenant_id, "ada", 2),
        examples.client_registered(anna.tenant_id, START, client_id="bo", labels=VIP),
        *(visit(anna.tenant_id, "bo", n) for n in range(2)),
        *(visit(anna.tenant_id, "cy", n, minutes=45) for n in range(4)),
        examples.booking_cancelled(
            anna.tenant_id, START + timedelta(days=40), booking_id="cy-b1", client_id="cy"
        ),
        *(visit(brook.tenant_id, "ada", n, payment_method="package") for n in range(3)),
        visit(brook.tenant_id, "dee", 0),
    )
    return len(published)


async def test_rebuilding_the_projection_gives_the_same_list(
    settings: RuntimeSettings,
    gateway: Gateway,
    platform: Platform,
    loyalty: LoggedProcess,
    cli: CliRunner,
) -> None:
    database_url = settings.database_url
    topic = settings.topic(BOOKING_EVENTS)
    anna = gateway.create_tenant("Anna Massage", "anna-massage")
    brook = gateway.create_tenant("Brook Spa", "brook-spa")
    with running("starcard_projections", process_env(settings)) as follower:
        published = await publish_a_varied_feed(gateway, platform, anna, brook)
        await eventually(lambda: assert_settled(database_url, topic, published))
        before = await dashboard(gateway, [anna, brook])
        reached_before = reached(database_url)
        assert read_list(database_url, anna.tenant_id) == [
            ("ada", 3, 3),
            ("cy", 3, 3),  # 45-minute visits, one cancelled
            ("bo", 0, 2),  # a VIP label discount
        ]
        assert read_list(database_url, brook.tenant_id) == [("ada", 3, 3), ("dee", 1, 1)]
        # Anna's ada (2 visits of 60+ min) and Brook's ada (3, package sessions counted).
        assert [row[:2] for row in reached_before] == [
            ("anna-massage", "ada"),
            ("brook-spa", "ada"),
        ]

        # Beside the running projections process, as an operator would do it.
        await asyncio.to_thread(rebuild, database_url, "loyalty", lambda done, total: None)
        follower.assert_alive()
        assert await dashboard(gateway, [anna, brook]) == before
        assert reached(database_url) == reached_before

    events = stored_events(database_url)
    progress: list[tuple[int, int]] = []
    applied = await asyncio.to_thread(
        rebuild, database_url, "loyalty", lambda done, total: progress.append((done, total))
    )
    assert applied == events
    assert progress[0] == (0, events)
    assert progress[-1] == (events, events)
    assert await dashboard(gateway, [anna, brook]) == before
    assert reached(database_url) == reached_before

    result = await run(cli, "projections", "rebuild", "loyalty")
    assert result.exit_code == 0, result.output
    assert f"Rebuilt loyalty: up to date with event {events} of its source." in result.output
    assert await dashboard(gateway, [anna, brook]) == before
    assert reached(database_url) == reached_before


async def test_a_rebuild_beside_the_running_projections_reports_every_event(
    settings: RuntimeSettings,
    gateway: Gateway,
    platform: Platform,
    loyalty: LoggedProcess,
    projections: LoggedProcess,
) -> None:
    """The running follower may apply the emptied read model's first page before the rebuild
    does (in about a third of rebuilds); here the progress callback waits until it has, so the
    race always goes that way. Progress is reported from the shared position all the same."""
    database_url = settings.database_url
    topic = settings.topic(BOOKING_EVENTS)
    anna = gateway.create_tenant("Anna Massage", "anna-massage")
    published = await platform.publish(*(visit(anna.tenant_id, "ada", n) for n in range(3)))
    await eventually(lambda: assert_settled(database_url, topic, len(published)))
    listed = read_list(database_url, anna.tenant_id)
    events = stored_events(database_url)
    progress: list[tuple[int, int]] = []

    def report(done: int, total: int) -> None:
        progress.append((done, total))
        deadline = time.monotonic() + 15
        while done == 0 and time.monotonic() < deadline:
            [(position,)] = sql(
                database_url,
                "SELECT position FROM read.projection_positions WHERE name = 'loyalty'",
            )
            if position == total:
                return
            time.sleep(0.02)

    applied = await asyncio.to_thread(rebuild, database_url, "loyalty", report)

    assert read_list(database_url, anna.tenant_id) == listed
    assert applied == events
    assert progress[-1] == (events, events)


async def test_a_replayed_dead_letter_is_processed_once_fixed(
    settings: RuntimeSettings,
    platform: Platform,
    loyalty: LoggedProcess,
    projections: LoggedProcess,
    cli: CliRunner,
) -> None:
    database_url = settings.database_url
    topic = settings.topic(BOOKING_EVENTS)
    tenant = "cleo-clinic"
    store = DeadLetterStore(database_url)
    await platform.publish(visit(tenant, "flo", 0))  # before the tenant exists

    def dead_lettered() -> int:
        try:
            letters = store.list(service="loyalty")
        except psycopg.errors.UndefinedTable as exc:  # the service has not started yet
            raise AssertionError(exc) from exc
        assert [letter.reason for letter in letters] == [f"unknown tenant '{tenant}'"]
        return letters[0].id

    letter_id = await eventually(dead_lettered)
    listed = await run(cli, "dlq", "list", "--service", "loyalty")
    assert listed.exit_code == 0, listed.output
    assert str(letter_id) in listed.output
    assert f"unknown tenant '{tenant}'" in listed.output

    created = await run(cli, "tenants", "create", "Cleo Clinic", "--id", tenant)
    assert created.exit_code == 0, created.output
    replayed = await run(cli, "dlq", "replay", str(letter_id))
    assert replayed.exit_code == 0, replayed.output
    assert f"Replayed {letter_id} to {topic}" in replayed.output

    await eventually(lambda: _expect(read_list(database_url, tenant), [("flo", 1, 1)]))

    # Replayed again by mistake, then the client's next visit: the replayed one still counts once.
    again = await run(cli, "dlq", "replay", str(letter_id))
    assert again.exit_code == 0, again.output
    await platform.publish(visit(tenant, "flo", 1))
    await eventually(lambda: assert_settled(database_url, topic, 4))
    assert read_list(database_url, tenant) == [("flo", 2, 2)]
    assert event_count(database_url, "AppointmentRecorded") == 2
    [letter] = store.list(service="loyalty")
    assert letter.id == letter_id
    assert letter.replayed_at is not None


def _expect(actual: list[tuple[str, int, int]], expected: list[tuple[str, int, int]]) -> None:
    assert actual == expected
