"""The demo feed of ``starcard demo`` through the real pipeline (Kafka, loyalty, projections).

The most-loyal list the services build must be the one the loyalty domain's own rules compute
from the feed, and publishing the same feed again (same event and booking ids) must change
nothing: no new events in the store, the same list.
"""

from __future__ import annotations

import pytest
from starcard_cli.demo import (
    CANCELLED,
    DEMO_TENANT_ID,
    DEMO_TENANT_NAME,
    LABELLED,
    SHORT,
    add_demo_milestones,
    build_feed,
    publish_feed,
)
from starcard_runtime.dead_letters import DeadLetterStore

from tests.support.demo_oracle import ExpectedClient, expected_loyalty
from tests.support.stack import LoyaltyStack, eventually, loyalty_stack

pytestmark = pytest.mark.integration


def listed(stack: LoyaltyStack) -> list[ExpectedClient]:
    """The most-loyal list as the read model has it, with each client's milestones reached.

    Two reads: a client the first missed (still being projected) shows as -1, never matches.
    """
    reached = dict(
        stack.sql(
            "SELECT client_id, milestones_reached FROM read.loyalty_clients WHERE tenant_id = %s",
            (DEMO_TENANT_ID,),
        )
    )
    return [
        ExpectedClient(row.client_id, row.stars, row.sessions, reached.get(row.client_id, -1))
        for row in stack.most_loyal(DEMO_TENANT_ID)
    ]


def tracked_through(stack: LoyaltyStack, last_offsets: dict[int, int]) -> None:
    """The loyalty service has recorded every partition up to the given offsets."""
    for partition, offset in last_offsets.items():
        tracked = stack.commands.tracked_offset(stack.booking_topic, partition)
        assert tracked is not None
        assert tracked >= offset, f"partition {partition}: tracked {tracked} < {offset}"


async def test_the_demo_feed_gives_the_expected_list_and_a_resend_changes_nothing(
    fresh_database: str, kafka_bootstrap: str, topic_prefix: str
) -> None:
    async with loyalty_stack(fresh_database, kafka_bootstrap, topic_prefix) as stack:
        stack.commands.open_programme(DEMO_TENANT_ID, DEMO_TENANT_NAME)
        assert add_demo_milestones(stack.commands, DEMO_TENANT_ID)
        assert not add_demo_milestones(stack.commands, DEMO_TENANT_ID)
        rules = stack.commands.programme(DEMO_TENANT_ID).rules()
        assert len(rules.milestones) == 2

        feed = build_feed()
        assert feed.records() == build_feed().records(), "the same seed must give the same feed"
        expected = expected_loyalty(feed, rules)
        # The feed's own spec and the domain agree on how many visits count.
        assert sum(row.stars for row in expected) == feed.visits_that_count
        # ...and the feed holds what the demo is meant to show.
        assert len(expected) == len(feed.clients) == 40
        assert all(feed.visits[category] for category in (LABELLED, SHORT, CANCELLED))
        assert any(row.stars == 0 and row.sessions > 0 for row in expected)
        assert {row.milestones_reached for row in expected} >= {0, 1, 2}

        first = await publish_feed(feed, kafka_bootstrap, stack.booking_topic)
        assert sum(offset + 1 for offset in first.values()) == len(feed.events)

        def matches() -> None:
            assert listed(stack) == expected

        await eventually(matches, within=60)
        await eventually(lambda: tracked_through(stack, first), within=60)
        head = stack.commands.recorder.max_notification_id()

        second = await publish_feed(feed, kafka_bootstrap, stack.booking_topic)
        assert all(second[partition] > first[partition] for partition in first)
        await eventually(lambda: tracked_through(stack, second), within=60)

        assert stack.commands.recorder.max_notification_id() == head
        assert listed(stack) == expected
        assert DeadLetterStore(stack.settings.database_url).list(service="loyalty") == []
