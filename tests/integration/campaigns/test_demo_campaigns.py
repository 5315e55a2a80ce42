"""The demo feed of ``starcard demo`` through the campaigns service (Kafka and PostgreSQL).

The birthday offers the demo's clock ticks make must be the ones the campaign's rules give, as a
clinic reads them (``tests.support.demo_oracle``), each with a distinct BDAY- code and the
studio's booking link; and publishing the same feed and ticks again must change nothing. (The
loyalty side of the same feed is ``tests/integration/test_demo_feed.py``.)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from starcard_cli.campaigns_demo import DEMO_BIRTHDAYS, DEMO_BOOKING_URL, add_demo_birthdays
from starcard_cli.demo import (
    DEMO_TENANT_ID,
    DEMO_TENANT_NAME,
    TICK_DAYS,
    build_feed,
    publish_feed,
    publish_ticks,
    recorded_through,
)
from starcard_events.topics import BOOKING_EVENTS, CLOCK

from tests.support.campaigns import CampaignsStack, campaigns_stack
from tests.support.demo_oracle import ExpectedBirthdayReward, expected_birthday_rewards
from tests.support.stack import eventually

pytestmark = pytest.mark.integration


def birthday_offers(stack: CampaignsStack) -> dict[str, list[ExpectedBirthdayReward]]:
    """Each client's birthday offers as the campaigns' event store has them."""
    found: dict[str, list[ExpectedBirthdayReward]] = {}
    for offer in stack.commands.offers(DEMO_TENANT_ID):
        assert offer.campaign == "birthday"
        terms = offer.terms
        assert terms is not None, "the demo's birthday clients are not held out"
        assert terms.discount_percent is not None, "the demo's birthday rewards are discounts"
        assert terms.expires_at is not None
        found.setdefault(offer.client_id, []).append(
            ExpectedBirthdayReward(
                int(offer.occasion),
                _celebrated(offer.occasion, offer.client_id),
                terms.discount_percent,
                offer.decided_at,
                terms.expires_at,
            )
        )
    return found


def _celebrated(year: str, client_id: str) -> date:
    birthday = DEMO_BIRTHDAYS[int(client_id.removeprefix("client"))]
    return date(int(year), birthday.month, birthday.day)


def caught_up(stack: CampaignsStack, topic: str, offsets: dict[int, int]) -> Callable[[], None]:
    def check() -> None:
        assert recorded_through(stack.commands, topic, offsets), offsets

    return check


async def test_the_demo_ticks_reward_the_birthdays_due_once(
    fresh_database: str, kafka_bootstrap: str, topic_prefix: str
) -> None:
    async with campaigns_stack(fresh_database, kafka_bootstrap, topic_prefix) as stack:
        assert add_demo_birthdays(stack.commands, DEMO_TENANT_ID, DEMO_TENANT_NAME)
        assert not add_demo_birthdays(stack.commands, DEMO_TENANT_ID, DEMO_TENANT_NAME)
        birthday = stack.commands.programme(DEMO_TENANT_ID).birthday
        assert birthday.enabled

        feed = build_feed()
        expected = expected_birthday_rewards(feed, birthday, TICK_DAYS)
        born = [e for e in feed.events if e["type"] == "ClientRegistered" and e["data"]["birthday"]]
        assert len(born) == len(DEMO_BIRTHDAYS)
        assert sorted(expected) == ["client08", "client16"]
        assert [len(each) for each in expected.values()] == [1, 1]

        bookings, clock = stack.settings.topic(BOOKING_EVENTS), stack.settings.topic(CLOCK)
        first = await publish_feed(feed, kafka_bootstrap, bookings)
        await eventually(caught_up(stack, bookings, first), within=60)
        ticked = await publish_ticks(stack.settings)
        await eventually(caught_up(stack, clock, ticked), within=60)
        await stack.settle()

        assert birthday_offers(stack) == expected
        notices = stack.notices(DEMO_TENANT_ID)
        assert sorted(notice["client_id"] for notice in notices) == ["client08", "client16"]
        assert all(notice["booking_url"] == DEMO_BOOKING_URL for notice in notices)
        assert len({notice["code"] for notice in notices}) == 2
        decided = stack.commands.recorder.max_notification_id()

        second = await publish_feed(feed, kafka_bootstrap, bookings)
        await eventually(caught_up(stack, bookings, second), within=60)
        again = await publish_ticks(stack.settings)
        await eventually(caught_up(stack, clock, again), within=60)

        assert stack.commands.recorder.max_notification_id() == decided
        assert birthday_offers(stack) == expected
        # The offers were decided at the ticks' midnights (UTC: the demo studio's zone).
        assert {each.issued_at for held in expected.values() for each in held} <= {
            datetime.combine(day, datetime.min.time(), tzinfo=UTC) for day in TICK_DAYS
        }
        assert all(
            each.expires_at - each.issued_at == timedelta(days=birthday.valid_days)
            for held in expected.values()
            for each in held
        )
