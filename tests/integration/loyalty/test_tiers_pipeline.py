"""Tiers through the real path: spend and refunds in through Kafka, clock ticks across the window's
edges, the membership in the event store, TierChanged facts and the emails out through Kafka."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from starcard_events import examples
from starcard_events.topics import CLOCK, LOYALTY_FACTS, NOTIFICATIONS
from starcard_loyalty.domain.points_settings import PointsSettings
from starcard_loyalty.domain.tier_settings import TierSettings, months_after
from starcard_runtime.clock import tick

from tests.support.stack import LoyaltyStack, collect, create_topics, eventually, loyalty_stack

pytestmark = pytest.mark.integration

CLINIC, OTHER = "glow-clinic", "lumen-spa"
START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
SETTINGS = TierSettings(enabled=True, warn_days=14)
"""Regular; VIP from £1,000 in 12 months; Elite from £2,500; warned 14 days before a drop."""


@dataclass
class TiersStack:
    loyalty: LoyaltyStack
    published: list[dict[str, Any]]
    ticks_sent: int = 0

    def records(self, kind: str, client: str) -> list[dict[str, Any]]:
        seen: dict[str, dict[str, Any]] = {}
        for record in self.published:
            if record["type"] == kind and record["data"]["client_id"] == client:
                seen.setdefault(record["event_id"], record["data"])
        return list(seen.values())

    def changes(self, client: str) -> list[tuple[str, str, str]]:
        return [
            (fact["to_tier"], fact["direction"], fact["reason"])
            for fact in self.records("TierChanged", client)
        ]

    def emails(self, client: str, kind: str) -> list[str]:
        return [
            notice["message"]
            for notice in self.records("NotificationRequested", client)
            if notice["kind"] == kind
        ]

    def tier(self, client: str, tenant: str = CLINIC) -> str:
        rules = self.loyalty.commands.programme(tenant).tier_versions
        return self.loyalty.commands.membership(tenant, client).standing(rules).tier_id

    async def tick(self, day: date, tenant: str = CLINIC) -> None:
        """Publish the tick of `day` and wait until the service has processed it."""
        clock = self.loyalty.settings.topic(CLOCK)
        await self.loyalty.producer.send_and_wait(
            clock, tick(tenant, day).model_dump_json().encode(), key=tenant.encode()
        )
        self.ticks_sent += 1
        query = (
            "SELECT coalesce(sum(notification_id + 1), 0) FROM loyalty.loyalty_tracking"
            " WHERE application_name LIKE %s"
        )
        await eventually(
            lambda: expect(self.loyalty.sql(query, (f"{clock}/%",))[0][0], self.ticks_sent)
        )


async def tiers_stack(
    fresh_database: str, kafka_bootstrap: str, topic_prefix: str, settings: TierSettings
) -> AsyncIterator[TiersStack]:
    async with loyalty_stack(fresh_database, kafka_bootstrap, topic_prefix) as running:
        out = [LOYALTY_FACTS, NOTIFICATIONS]
        await create_topics(kafka_bootstrap, [running.settings.topic(t) for t in out], 4)
        for tenant in (CLINIC, OTHER):
            running.commands.open_programme(tenant, tenant.title())
            running.commands.set_tier_settings(tenant, settings, START - timedelta(days=1))
        published: list[dict[str, Any]] = []
        stop = asyncio.Event()
        collector = asyncio.create_task(collect(running.settings, out, published, stop))
        try:
            yield TiersStack(running, published)
        finally:
            stop.set()
            await collector


@pytest.fixture
async def stack(
    fresh_database: str, kafka_bootstrap: str, topic_prefix: str
) -> AsyncIterator[TiersStack]:
    async for running in tiers_stack(fresh_database, kafka_bootstrap, topic_prefix, SETTINGS):
        yield running


@pytest.fixture
async def kept_stack(
    fresh_database: str, kafka_bootstrap: str, topic_prefix: str
) -> AsyncIterator[TiersStack]:
    kept = replace(SETTINGS, keep_days=90)
    async for running in tiers_stack(fresh_database, kafka_bootstrap, topic_prefix, kept):
        yield running


def treatment(
    client: str, booking: str, pounds: int, days: int = 0, **extra: Any
) -> dict[str, Any]:
    return examples.appointment_completed(
        extra.pop("tenant", CLINIC),
        START + timedelta(days=days),
        client_id=client,
        booking_id=booking,
        list_price_minor=pounds * 100,
        **extra,
    )


def expect(actual: object, expected: object) -> None:
    assert actual == expected


async def test_the_purchase_that_crosses_the_threshold_upgrades_once_with_an_email(
    stack: TiersStack,
) -> None:
    order = examples.product_purchased(
        CLINIC,
        START + timedelta(days=20),
        order_id="o1",
        client_id="ada",
        lines=[examples.order_line("serum", 20_000)],
        channel="shop",
    )
    feed = [
        treatment("ada", "b1", 600),
        treatment("ada", "b2", 300, days=10, payment_method="package"),  # counted when bought
        order,  # retail counts too: £600 + £200 = £800
        treatment("ada", "b3", 250, days=40),  # £1,050: VIP at this visit
        treatment("bo", "x1", 5000, tenant=OTHER),
    ]
    await stack.loyalty.publish(*feed)
    await stack.loyalty.publish(*feed)  # re-delivered
    await eventually(lambda: expect(stack.changes("ada"), [("vip", "up", "spend_reached")]))
    fact = stack.records("TierChanged", "ada")[0]
    assert fact["spend"] == {"amount_minor": 105_000, "currency": "GBP"}
    assert fact["drops_on"] == months_after(START.date(), 12).isoformat()
    emails = await eventually(lambda: _exactly(stack.emails("ada", "tier_changed"), 1))
    assert "Welcome to VIP" in emails[0]
    assert "£1,050.00" in emails[0]
    await eventually(lambda: expect(stack.tier("bo", OTHER), "elite"))
    assert stack.tier("bo") == "regular"  # never another tenant's


async def test_a_drop_comes_on_the_tick_of_the_day_spend_ages_out_after_one_warning(
    stack: TiersStack,
) -> None:
    await stack.loyalty.publish(treatment("ada", "b1", 700), treatment("ada", "b2", 400, days=60))
    await eventually(lambda: expect(stack.tier("ada"), "vip"))
    first_leaves = months_after(START.date(), 12)  # £700 leaves: £400 left, below £1,000

    await stack.tick(first_leaves - timedelta(days=15))
    await stack.tick(first_leaves - timedelta(days=14))
    await stack.tick(first_leaves - timedelta(days=13))
    warnings = await eventually(lambda: _exactly(stack.emails("ada", "tier_ending"), 1))
    assert warnings[0].startswith(
        "Your VIP status ends on 2 March 2027 unless you spend £600.00 by then."
    )

    await stack.tick(first_leaves - timedelta(days=1))
    assert stack.tier("ada") == "vip"  # not a day before
    assert len(stack.records("TierChanged", "ada")) == 1

    await stack.tick(first_leaves)
    await stack.tick(first_leaves)
    await eventually(
        lambda: expect(
            stack.changes("ada"),
            [("vip", "up", "spend_reached"), ("regular", "down", "spend_left_window")],
        )
    )
    assert len(stack.emails("ada", "tier_ending")) == 1
    drop = await eventually(lambda: _exactly(stack.emails("ada", "tier_changed"), 2))
    assert any("Your membership is now Regular" in message for message in drop)
    # Decided by the midnight tick: it waits for the clinic's quiet hours to end (09:00 UTC);
    # the move up at a daytime visit did not.
    sent_after = {
        notice["message"].split(":")[0]: notice["send_after"]
        for notice in stack.records("NotificationRequested", "ada")
        if notice["kind"] == "tier_changed"
    }
    assert sent_after == {
        "Welcome to VIP": None,
        "Your membership is now Regular": f"{first_leaves}T09:00:00Z",
    }


async def test_a_refund_that_takes_the_spend_below_drops_the_tier(stack: TiersStack) -> None:
    await stack.loyalty.publish(treatment("ada", "b1", 600), treatment("ada", "b2", 500, days=1))
    await eventually(lambda: expect(stack.tier("ada"), "vip"))
    refund = examples.appointment_refunded(
        CLINIC,
        START + timedelta(days=5),
        refund_id="r1",
        booking_id="b2",
        client_id="ada",
        amount_minor=20_000,
    )
    await stack.loyalty.publish(refund, refund)
    await eventually(
        lambda: expect(
            stack.changes("ada"),
            [("vip", "up", "spend_reached"), ("regular", "down", "refunded")],
        )
    )
    assert stack.records("TierChanged", "ada")[1]["spend"]["amount_minor"] == 90_000


async def test_within_the_keep_period_a_refund_does_not_drop_the_tier_until_it_ends(
    kept_stack: TiersStack,
) -> None:
    stack = kept_stack
    refund = examples.appointment_refunded(
        CLINIC, START + timedelta(days=3), refund_id="r1", booking_id="b1", client_id="ada"
    )
    await stack.loyalty.publish(treatment("ada", "b1", 1200), refund)
    await eventually(lambda: expect(stack.changes("ada"), [("vip", "up", "spend_reached")]))
    keep_ends = (START + timedelta(days=90)).date()
    await stack.tick(keep_ends - timedelta(days=1))
    assert stack.tier("ada") == "vip"

    await stack.tick(keep_ends)
    await eventually(
        lambda: expect(
            stack.changes("ada"),
            [("vip", "up", "spend_reached"), ("regular", "down", "keep_period_ended")],
        )
    )


async def test_a_tier_s_points_multiplier_applies_from_the_visit_after_the_one_that_reached_it(
    stack: TiersStack,
) -> None:
    commands = stack.loyalty.commands
    with_points = replace(
        SETTINGS,
        tiers=tuple(
            replace(tier, points_multiplier_hundredths=150) if tier.tier_id == "vip" else tier
            for tier in SETTINGS.tiers
        ),
    )
    commands.set_tier_settings(CLINIC, with_points, START - timedelta(hours=1))
    commands.set_points_settings(CLINIC, PointsSettings(enabled=True), START - timedelta(hours=1))
    await stack.loyalty.publish(
        treatment("ada", "b1", 1000),  # reaches VIP: 1,000 points at Regular's rate
        treatment("ada", "b2", 100, days=1),  # at VIP: 100 + half again
    )
    await eventually(lambda: expect(_bonuses(stack, "ada"), [("tier:vip", 50)]))
    assert commands.points_account(CLINIC, "ada").balance() == 1150


def _bonuses(stack: TiersStack, client: str) -> list[tuple[str, int]]:
    earned = stack.loyalty.commands.points_account(CLINIC, client).lots.values()
    return sorted(
        (lot.lot_id.split("#")[1], lot.points) for lot in earned if "#tier:" in lot.lot_id
    )


def _exactly(items: list[str], count: int) -> list[str]:
    assert len(items) == count, items
    return items
