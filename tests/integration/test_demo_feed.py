"""The demo feed of ``starcard demo`` through the real pipeline (Kafka, loyalty, projections).

The most-loyal list the services build must be the one the loyalty domain's own rules compute
from the feed, each client's points balance the one the programme's rules give (treatments by
category, retail, packages, rebooking bonuses, refunds), each client's packages the sessions
used and left the catalogue's rules give, with the clock ticks the demo publishes reminding the
client whose package nears its expiry, then expiring its unused session, and nothing else falling
due on them; and publishing the same feed and ticks again (same event and booking ids) must
change nothing: no new events in the store, the same list and balances.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest
from starcard_cli.demo import (
    CANCELLED,
    DEMO_TENANT_ID,
    DEMO_TENANT_NAME,
    LABELLED,
    POINTS_SINCE,
    SHORT,
    TICK_DAYS,
    DemoFeed,
    add_demo_milestones,
    build_feed,
    publish_feed,
    publish_ticks,
    recorded_through,
)
from starcard_cli.packages_demo import DEMO_PACKAGES, add_demo_packages
from starcard_cli.points_demo import DEMO_POINTS, add_demo_points
from starcard_cli.tiers_demo import DEMO_TIERS, add_demo_tiers
from starcard_events.topics import CLOCK
from starcard_runtime.dead_letters import DeadLetterStore

from tests.support.demo_oracle import (
    ExpectedClient,
    ExpectedHoldings,
    ExpectedPackage,
    expected_loyalty,
    expected_packages,
    expected_points,
    expected_tiers,
)
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


def balances(stack: LoyaltyStack, feed: DemoFeed) -> dict[str, int]:
    """Each client's points balance as the event store has it (clients with none left out)."""
    held = {
        client_id: stack.commands.points_account(DEMO_TENANT_ID, client_id).balance()
        for client_id in feed.clients
    }
    return {client_id: points for client_id, points in held.items() if points}


def standings(stack: LoyaltyStack, feed: DemoFeed) -> dict[str, str]:
    """Each client's tier as the event store has it (clients in the first tier left out)."""
    rules = stack.commands.programme(DEMO_TENANT_ID).tier_versions
    held = {
        client_id: stack.commands.membership(DEMO_TENANT_ID, client_id).standing(rules)
        for client_id in feed.clients
    }
    return {client: held[client].tier_id for client in held if held[client].tier_id != "regular"}


def holdings(stack: LoyaltyStack, feed: DemoFeed) -> dict[str, ExpectedHoldings]:
    """Each client's packages as the event store has them (clients with none left out)."""
    held = {}
    for client_id in feed.clients:
        stored = stack.commands.package_holdings(DEMO_TENANT_ID, client_id)
        packages = [
            ExpectedPackage(
                each["name"],
                each["used"],
                each["left"],
                each["closed"],
                each["status"],
                each["deferred_minor"],
            )
            for each in stored.snapshot["packages"]
        ]
        unmatched = [each["booking_id"] for each in stored.snapshot["unmatched"]]
        if packages or unmatched:
            held[client_id] = ExpectedHoldings(packages, unmatched, set(stored.reminded))
    return held


def recorded_kinds(stack: LoyaltyStack, after: int | None, through: int | None) -> list[str]:
    """What the loyalty service recorded after notification `after`, through `through`, each
    as ``Aggregate.Event``."""
    notifications = stack.commands.recorder.select_notifications(
        after, limit=10_000, stop=through, inclusive_of_start=False
    )
    return [notification.topic.rpartition(":")[2] for notification in notifications]


def without_refunds(feed: DemoFeed) -> DemoFeed:
    return replace(feed, events=[e for e in feed.events if not e["type"].endswith("Refunded")])


def tracked_through(
    stack: LoyaltyStack, last_offsets: dict[int, int], topic: str | None = None
) -> None:
    """The loyalty service has recorded every partition up to the given offsets."""
    assert recorded_through(stack.commands, topic or stack.booking_topic, last_offsets), (
        last_offsets
    )


async def test_the_demo_feed_gives_the_expected_list_and_a_resend_changes_nothing(
    fresh_database: str, kafka_bootstrap: str, topic_prefix: str
) -> None:
    async with loyalty_stack(fresh_database, kafka_bootstrap, topic_prefix) as stack:
        stack.commands.open_programme(DEMO_TENANT_ID, DEMO_TENANT_NAME)
        assert add_demo_milestones(stack.commands, DEMO_TENANT_ID)
        assert not add_demo_milestones(stack.commands, DEMO_TENANT_ID)
        rules = stack.commands.programme(DEMO_TENANT_ID).rules()
        assert len(rules.milestones) == 2
        assert add_demo_points(stack.commands, DEMO_TENANT_ID, POINTS_SINCE)
        assert not add_demo_points(stack.commands, DEMO_TENANT_ID, POINTS_SINCE)
        settings = stack.commands.programme(DEMO_TENANT_ID).points
        assert settings == DEMO_POINTS.check()
        assert add_demo_tiers(stack.commands, DEMO_TENANT_ID, POINTS_SINCE)
        assert not add_demo_tiers(stack.commands, DEMO_TENANT_ID, POINTS_SINCE)
        assert stack.commands.programme(DEMO_TENANT_ID).tiers == DEMO_TIERS
        assert add_demo_packages(stack.commands, DEMO_TENANT_ID, POINTS_SINCE)
        assert not add_demo_packages(stack.commands, DEMO_TENANT_ID, POINTS_SINCE)
        catalogue = stack.commands.programme(DEMO_TENANT_ID).packages
        assert catalogue == DEMO_PACKAGES.check()

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
        # Points: treatments of every category, retail, and a refund of each kind that takes
        # points back from its client.
        assert set(feed.clinic.treatments) == {"massage", "facials", "injectables", "laser"}
        types = feed.event_types()
        assert types["ProductPurchased"] > 0
        assert types["OrderRefunded"] == types["AppointmentRefunded"] == 1
        points = expected_points(feed, settings, catalogue)
        unrefunded = expected_points(without_refunds(feed), settings, catalogue)
        refunded = {e["data"]["client_id"] for e in feed.events if e["type"].endswith("Refunded")}
        assert len(refunded) == 2
        assert all(points.get(client, 0) < unrefunded[client] for client in refunded)
        paid = {row.client_id for row in expected if row.stars}
        assert paid <= set(points)
        # Tiers: some clients reach VIP, the most loyal Elite.
        tiers = expected_tiers(feed, DEMO_TIERS)
        assert set(tiers.values()) == {"vip", "elite"}
        # Packages: clients whose sessions were used, one reminded of sessions about to expire
        # and then expired (once, closed unused, owing nothing), one package-paid visit no
        # package pays for.
        assert feed.packages.expiring_on == TICK_DAYS[-1]
        packages = expected_packages(feed, catalogue, TICK_DAYS)
        sessions = [each for held in packages.values() for each in held.packages]
        assert any(each.used >= 2 for each in sessions)
        expiring = feed.packages.expiring_client
        assert expiring is not None
        assert [client for client, held in packages.items() if held.reminded] == [expiring]
        assert len(packages[expiring].reminded) == 1
        assert packages[expiring].packages == [
            ExpectedPackage(
                "Facial x3", used=2, left=0, closed=1, status="expired", deferred_minor=0
            )
        ]
        assert [client for client, held in packages.items() if held.unmatched] == [
            client for client, _ in feed.packages.unmatched
        ]
        assert all(
            each.status == "active"
            for client, held in packages.items()
            if client != expiring
            for each in held.packages
        )

        first = await publish_feed(feed, kafka_bootstrap, stack.booking_topic)
        assert sum(offset + 1 for offset in first.values()) == len(feed.events)

        def matches() -> None:
            assert listed(stack) == expected

        await eventually(matches, within=60)
        await eventually(lambda: tracked_through(stack, first), within=60)
        assert balances(stack, feed) == points
        assert standings(stack, feed) == tiers
        fed = stack.commands.recorder.max_notification_id()
        ticked = await publish_ticks(stack.settings)
        clock = stack.settings.topic(CLOCK)
        await eventually(lambda: tracked_through(stack, ticked, clock), within=60)
        assert holdings(stack, feed) == packages
        head = stack.commands.recorder.max_notification_id()
        # The ticks reminded the client once, then closed the session, and did nothing else: no
        # code expired, no points or tier notice (the mailbox's count does not hang on today).
        assert Counter(recorded_kinds(stack, fed, head)) == {
            "PackageHoldings.Reviewed": 2,
            "PackageHoldings.ExpiryReminded": 1,
            "PackageHoldings.Closed": 1,
        }

        second = await publish_feed(feed, kafka_bootstrap, stack.booking_topic)
        assert all(second[partition] > first[partition] for partition in first)
        await eventually(lambda: tracked_through(stack, second), within=60)
        again = await publish_ticks(stack.settings)
        await eventually(lambda: tracked_through(stack, again, clock), within=60)

        assert stack.commands.recorder.max_notification_id() == head
        assert listed(stack) == expected
        assert balances(stack, feed) == points
        assert standings(stack, feed) == tiers
        assert holdings(stack, feed) == packages
        assert DeadLetterStore(stack.settings.database_url).list(service="loyalty") == []
