"""A client's rewards through the running processes: the card shows the code, checkout uses it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starcard_events import examples

from tests.e2e.conftest import Gateway, Platform, card, redeem
from tests.support.gateway import TenantCaller
from tests.support.processes import LoggedProcess
from tests.support.stack import until

pytestmark = pytest.mark.e2e

# Relative to today: the card and checkout judge codes (valid 12 months) against the real clock.
START = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(days=120)


def visit(tenant: TenantCaller, client: str, n: int) -> dict[str, Any]:
    return examples.appointment_completed(
        tenant.tenant_id,
        START + timedelta(days=7 * n),
        booking_id=f"{client}-b{n}",
        client_id=client,
    )


async def test_a_code_earned_from_kafka_is_shown_redeemed_once_and_releases_the_next(
    gateway: Gateway, platform: Platform, loyalty: LoggedProcess, projections: LoggedProcess
) -> None:
    anna = gateway.create_tenant("Anna Massage", "anna-massage")
    for milestone in (
        {"session_count": 5, "message": "Thank you!", "discount_percent": 10},
        {"session_count": 10, "message": "You star", "discount_percent": 25, "min_minutes": 60},
    ):
        added = await gateway.client.post(
            "/v1/loyalty/milestones", json=milestone, headers=anna.headers
        )
        assert added.status_code == 201, added.text
    await platform.publish(*(visit(anna, "ada", n) for n in range(10)), visit(anna, "bo", 0))

    async def flipped_with_the_tenth_queued() -> str:
        shown = await card(gateway, anna, "ada")
        assert shown["outstanding"] is not None
        assert shown["outstanding"]["discount_percent"] == 10
        assert shown["all_rewards_earned"] is True
        listed = (await gateway.get(anna, "/v1/loyalty/clients")).json()
        assert [(c["client_id"], c["outstanding_reward"]) for c in listed["data"]] == [
            ("ada", True),
            ("bo", False),
        ]
        code: str = shown["outstanding"]["code"]
        return code

    fifth = await until(flipped_with_the_tenth_queued)
    used = await redeem(gateway, anna, "ada", fifth, "ada-b10")

    assert used.status_code == 200, used.text
    assert used.json()["discount"] == {"amount_minor": 600, "currency": "GBP"}
    tenth = used.json()["next_reward"]
    assert tenth["discount_percent"] == 25

    async def the_next_code_is_on_the_card() -> None:
        assert (await card(gateway, anna, "ada"))["outstanding"]["code"] == tenth["code"]

    await until(the_next_code_is_on_the_card)
    again = await redeem(gateway, anna, "ada", fifth, "ada-b10")
    elsewhere = await redeem(gateway, anna, "ada", fifth, "ada-b11")
    assert (again.status_code, again.json()) == (200, used.json())
    assert elsewhere.status_code == 409
    assert "already used" in elsewhere.json()["detail"]
