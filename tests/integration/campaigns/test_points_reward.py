"""A birthday reward of bonus points through the real path: the campaigns service decides it on
the clock's tick and publishes `CampaignPointsGranted` (``starcard.campaigns.v1``); the loyalty
service, consuming that topic, grants its points programme's bonus for other programmes, once.

Both services run, on one database and one topic prefix, as their processes do.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from starcard_events import examples
from starcard_events.topics import CAMPAIGN_FACTS, booking_key
from starcard_loyalty.domain.points_settings import PointsSettings

from tests.support.campaigns import CampaignsStack, campaigns_stack
from tests.support.stack import LoyaltyStack, eventually, loyalty_stack, processed

pytestmark = pytest.mark.integration

CLINIC, POINTS_OFF = "glow-clinic", "calm-rooms"
BONUS = 250
BIRTHDAY_WEEK = date(2027, 3, 7)
"""The tick 7 days before 14 March, the clients' birthday."""


@dataclass
class Stacks:
    campaigns: CampaignsStack
    loyalty: LoyaltyStack

    def balance(self, tenant_id: str, client_id: str) -> int:
        return self.loyalty.commands.points_account(tenant_id, client_id).balance()


@pytest.fixture
async def stacks(
    fresh_database: str, kafka_bootstrap: str, topic_prefix: str
) -> AsyncIterator[Stacks]:
    """Two tenants whose birthday reward is bonus points: one grants 250 points for other
    programmes, the other has its points programme off."""
    async with (
        loyalty_stack(fresh_database, kafka_bootstrap, topic_prefix) as loyalty,
        campaigns_stack(fresh_database, kafka_bootstrap, topic_prefix) as campaigns,
    ):
        for tenant, points in ((CLINIC, True), (POINTS_OFF, False)):
            loyalty.commands.open_programme(tenant, tenant.title())
            loyalty.commands.set_points_settings(
                tenant,
                PointsSettings(enabled=points, granted_bonus_points=BONUS),
                datetime(2027, 1, 1, tzinfo=UTC),
            )
            campaigns.commands.open_programme(tenant, tenant.title())
            campaigns.commands.change_shared_settings(tenant, holdout_percent=0)
            campaigns.commands.change_campaign_settings(
                tenant, "birthday", enabled=True, days_before=7, reward="points"
            )
        yield Stacks(campaigns, loyalty)


async def register(stacks: Stacks, tenant_id: str, client_id: str) -> None:
    await stacks.campaigns.publish(
        examples.client_registered(
            tenant_id,
            datetime(2027, 1, 4, 9, 0, tzinfo=UTC),
            client_id=client_id,
            email=f"{client_id}@example.com",
            birthday={"month": 3, "day": 14},
        )
    )


async def test_a_points_birthday_reward_is_granted_once_however_often_it_arrives(
    stacks: Stacks,
) -> None:
    await register(stacks, CLINIC, "ada")

    # The day's tick published twice, and the next day's: one offer, one fact, one grant.
    await stacks.campaigns.tick(CLINIC, BIRTHDAY_WEEK, BIRTHDAY_WEEK, BIRTHDAY_WEEK + timedelta(1))
    await stacks.campaigns.settle()
    [offer] = stacks.campaigns.granted("birthday")
    [fact] = await eventually(lambda: exactly_one(stacks.campaigns.facts))
    assert fact["type"] == "CampaignPointsGranted"
    assert fact["data"] == {
        "offer_id": str(offer.originator_id),
        "client_id": "ada",
        "campaign": "birthday",
        "occasion": "2027",
    }
    await eventually(lambda: has_balance(stacks, CLINIC, "ada", BONUS))

    # The fact delivered again (a relay that restarted publishes it again): nothing more.
    topic = stacks.loyalty.settings.topic(CAMPAIGN_FACTS)
    again = await stacks.loyalty.producer.send_and_wait(
        topic, json.dumps(fact).encode(), key=booking_key(CLINIC, "ada")
    )
    await processed(stacks.loyalty.commands, again)
    account = stacks.loyalty.commands.points_account(CLINIC, "ada")
    assert account.balance() == BONUS
    assert [lot.points for lot in account.lots.values()] == [BONUS]

    # The message tells the client of the points: no code, no discount, no number.
    [notice] = stacks.campaigns.notices()
    assert notice["kind"] == "birthday_reward"
    assert (notice["code"], notice["discount_percent"], notice["add_on"]) == (None, None, None)
    assert notice["expires_at"] is None


async def test_a_tenant_whose_points_are_off_grants_nothing(stacks: Stacks) -> None:
    await register(stacks, POINTS_OFF, "bo")

    await stacks.campaigns.tick(POINTS_OFF, BIRTHDAY_WEEK)
    [fact] = await eventually(lambda: exactly_one(stacks.campaigns.facts))
    # A copy after it, to know when the loyalty service has read the topic this far.
    delivered = await stacks.loyalty.producer.send_and_wait(
        stacks.loyalty.settings.topic(CAMPAIGN_FACTS),
        json.dumps(fact).encode(),
        key=booking_key(POINTS_OFF, "bo"),
    )

    await processed(stacks.loyalty.commands, delivered)
    assert stacks.balance(POINTS_OFF, "bo") == 0
    assert stacks.loyalty.commands.points_account(POINTS_OFF, "bo").lots == {}


def exactly_one(records: list[dict[str, object]]) -> list[dict[str, object]]:
    """The one record published, however many copies of it arrived."""
    unique = list({str(record["event_id"]): record for record in records}.values())
    assert len(unique) == 1, f"{len(unique)} records"
    return unique


def has_balance(stacks: Stacks, tenant_id: str, client_id: str, points: int) -> None:
    assert stacks.balance(tenant_id, client_id) == points
