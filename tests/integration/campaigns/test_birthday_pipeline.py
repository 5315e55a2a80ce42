"""Birthday rewards through the real path: clients and clock ticks in through Kafka, the rewards
in the campaigns service's event store, the reward emails out on ``starcard.notifications.v1``.

Every day is a clock tick the test publishes; the tenant sends the reward 7 days before the
birthday, 15% off, valid 30 days.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
import pytest
from starcard_campaigns.domain.programme import BirthdaySettings
from starcard_events import examples

from tests.support.campaigns import CampaignsStack, campaigns_stack, consuming_campaigns
from tests.support.stack import until

pytestmark = pytest.mark.integration

CLINIC, OTHER, SWITCHED_OFF, WITHOUT_PROGRAMME = "glow-clinic", "lumen-spa", "calm-rooms", "kin-spa"
NAMES = {CLINIC: "Glow Clinic", OTHER: "Lumen Spa", SWITCHED_OFF: "Calm Rooms"}
REGISTERED = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


def open_with_birthdays(stack: CampaignsStack, tenant: str) -> None:
    stack.commands.open_programme(tenant, NAMES[tenant])
    stack.commands.change_shared_settings(tenant, holdout_percent=0)
    stack.commands.change_campaign_settings(
        tenant, "birthday", enabled=True, days_before=7, discount_percent=15
    )


@pytest.fixture
async def stack(
    fresh_database: str, kafka_bootstrap: str, topic_prefix: str
) -> AsyncIterator[CampaignsStack]:
    async with campaigns_stack(fresh_database, kafka_bootstrap, topic_prefix) as running:
        open_with_birthdays(running, CLINIC)
        yield running


def client(
    client_id: str,
    birthday: tuple[int, int] | None,
    *,
    tenant: str = CLINIC,
    updated: bool = False,
) -> dict[str, Any]:
    """The platform's record of the client: registered (or, with `updated`, changed)."""
    return examples.client_registered(
        tenant,
        REGISTERED + timedelta(days=1 if updated else 0),
        client_id=client_id,
        email=f"{client_id}@example.com",
        birthday=None if birthday is None else {"month": birthday[0], "day": birthday[1]},
        updated=updated,
    )


def midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC)


def rewarded(stack: CampaignsStack, client_id: str) -> list[tuple[str, datetime]]:
    """The client's birthday offers in the store: (the year celebrated, when decided)."""
    return [
        (offer.occasion, offer.decided_at)
        for offer in stack.granted("birthday")
        if offer.client_id == client_id
    ]


async def test_the_reward_goes_out_once_on_the_tick_seven_days_before_the_birthday(
    stack: CampaignsStack,
) -> None:
    await stack.publish(client("ada", (3, 14)))

    await stack.tick(CLINIC, date(2027, 3, 6))
    await stack.settle()
    assert stack.notices() == []

    await stack.tick(CLINIC, date(2027, 3, 7))
    await stack.settle()
    [notice] = stack.notices()
    assert notice["client_id"] == "ada"
    assert notice["kind"] == "birthday_reward"
    assert notice["code"].startswith("BDAY-")
    assert notice["discount_percent"] == 15
    assert datetime.fromisoformat(notice["expires_at"]) == datetime(2027, 4, 6, tzinfo=UTC)
    assert notice["tenant_name"] == "Glow Clinic"
    assert notice["message"] == BirthdaySettings().message
    assert rewarded(stack, "ada") == [("2027", midnight(date(2027, 3, 7)))]

    await stack.tick(CLINIC, date(2027, 3, 7), date(2027, 3, 8))
    await stack.settle()
    assert stack.notices() == [notice]
    assert len(stack.granted()) == 1


async def test_29_february_is_celebrated_on_28_february_unless_the_year_is_a_leap_year(
    stack: CampaignsStack,
) -> None:
    await stack.publish(client("leap", (2, 29)))

    await stack.tick(CLINIC, date(2027, 2, 20))
    assert rewarded(stack, "leap") == []
    await stack.tick(CLINIC, date(2027, 2, 21))
    assert rewarded(stack, "leap") == [("2027", midnight(date(2027, 2, 21)))]

    await stack.tick(CLINIC, date(2028, 2, 21), date(2028, 2, 22), date(2028, 2, 29))
    await stack.settle()
    assert rewarded(stack, "leap") == [
        ("2027", midnight(date(2027, 2, 21))),
        ("2028", midnight(date(2028, 2, 22))),
    ]
    first, second = stack.notices()
    assert first["code"] != second["code"]


async def test_a_birthday_early_in_january_is_rewarded_once_from_the_december_tick(
    stack: CampaignsStack,
) -> None:
    await stack.publish(client("nye", (1, 2)))

    await stack.tick(CLINIC, *(date(2027, 12, 25) + timedelta(days=n) for n in range(9)))
    await stack.settle()

    assert rewarded(stack, "nye") == [("2028", midnight(date(2027, 12, 26)))]
    [notice] = stack.notices()
    assert datetime.fromisoformat(notice["expires_at"]) == datetime(2028, 1, 25, tzinfo=UTC)


async def test_a_birthday_added_inside_the_window_is_rewarded_on_the_next_tick_and_only_once(
    stack: CampaignsStack,
) -> None:
    await stack.publish(client("bea", None))
    await stack.tick(CLINIC, date(2027, 3, 7))
    assert rewarded(stack, "bea") == []

    await stack.publish(client("bea", (3, 12), updated=True))
    await stack.tick(CLINIC, date(2027, 3, 8))
    assert rewarded(stack, "bea") == [("2027", midnight(date(2027, 3, 8)))]

    # A changed birthday is still this year's birthday: rewarded already.
    await stack.publish(client("bea", (3, 20), updated=True))
    await stack.tick(CLINIC, date(2027, 3, 13), date(2027, 3, 14))
    await stack.settle()
    assert len(stack.granted()) == 1
    assert len(stack.notices()) == 1


async def test_only_the_ticked_tenant_with_birthdays_on_rewards_its_own_clients(
    stack: CampaignsStack,
) -> None:
    open_with_birthdays(stack, OTHER)
    open_with_birthdays(stack, SWITCHED_OFF)
    stack.commands.change_campaign_settings(SWITCHED_OFF, "birthday", enabled=False)
    tenants = (CLINIC, OTHER, SWITCHED_OFF, WITHOUT_PROGRAMME)
    await stack.publish(*(client("ada", (3, 14), tenant=tenant) for tenant in tenants))

    for tenant in (CLINIC, SWITCHED_OFF, WITHOUT_PROGRAMME):
        await stack.tick(tenant, date(2027, 3, 7))
    await stack.settle()
    assert [reward.tenant_id for reward in stack.granted()] == [CLINIC]
    [clinic] = stack.notices()
    assert stack.notices(CLINIC) == [clinic]

    await stack.tick(OTHER, date(2027, 3, 7))
    await stack.settle()
    [other] = stack.notices(OTHER)
    assert other["tenant_name"] == "Lumen Spa"
    assert other["code"] != clinic["code"]
    assert stack.notices(CLINIC) == [clinic]


async def test_a_restarted_service_ticked_again_sends_nothing_twice(
    fresh_database: str, kafka_bootstrap: str, topic_prefix: str
) -> None:
    days = (date(2027, 3, 7), date(2027, 3, 8))
    async with campaigns_stack(
        fresh_database, kafka_bootstrap, topic_prefix, consume=False
    ) as stack:
        open_with_birthdays(stack, CLINIC)
        async with consuming_campaigns(stack.settings):
            await stack.publish(client("ada", (3, 14)), client("bea", (3, 10)))
            await stack.tick(CLINIC, *days)
            await stack.settle()
        sent = stack.notices()
        assert sorted(notice["client_id"] for notice in sent) == ["ada", "bea"]

        # As if the process had died before its relay stored its position: the restarted relay
        # publishes the requests again, and the scheduler ticks the day again at its start.
        with psycopg.connect(fresh_database) as conn:
            conn.execute("UPDATE campaigns.log_positions SET position = 0")
        async with consuming_campaigns(stack.settings):
            await stack.tick(CLINIC, *days)

            async def published_again() -> None:
                copies = [r for r in stack.published if r["data"]["kind"] == "birthday_reward"]
                assert len(copies) >= 2 * len(sent)

            await until(published_again)

        assert stack.notices() == sent
        assert len(stack.granted()) == len(sent)
