"""An event a read model cannot apply halts only its own tenant, and only that read model.

The loyalty service's real event store on PostgreSQL holds two tenants' visits; one event of
Anna's is planted that the loyalty read model cannot store (a milestone count beyond its column,
as an unbounded API once let through). The projections follow as their process does.
"""

from __future__ import annotations

import random
import string
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from starcard_cli.main import app as cli
from starcard_loyalty.app import SCHEMA
from starcard_loyalty.application import LoyaltyService
from starcard_projections.failures import failures, hold, stale_read_models, stale_tenants
from starcard_projections.health import read_model_health
from starcard_projections.loyalty import client_summary
from starcard_projections.runner import CannotRebuild, Follower, rebuild_tenant
from typer.testing import CliRunner

from tests.integration.projections.conftest import Following, event_store, in_one_batch
from tests.unit.loyalty.factories import appointment

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
ANNA, BROOK = "anna", "brook"
UNSTORABLE = 719_573_745_397_320
"""More sessions than the read model's integer column holds."""


def visit(service: LoyaltyService, tenant: str, client: str, booking: str, day: int) -> None:
    completed = appointment(booking, client_id=client, occurred_at=T0 + timedelta(days=day))
    in_one_batch(service, lambda unit: service.record_appointment(unit, tenant, completed))


def plant_unstorable_milestone(service: LoyaltyService, tenant: str) -> None:
    """Record, past the domain's own checks, the milestone that once stopped every dashboard."""
    programme = service.programme(tenant)
    programme._add_milestone(  # planting what the checks now refuse
        milestone_id="huge",
        session_count=UNSTORABLE,
        message="Wow",
        discount_percent=None,
        min_minutes=0,
    )
    service.save(programme)


@pytest.fixture
def service(fresh_database: str) -> Iterator[LoyaltyService]:
    with event_store(LoyaltyService, fresh_database, SCHEMA) as loyalty:
        for tenant in (ANNA, BROOK):
            loyalty.open_programme(tenant, tenant.title())
            loyalty.add_milestone(
                tenant, session_count=5, message="Thanks!", discount_percent=10, min_minutes=0
            )
        yield loyalty


@pytest.fixture
def follower(following: Following) -> Iterator[Follower]:
    with following("loyalty") as running:
        yield running


def sessions(conn: psycopg.Connection[Any], tenant: str, client: str) -> int:
    summary = client_summary(conn, tenant, client)
    return 0 if summary is None else summary.sessions


def test_a_failing_event_stops_its_tenant_only_and_the_tenant_comes_back_after_the_fix(
    service: LoyaltyService,
    follower: Follower,
    conn: psycopg.Connection[Any],
    fresh_database: str,
) -> None:
    visit(service, ANNA, "ada", "a-1", 0)
    visit(service, BROOK, "bo", "b-1", 0)
    plant_unstorable_milestone(service, ANNA)
    visit(service, ANNA, "ada", "a-2", 1)
    visit(service, BROOK, "bo", "b-2", 1)

    follower.catch_up()

    # Brook's rows moved past the bad event; Anna's stopped just before it.
    assert sessions(conn, BROOK, "bo") == 2
    assert sessions(conn, ANNA, "ada") == 1
    [failure] = failures(conn)
    assert (failure.projection, failure.tenant_id) == ("loyalty", ANNA)
    assert failure.event_type.endswith("MilestoneAdded")
    assert "NumericValueOutOfRange" in failure.error
    assert [m.projection for m in stale_read_models(conn, ANNA)] == ["loyalty"]
    assert stale_read_models(conn, BROOK) == []

    # The other read models of the same source, and every other tenant, keep moving.
    visit(service, BROOK, "bo", "b-3", 2)
    visit(service, ANNA, "ada", "a-3", 2)
    attendance = Follower(fresh_database, "attendance")
    try:
        attendance.catch_up()
    finally:
        attendance.close()
    follower.catch_up()
    assert sessions(conn, BROOK, "bo") == 3
    assert sessions(conn, ANNA, "ada") == 1
    assert stale_tenants(conn, "attendance") == set()
    [loyalty_health] = read_model_health(conn, ["loyalty"])
    assert loyalty_health.stale_tenants == 1

    # Unfixed, a rebuild of Anna's rows refuses and changes nothing.
    with pytest.raises(CannotRebuild, match="still fail"):
        rebuild_tenant(fresh_database, "loyalty", ANNA, lambda _done, _total: None)
    assert sessions(conn, ANNA, "ada") == 1

    # The fix (here a migration that widens the column), then one command brings Anna back.
    conn.execute("ALTER TABLE read.loyalty_milestones ALTER session_count TYPE bigint")
    result = CliRunner().invoke(
        cli,
        ["projections", "rebuild", "loyalty", "--tenant", ANNA],
        env={"DATABASE_URL": fresh_database, "COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert f"Rebuilt loyalty for {ANNA}" in result.output
    assert sessions(conn, ANNA, "ada") == 3
    assert sessions(conn, BROOK, "bo") == 3
    assert stale_read_models(conn, ANNA) == []
    assert failures(conn) == []
    assert len(failures(conn, include_resolved=True)) == 1

    # And the follower carries Anna on from there.
    visit(service, ANNA, "ada", "a-4", 3)
    follower.catch_up()
    assert sessions(conn, ANNA, "ada") == 4


def test_the_operator_lists_failures_with_their_tenant_event_and_error(
    service: LoyaltyService, follower: Follower, fresh_database: str
) -> None:
    plant_unstorable_milestone(service, ANNA)
    follower.catch_up()
    runner = CliRunner()
    env = {"DATABASE_URL": fresh_database, "COLUMNS": "250"}

    listed = runner.invoke(cli, ["projections", "failures"], env=env)

    assert listed.exit_code == 0, listed.output
    assert "loyalty" in listed.output
    assert ANNA in listed.output
    assert "MilestoneAdded" in listed.output
    assert "NumericValueOutOfRange" in listed.output


def test_a_whole_rebuild_meets_the_failure_again_and_isolates_it_again(
    service: LoyaltyService, follower: Follower, conn: psycopg.Connection[Any]
) -> None:
    visit(service, BROOK, "bo", "b-1", 0)
    plant_unstorable_milestone(service, ANNA)
    follower.catch_up()

    follower.rebuild(lambda _done, _total: None)

    assert sessions(conn, BROOK, "bo") == 1
    assert [
        (f.tenant_id, f.resolved_at is None) for f in failures(conn, include_resolved=True)
    ] == [
        (ANNA, True),
        (ANNA, False),
    ]


def test_an_error_the_database_repeats_for_one_event_is_that_tenants_not_a_retry_for_all(
    service: LoyaltyService, follower: Follower, conn: psycopg.Connection[Any]
) -> None:
    """A booking id too long for the read model's index makes PostgreSQL raise an
    OperationalError (program limit exceeded) on every try: it is Anna's event's failure, not a
    database outage, so Brook moves on."""
    incompressible = "".join(random.Random(1).choices(string.ascii_letters, k=12_000))
    visit(service, ANNA, "ada", incompressible, 0)
    visit(service, BROOK, "bo", "b-1", 0)

    follower.catch_up()

    assert sessions(conn, BROOK, "bo") == 1
    [failure] = failures(conn)
    assert failure.tenant_id == ANNA
    assert "ProgramLimitExceeded" in failure.error


def test_an_interrupted_rebuild_leaves_its_tenant_held_and_saying_so_until_it_runs_again(
    service: LoyaltyService, follower: Follower, conn: psycopg.Connection[Any], fresh_database: str
) -> None:
    visit(service, ANNA, "ada", "a-1", 0)
    follower.catch_up()
    with conn.transaction():  # what a rebuild does first, and an interrupted one leaves
        hold(conn, "loyalty", ANNA, follower.position())
    visit(service, ANNA, "ada", "a-2", 1)
    visit(service, BROOK, "bo", "b-1", 1)

    follower.catch_up()

    assert sessions(conn, ANNA, "ada") == 1
    assert sessions(conn, BROOK, "bo") == 1
    [held] = failures(conn)
    assert "rebuild" in held.error
    assert f"--tenant {ANNA}" in held.error

    rebuild_tenant(fresh_database, "loyalty", ANNA, lambda _done, _total: None)

    assert sessions(conn, ANNA, "ada") == 2
    assert failures(conn, include_resolved=True) == []
