"""``starcard points reconcile``: the read model's balances against the accounts themselves."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from starcard_cli.main import app
from starcard_loyalty.app import SCHEMA
from starcard_loyalty.application import LoyaltyService
from typer.testing import CliRunner, Result

from tests.integration.projections.conftest import event_store
from tests.support.points import PointsDesk

pytestmark = pytest.mark.integration

CLINIC, OTHER = "clinic", "other"


@pytest.fixture
def desk(fresh_database: str) -> Iterator[PointsDesk]:
    """Three accounts at two businesses, none projected yet (the command catches up first)."""
    with event_store(LoyaltyService, fresh_database, SCHEMA) as service:
        desk = PointsDesk(service)
        for tenant in (CLINIC, OTHER):
            desk.open(tenant)
        desk.treatment(CLINIC, "ada", "b1", 60, 0)
        desk.redeem(CLINIC, "ada", "b2", points=20, day=1)
        desk.treatment(CLINIC, "bea", "b3", 45, 1)
        desk.treatment(OTHER, "ada", "b4", 80, 2)
        yield desk


def reconcile(database_url: str, *args: str) -> Result:
    return CliRunner().invoke(
        app,
        ["points", "reconcile", *args],
        env={"DATABASE_URL": database_url, "COLUMNS": "200"},
    )


def test_balances_that_agree_are_counted(desk: PointsDesk, fresh_database: str) -> None:
    result = reconcile(fresh_database)

    assert result.exit_code == 0, result.output
    assert "All 3 balances agree." in result.output
    assert "All 2 balances agree." in reconcile(fresh_database, "--tenant", CLINIC).output


def test_a_read_balance_changed_by_hand_is_shown_beside_the_account_s(
    desk: PointsDesk, fresh_database: str
) -> None:
    reconcile(fresh_database)
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        conn.execute(
            "UPDATE read.points_accounts SET balance = 999"
            " WHERE tenant_id = %s AND client_id = 'ada'",
            (CLINIC,),
        )

    result = reconcile(fresh_database)

    assert result.exit_code == 1, result.output
    assert "1 points balance(s) differ" in result.output
    [row] = [line for line in result.output.splitlines() if "999" in line]
    assert [cell.strip() for cell in row.split("│")[1:5]] == ["clinic", "ada", "40", "999"]
    other = reconcile(fresh_database, "--tenant", OTHER)
    assert other.exit_code == 0, other.output
    assert "All 1 balances agree." in other.output
